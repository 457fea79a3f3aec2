"""The chart cursor's one-line readout (pure): the bar's time, OHLCV and each shown study's value at that bar.

"2026-12-01 14:00 O 43,100 H 43,250 L 43,050 C 43,210 V 1.2K · EMA 21 43,180 · RSI 14 56.2": what a trader
reads off a chart under a crosshair, without estimating against the axis.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cryptoterm.domain.market import Candle
from cryptoterm.tui.formatting import fmt_abbrev, fmt_price
from cryptoterm.tui.widgets.chart_overlays import Overlay

if TYPE_CHECKING:
    from cryptoterm.tui.widgets.study_panels import StudyPanel


def _at(values: Sequence[float], back: int) -> float:
    """The value `back` bars before the newest (NaN when the series is shorter)."""
    return values[-1 - back] if back < len(values) else math.nan


def readout_text(
    candles: Sequence[Candle], back: int, overlays: Sequence[Overlay], panels: Sequence[StudyPanel]
) -> str:
    """The readout of the bar `back` bars before the newest of `candles` (series aligned to end with them)."""
    bar = candles[-1 - back]
    moment = datetime.fromtimestamp(bar.open_time / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")
    parts = [
        f"{moment} O {fmt_price(bar.open)} H {fmt_price(bar.high)} L {fmt_price(bar.low)} "
        f"C {fmt_price(bar.close)} V {fmt_abbrev(bar.volume)}"
    ]
    parts += [f"{o.label} {fmt_price(_at(o.values, back))}" for o in overlays]
    for panel in panels:
        parts += [f"{line.label} {fmt_price(_at(line.values, back))}" for line in panel.lines]
        if panel.bars:
            parts.append(f"hist {fmt_price(_at(panel.bars, back))}")
    return " · ".join(parts)
