"""Candlestick chart with an EMA overlay and a volume panel (plotext via textual-plotext).

The chart is the expensive widget: plotext rebuilds the whole plot in Python on every render. So it is told
what to draw (`show`) by its screen, which throttles it to a few repaints a second, and it draws only the
bars that fit: one candle per column of the plot area (`capacity`). The EMA is computed over the extra
warm-up bars the screen fetches, so the line starts at the left edge instead of after `period` bars.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Vertical
from textual_plotext import PlotextPlot

from cryptoterm.domain.market import Candle
from cryptoterm.domain.timeframes import timeframe_ms
from cryptoterm.tui.formatting import fmt_bar_time, fmt_pct, fmt_price

#: Columns plotext uses for the y-axis labels and frame; what is left holds one candle per column.
AXIS_COLUMNS = 12
MIN_CAPACITY = 10
#: Below this many rows inside the border the volume panel is hidden.
MIN_HEIGHT_FOR_VOLUME = 12
X_LABELS = 6
UP_COLOR = "green"
DOWN_COLOR = "red"
EMA_COLOR = "orange"


def ema_values(closes: Sequence[float], period: int) -> list[float]:
    """EMA of `closes` (ta's convention: span=period, not adjusted; NaN for the first period-1 bars)."""
    if not closes:
        return []
    # Imported here: pandas is only needed once a chart has data, after the first frame is on screen.
    from cryptoterm.domain.indicators import ema

    return [float(v) for v in ema(list(closes), period)]  # type: ignore[arg-type]


def chart_title(symbol: str, timeframe: str, candles: Sequence[Candle]) -> str:
    """ "BTC/USDT · 1m · 43,210.50 +1.25%" — the change is over the bars shown."""
    if not symbol:
        return "no symbol"
    if not candles:
        return f"{symbol} · {timeframe} · waiting for data"
    last = candles[-1].close
    first = candles[0].open
    change = (last / first - 1.0) * 100.0 if first else float("nan")
    return f"{symbol} · {timeframe} · {fmt_price(last)} · {fmt_pct(change)} / {len(candles)} bars"


class CandleChart(Vertical):
    """Price panel (candles + EMA) above a volume panel, titled with symbol, timeframe and last price."""

    DEFAULT_CSS = """
    CandleChart { border: round $primary 60%; border-title-color: $text; border-title-style: bold; }
    CandleChart > #price { height: 3fr; }
    CandleChart > #volume { height: 1fr; min-height: 3; }
    CandleChart.-no-volume > #volume { display: none; }
    """

    def __init__(self, *, ema_period: int = 21, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ema_period = ema_period
        self.symbol = ""
        self.timeframe = "1m"
        self.candles: tuple[Candle, ...] = ()
        self.ema: tuple[float, ...] = ()
        self.renders = 0

    def compose(self) -> ComposeResult:
        yield PlotextPlot(id="price")
        yield PlotextPlot(id="volume")

    def on_mount(self) -> None:
        self.border_title = chart_title(self.symbol, self.timeframe, self.candles)

    def on_resize(self) -> None:
        # In a short chart the price panel needs every row: drop the volume panel rather than squash both.
        self.set_class(self.content_size.height < MIN_HEIGHT_FOR_VOLUME, "-no-volume")

    @property
    def capacity(self) -> int:
        """How many candles fit: one per column of the plot area."""
        return max(MIN_CAPACITY, self.content_size.width - AXIS_COLUMNS)

    @property
    def warmup(self) -> int:
        """Extra bars to fetch before the visible ones so the EMA is defined from the left edge."""
        return self.ema_period * 3

    @property
    def title(self) -> str:
        return str(self.border_title or "")

    def show(self, symbol: str, timeframe: str, candles: Sequence[Candle]) -> None:
        """Draw `candles` (oldest first; may include warm-up bars, only the last `capacity` are drawn)."""
        closes = [c.close for c in candles]
        ema_all = ema_values(closes, self.ema_period) if len(closes) >= self.ema_period else []
        visible = tuple(candles[-self.capacity :])
        self.symbol, self.timeframe, self.candles = symbol, timeframe, visible
        self.ema = tuple(ema_all[-len(visible) :]) if ema_all and visible else ()
        self.border_title = chart_title(symbol, timeframe, visible)
        self._draw_price()
        self._draw_volume()
        self.renders += 1

    def _x_ticks(self, xs: list[int]) -> tuple[list[float], list[str]]:
        if not self.candles:
            return [], []
        step = max(1, len(xs) // X_LABELS)
        tf_ms = timeframe_ms(self.timeframe)
        ticks = xs[::step]
        return [float(t) for t in ticks], [fmt_bar_time(self.candles[i - 1].open_time, tf_ms) for i in ticks]

    def _draw_price(self) -> None:
        plot = self.query_one("#price", PlotextPlot)
        plt = plot.plt
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
            # plotext's stubs say dates are strings, but numeric positions work and keep one bar per column.
            plt.candlestick(xs, data, colors=[UP_COLOR, DOWN_COLOR])  # type: ignore[arg-type]
            ema_points = [(x, v) for x, v in zip(xs, self.ema, strict=False) if not math.isnan(v)]
            if ema_points:
                plt.plot(
                    [p[0] for p in ema_points],
                    [p[1] for p in ema_points],
                    color=EMA_COLOR,
                    marker="braille",
                    label=f"EMA {self.ema_period}",
                )
            ticks, labels = self._x_ticks(xs)
            plt.xticks(ticks, labels)
            plt.xlim(0.5, len(candles) + 0.5)
        plot.refresh()

    def _draw_volume(self) -> None:
        plot = self.query_one("#volume", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        candles = self.candles
        if candles:
            ups = [(i, c.volume) for i, c in enumerate(candles, start=1) if c.close >= c.open]
            downs = [(i, c.volume) for i, c in enumerate(candles, start=1) if c.close < c.open]
            for points, color in ((ups, UP_COLOR), (downs, DOWN_COLOR)):
                if points:
                    plt.bar([p[0] for p in points], [p[1] for p in points], color=color, width=0.6)
            plt.xlim(0.5, len(candles) + 0.5)
            plt.xticks([])
        plot.refresh()
