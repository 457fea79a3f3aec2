"""Data-quality summary of one symbol's candle series (scores and issues from `domain.quality`)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from rich.text import Text
from textual.widgets import Static

from cryptoterm.domain.market import Candle
from cryptoterm.domain.quality import QualityReport, assess_quality
from cryptoterm.domain.timeframes import timeframe_ms


def candles_frame(candles: Sequence[Candle]) -> pd.DataFrame:
    """Closed candles as the frame `assess_quality` reads (forming bars are left out: they are not data yet)."""
    closed = [c for c in candles if c.closed]
    return pd.DataFrame(
        {
            "open": [c.open for c in closed],
            "high": [c.high for c in closed],
            "low": [c.low for c in closed],
            "close": [c.close for c in closed],
            "volume": [c.volume for c in closed],
        },
        index=pd.Index([c.open_time for c in closed], name="open_time", dtype="int64"),
    )


def assess_series(
    symbol: str,
    series: Sequence[tuple[str, Sequence[Candle]]],
    now_ms: int,
    *,
    spike_sigma: float,
    stale_after_ms: int | None,
) -> list[QualityReport]:
    """One report per (timeframe, candles); staleness is judged against `now_ms` (the feed's clock).

    Only closed bars count, and the newest closed bar is up to one bar length old by nature, so a series is
    stale when its last bar closed more than one bar length plus `stale_after_ms` ago (for 1m bars; larger
    timeframes use the domain default of two bar lengths).
    """
    return [
        assess_quality(
            candles_frame(candles),
            timeframe,
            symbol=symbol,
            now_ms=now_ms,
            spike_sigma=spike_sigma,
            stale_after_ms=timeframe_ms(timeframe) + stale_after_ms
            if timeframe == "1m" and stale_after_ms is not None
            else None,
        )
        for timeframe, candles in series
    ]


def score_style(score: float) -> str:
    return "green" if score >= 90 else "yellow" if score >= 70 else "bold red"


def quality_text(reports: Sequence[QualityReport]) -> Text:
    """ "1m  98/100 · 1,440 bars · no issues" per line; issues listed after the counts."""
    text = Text(no_wrap=False)
    if not reports:
        text.append("checking…", style="dim")
        return text
    for i, report in enumerate(reports):
        if i:
            text.append("\n")
        text.append(f"{report.timeframe:>3} ", style="bold")
        text.append(f"{report.score:>3.0f}/100", style=score_style(report.score))
        text.append(f" · {report.rows:,} bars", style="dim")
        text.append(" · ")
        text.append("; ".join(report.issues) if report.issues else "no issues", style="" if report.issues else "dim")
    return text


class QualityPanel(Static):
    """Shows the quality reports its screen computed (in a thread worker: pandas work stays off the UI)."""

    DEFAULT_CSS = """
    QualityPanel { border: round $primary 40%; border-title-color: $text-muted; padding: 0 1; height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(quality_text(()), id=id)
        self.border_title = "Data quality"
        self.reports: tuple[QualityReport, ...] = ()

    def show(self, reports: Sequence[QualityReport]) -> None:
        self.reports = tuple(reports)
        self.update(quality_text(self.reports))
