"""What a chart's studies draw (pure): lines over the candles, and the lower panels (RSI, MACD) as `StudyPanel`s.

The values come from `cryptoterm.domain.chart_studies` (the domain kernels) over the candles the screen fetched,
visible bars plus the largest study's warm-up, in one vectorised pass per study: a few hundred bars cost well
under a millisecond, so the chart's redraw (at most once a second) never stalls the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptoterm.domain.chart_studies import Study, compute_study, parse_study, study_label
from cryptoterm.domain.market import Candle
from cryptoterm.tui.widgets.chart_overlays import EMA_COLOR, EMA_SLOW_COLOR, Overlay

#: Colours of successive averages over the price (bands are always cyan / blue).
LINE_COLORS = (EMA_COLOR, EMA_SLOW_COLOR, "yellow", "white")
RSI_GUIDES = (30.0, 70.0)


@dataclass(frozen=True, slots=True)
class StudyPanel:
    """A panel under the price: lines, an optional histogram, horizontal guides and a fixed y range."""

    label: str
    lines: tuple[Overlay, ...]
    bars: tuple[float, ...] = ()
    guides: tuple[float, ...] = ()
    ylim: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class StudyDrawing:
    """Everything the shown studies add to a chart."""

    overlays: tuple[Overlay, ...] = ()
    panels: tuple[StudyPanel, ...] = ()
    volume: bool = False
    labels: tuple[str, ...] = field(default=())

    @property
    def title(self) -> str:
        """ "EMA 21 · BB 20,2 · RSI 14": what the title names (the volume panel speaks for itself)."""
        return " · ".join(label for label in self.labels if label != "Vol")


def default_studies(ema_period: int) -> list[str]:
    """The studies of a config without `[chart] studies`: the dashboard's EMA and the volume panel."""
    return [f"ema({ema_period})", "volume"]


def configured_studies(texts: Sequence[str], ema_period: int) -> tuple[Study, ...]:
    """The configured studies, parsed (the config loader already refused bad ones)."""
    return tuple(parse_study(text) for text in (texts or default_studies(ema_period)))


def warmup_bars(studies: Sequence[Study]) -> int:
    """Extra bars to fetch before the first shown one so every study starts settled."""
    return max((s.warmup for s in studies), default=0)


def study_drawing(studies: Sequence[Study], candles: Sequence[Candle]) -> StudyDrawing:
    """Compute `studies` over `candles` (oldest first): values aligned to `candles`, NaN where undefined."""
    if not studies:
        return StudyDrawing()
    import numpy as np

    close = np.fromiter((c.close for c in candles), dtype=np.float64, count=len(candles))
    overlays: list[Overlay] = []
    panels: list[StudyPanel] = []
    colors = iter(LINE_COLORS * 4)
    for study in studies:
        if study.panel == "volume":
            continue
        lines = compute_study(study, close)
        if study.panel == "price":
            if study.name == "bb":
                overlays += [
                    Overlay(line.label, tuple(line.values.tolist()), color)
                    for line, color in zip(lines, ("cyan", "blue", "cyan"), strict=False)
                ]
            else:
                color = next(colors)
                overlays += [Overlay(line.label, tuple(line.values.tolist()), color) for line in lines]
        elif study.panel == "rsi":
            values = tuple(lines[0].values.tolist()) if lines else ()
            panels.append(
                StudyPanel(
                    study_label(study), (Overlay(study_label(study), values, "magenta"),), (), RSI_GUIDES, (0, 100)
                )
            )
        elif study.panel == "macd":
            if lines:
                macd, signal, hist = lines
                panels.append(
                    StudyPanel(
                        study_label(study),
                        (
                            Overlay(macd.label, tuple(macd.values.tolist()), "cyan"),
                            Overlay(signal.label, tuple(signal.values.tolist()), "orange"),
                        ),
                        tuple(hist.values.tolist()),
                        (0.0,),
                    )
                )
            else:
                panels.append(StudyPanel(study_label(study), ()))
    return StudyDrawing(
        tuple(overlays),
        tuple(panels),
        any(s.panel == "volume" for s in studies),
        tuple(study_label(s) for s in studies),
    )


def shown_studies(studies: Sequence[Study], remembered: Sequence[str] | None) -> tuple[Study, ...]:
    """The studies a symbol's chart shows: every configured one, or those the user left ticked for it."""
    if remembered is None:
        return tuple(studies)
    keep = set(remembered)
    return tuple(s for s in studies if s.text in keep)
