"""A candlestick chart with indicator lines and horizontal price levels (plotext via textual-plotext).

The symbol detail draws EMA fast / slow and Bollinger bands over the candles (named in the title: a plotext
legend would cover the candles at 80×24); the setup detail draws the
setup's entry, stop and targets as horizontal lines and marks the signal bar. Indicators come from the
domain kernels (`cryptoterm.domain.indicators`, tested equal to `ta`) computed over extra warm-up bars, so the
lines start at the left edge. Like the dashboard chart it draws one candle per column and is told what to
draw by its screen, which bounds how often that happens.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from textual_plotext import PlotextPlot

from cryptoterm.domain.market import Candle
from cryptoterm.domain.timeframes import timeframe_ms
from cryptoterm.tui.formatting import fmt_bar_time

AXIS_COLUMNS = 12
MIN_CAPACITY = 10
X_LABELS = 5
LABEL_SPACING = 12
UP_COLOR = "green"
DOWN_COLOR = "red"


@dataclass(frozen=True, slots=True)
class Overlay:
    """A line drawn over the candles: one value per candle (NaN where undefined)."""

    label: str
    values: tuple[float, ...]
    color: str


@dataclass(frozen=True, slots=True)
class PriceLevel:
    """A horizontal line across the chart (entry, stop, target)."""

    label: str
    price: float
    color: str


def indicator_overlays(
    candles: Sequence[Candle],
    *,
    ema_fast: int = 9,
    ema_slow: int = 21,
    bb_period: int = 20,
    bb_deviations: float = 2.0,
    bollinger: bool = True,
) -> list[Overlay]:
    """EMA fast / slow and (optionally) Bollinger upper / mid / lower over `candles` (oldest first)."""
    from cryptoterm.domain.indicators import bollinger as bollinger_bands
    from cryptoterm.domain.indicators import ema

    closes = np.array([c.close for c in candles], dtype=np.float64)
    overlays: list[Overlay] = []
    if closes.size == 0:
        return overlays
    for period, color in ((ema_fast, "orange"), (ema_slow, "magenta")):
        if closes.size >= period:
            overlays.append(Overlay(f"EMA {period}", tuple(ema(closes, period).tolist()), color))
    if bollinger and closes.size >= bb_period:
        bands = bollinger_bands(closes, bb_period, bb_deviations)
        overlays.append(Overlay(f"BB {bb_period} upper", tuple(bands.upper.tolist()), "cyan"))
        overlays.append(Overlay(f"BB {bb_period} mid", tuple(bands.mid.tolist()), "blue"))
        overlays.append(Overlay(f"BB {bb_period} lower", tuple(bands.lower.tolist()), "cyan"))
    return overlays


class OverlayChart(PlotextPlot):
    """Candles, indicator lines and price levels in one plot."""

    DEFAULT_CSS = """
    OverlayChart { border: round $primary 60%; border-title-color: $text; border-title-style: bold; }
    """

    def __init__(self, *, warmup: int = 60, id: str | None = None) -> None:
        super().__init__(id=id)
        self.warmup = warmup
        self.timeframe = "1m"
        self.candles: tuple[Candle, ...] = ()
        self.overlays: tuple[Overlay, ...] = ()
        self.levels: tuple[PriceLevel, ...] = ()
        self.marker_time: int | None = None
        self.renders = 0

    @property
    def capacity(self) -> int:
        """How many candles fit: one per column of the plot area."""
        return max(MIN_CAPACITY, self.content_size.width - AXIS_COLUMNS)

    def show(
        self,
        title: str,
        timeframe: str,
        candles: Sequence[Candle],
        overlays: Sequence[Overlay] = (),
        levels: Sequence[PriceLevel] = (),
        *,
        marker_time: int | None = None,
    ) -> None:
        """Draw the last `capacity` of `candles`; overlays are aligned to `candles` and cut the same way."""
        visible = tuple(candles[-self.capacity :])
        cut = len(candles) - len(visible)
        self.timeframe = timeframe
        self.candles = visible
        self.overlays = tuple(Overlay(o.label, o.values[cut:], o.color) for o in overlays)
        self.levels = tuple(levels)
        self.marker_time = marker_time
        self.border_title = title
        self._draw()
        self.renders += 1

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        candles = self.candles
        if candles:
            xs = list(range(1, len(candles) + 1))
            data = {
                "Open": [c.open for c in candles],
                "Close": [c.close for c in candles],
                "High": [c.high for c in candles],
                "Low": [c.low for c in candles],
            }
            plt.candlestick(xs, data, colors=[UP_COLOR, DOWN_COLOR])  # type: ignore[arg-type]
            for overlay in self.overlays:
                points = [(x, v) for x, v in zip(xs, overlay.values, strict=False) if not math.isnan(v)]
                if points:
                    plt.plot(
                        [p[0] for p in points],
                        [p[1] for p in points],
                        color=overlay.color,
                        marker="braille",
                    )
            for level in self.levels:
                if math.isfinite(level.price):
                    plt.hline(level.price, level.color)
            if self.marker_time is not None:
                index = next((i for i, c in enumerate(candles, start=1) if c.open_time == self.marker_time), None)
                if index is not None:
                    plt.vline(index, "yellow")
            # Labels at least LABEL_SPACING columns apart: closer ones collide, and plotext then drops or
            # shifts one of them in an order that varies between processes.
            step = max(1, len(xs) // max(1, min(X_LABELS, len(xs) // LABEL_SPACING)))
            tf_ms = timeframe_ms(self.timeframe)
            ticks = xs[step // 2 :: step]  # away from the y axis, where plotext may clip the first label
            plt.xticks([float(t) for t in ticks], [fmt_bar_time(candles[t - 1].open_time, tf_ms) for t in ticks])
            plt.xlim(0.5, len(candles) + 0.5)
            self._fit_levels(candles)
        self.refresh()

    def _fit_levels(self, candles: Sequence[Candle]) -> None:
        """Keep every level on screen: widen the y range to include them."""
        prices = [lv.price for lv in self.levels if math.isfinite(lv.price)]
        if not prices:
            return
        low = min(min(c.low for c in candles), *prices)
        high = max(max(c.high for c in candles), *prices)
        pad = (high - low) * 0.03 or abs(high) * 0.001 or 1.0
        self.plt.ylim(low - pad, high + pad)
