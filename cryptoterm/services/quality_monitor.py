"""Periodic data-quality checks of the series the app is showing, stored for the health screen and `doctor`.

A trader acting on a chart needs to know when its data is wrong: holes the backfill could not fill, duplicated
or out-of-order bars, impossible OHLC, isolated bad ticks, a feed gone quiet. Every `interval_s` this checks the
in-memory series of each watched symbol (the same bars the charts and the scanner see) in a worker thread and
writes one `quality_metrics` row per series; `latest` keeps the newest report for the screens.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Protocol

import pandas as pd

from cryptoterm.config.schema import QualityConfig
from cryptoterm.domain.market import Candle
from cryptoterm.domain.quality import QualityReport, assess_quality, market_moves
from cryptoterm.domain.timeframes import timeframe_ms
from cryptoterm.ports.quality import QualityMetricsRow

log = logging.getLogger(__name__)

#: Timeframes checked: the base series and the one most strategies scan.
CHECKED_TIMEFRAMES = ("1m", "1h")


class CandleSource(Protocol):
    symbols: list[str]

    def candles(self, symbol: str, timeframe: str, limit: int) -> list[Candle]: ...


class QualitySink(Protocol):
    def write_quality_metrics(self, rows: Sequence[QualityMetricsRow]) -> int: ...


class QualityMonitor:
    """Checks every watched symbol's series; `check()` is synchronous (run it in a thread)."""

    def __init__(
        self,
        source: CandleSource,
        sink: QualitySink | None,
        exchange: str,
        config: QualityConfig,
        clock: Callable[[], int],
        *,
        bars: int = 1500,
    ) -> None:
        self._source = source
        self._sink = sink
        self._exchange = exchange
        self._config = config
        self._clock = clock
        self._bars = bars
        self.latest: dict[tuple[str, str], QualityReport] = {}

    def check(self) -> list[QualityReport]:
        """Assess each watched series now; store and remember the reports. One bad series never stops the rest."""
        now = self._clock()
        reports: list[QualityReport] = []
        symbols = list(self._source.symbols)
        series = {
            (symbol, timeframe): [c for c in self._source.candles(symbol, timeframe, self._bars) if c.closed]
            for symbol in symbols
            for timeframe in CHECKED_TIMEFRAMES
        }
        # How the watched market moved in each bar: a move most symbols made is not one symbol's bad tick.
        markets = {
            timeframe: market_moves(
                {
                    s: ([c.open_time for c in series[s, timeframe]], [c.close for c in series[s, timeframe]])
                    for s in symbols
                }
            )
            for timeframe in CHECKED_TIMEFRAMES
        }
        for symbol in symbols:
            for timeframe in CHECKED_TIMEFRAMES:
                closed = series[symbol, timeframe]
                if not closed:
                    continue
                try:
                    report = assess_quality(
                        pd.DataFrame(closed, columns=list(Candle._fields)),
                        timeframe,
                        symbol=symbol,
                        now_ms=now,
                        spike_sigma=self._config.spike_sigma,
                        # A closed bar is only due one period after it opened, plus the configured patience.
                        stale_after_ms=timeframe_ms(timeframe) + int(self._config.stale_after_s * 1000),
                        market=markets[timeframe],
                    )
                except Exception:
                    log.exception("quality check of %s %s failed", symbol, timeframe)
                    continue
                self.latest[symbol, timeframe] = report
                reports.append(report)
        if reports and self._sink is not None:
            self._sink.write_quality_metrics([QualityMetricsRow.from_report(self._exchange, r, now) for r in reports])
        worst = min(reports, key=lambda r: r.score, default=None)
        if worst is not None and worst.score < 80:
            log.warning(
                "data quality of %s %s is %.0f/100: %s",
                worst.symbol,
                worst.timeframe,
                worst.score,
                "; ".join(worst.issues[:3]) or "see the symbol's detail",
            )
        return reports

    async def run(self, interval_s: float = 300.0, first_delay_s: float = 30.0) -> None:
        """Check in a worker thread every `interval_s` (the first time after `first_delay_s`), forever."""
        await asyncio.sleep(first_delay_s)
        while True:
            await asyncio.to_thread(self.check)
            await asyncio.sleep(interval_s)
