"""The candlestick chart (plotext via textual-plotext): candles, indicator lines, price levels, a marked bar, and
optionally a volume panel and up to two study panels (RSI, MACD) under the price panel — the one chart every
screen draws with.

The dashboard shows its configured studies (`[chart] studies`, see `study_panels`); the symbol detail EMA
fast / slow and Bollinger bands; the setup detail the setup's entry, stop and targets as labelled lines and its
signal bar marked. Overlays are named in the title: a plotext legend would cover the candles at 80×24.

The chart is the expensive widget: plotext rebuilds the whole plot in Python, and parses its ANSI output, on
every build. So it is told what to draw (`show`) by its screen, which bounds how often that happens; it draws
only the bars that fit (one candle per column of the plot area, `capacity`); and it plots again only when what
it would draw differs from what is on screen at the terminal's resolution (`PlotShape`): a trade that moves
the forming bar's close within one character row changes the title's price, not a single cell of the plot.
A plot is built once per change and size, however often the terminal repaints it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static
from textual_plotext.plot import Plot

from cryptoterm.domain.market import Candle
from cryptoterm.domain.timeframes import timeframe_ms
from cryptoterm.tui.formatting import axis_label_step, fmt_bar_time, fmt_pct, fmt_price
from cryptoterm.tui.widgets.cached_plot import CachedPlot, bar_at_column
from cryptoterm.tui.widgets.chart_overlays import Overlay, PriceLevel, level_label
from cryptoterm.tui.widgets.chart_readout import readout_text
from cryptoterm.tui.widgets.study_panels import StudyPanel

#: Columns plotext uses for the y-axis labels and frame; what is left holds one candle per column.
AXIS_COLUMNS = 12
MIN_CAPACITY = 10
#: Below this many rows inside the border the volume panel is hidden.
MIN_HEIGHT_FOR_VOLUME = 12
#: Study panels (RSI, MACD) under the price; each needs this many more rows of chart to be shown.
MAX_STUDY_PANELS = 2
ROWS_PER_STUDY_PANEL = 5
X_LABELS = 5
LABEL_SPACING = 12
UP_COLOR = "green"
DOWN_COLOR = "red"
#: Vertical steps per character row the finest marks resolve (braille lines: four dots a cell).
STEPS_PER_ROW = 4


def chart_title(symbol: str, timeframe: str, candles: Sequence[Candle], *, overlays: str = "") -> str:
    """ "BTC/USDT · 1m · 43,210.50 · +1.25% / 120 bars · EMA 21" — the change is over the bars shown."""
    if not symbol:
        return "no symbol"
    if not candles:
        return f"{symbol} · {timeframe} · waiting for data"
    last = candles[-1].close
    first = candles[0].open
    change = (last / first - 1.0) * 100.0 if first else float("nan")
    named = f" · {overlays}" if overlays else ""
    return f"{symbol} · {timeframe} · {fmt_price(last)} · {fmt_pct(change)} / {len(candles)} bars{named}"


def _steps(value: float, low: float, span: float, steps: int) -> int:
    """Which of `steps` vertical steps between `low` and `low + span` `value` falls in (-1: not drawn)."""
    if not math.isfinite(value):
        return -1
    return int((value - low) / span * steps) if span > 0 else 0


def price_shape(
    candles: Sequence[Candle], overlays: Sequence[Overlay], levels: Sequence[PriceLevel], rows: int
) -> tuple[object, ...]:
    """What the price panel looks like at `rows` character rows: equal shapes draw equal plots.

    The y range is exact (the axis labels print it); every price and line is reduced to the vertical step it lands
    on, finer than any mark plotext draws.
    """
    if not candles:
        return ()
    prices = [c.low for c in candles] + [c.high for c in candles]
    prices += [lv.price for lv in levels if math.isfinite(lv.price)]
    low, high = min(prices), max(prices)
    span, steps = high - low, max(1, rows) * STEPS_PER_ROW
    bars = tuple(
        (c.open_time, c.close >= c.open, *(_steps(v, low, span, steps) for v in (c.open, c.close, c.high, c.low)))
        for c in candles
    )
    lines = tuple((o.label, o.color, tuple(_steps(v, low, span, steps) for v in o.values)) for o in overlays)
    return (low, high, bars, lines, tuple(levels))


def volume_shape(candles: Sequence[Candle], rows: int) -> tuple[object, ...]:
    """What the volume panel looks like at `rows` character rows (its top is the largest volume, exact)."""
    if not candles:
        return ()
    top = max(c.volume for c in candles)
    steps = max(1, rows) * STEPS_PER_ROW
    return (top, tuple((c.open_time, c.close >= c.open, _steps(c.volume, 0.0, top, steps)) for c in candles))


def panel_shape(panel: StudyPanel, bars: int, rows: int) -> tuple[object, ...]:
    """What a study panel looks like at `rows` character rows, over the last `bars` values."""
    values = [v for line in panel.lines for v in line.values[-bars:] if math.isfinite(v)]
    values += [v for v in panel.bars[-bars:] if math.isfinite(v)] + list(panel.guides)
    if panel.ylim is not None:
        low, high = panel.ylim
    elif values:
        low, high = min(values), max(values)
    else:
        return (panel.label,)
    span, steps = high - low, max(1, rows) * STEPS_PER_ROW
    lines = tuple((o.color, tuple(_steps(v, low, span, steps) for v in o.values[-bars:])) for o in panel.lines)
    hist = tuple(_steps(v, low, span, steps) for v in panel.bars[-bars:])
    return (panel.label, low, high, lines, hist, panel.guides)


class CandleChart(Vertical):
    """Price panel (candles, lines, levels) over an optional volume panel, titled by its screen."""

    DEFAULT_CSS = """
    CandleChart { border: round $primary 60%; border-title-color: $text; border-title-style: bold; }
    CandleChart > #price { height: 3fr; }
    CandleChart > #volume { height: 1fr; min-height: 3; }
    CandleChart.-no-volume > #volume { display: none; }
    CandleChart > .study-panel { height: 1fr; min-height: 4; display: none; }
    CandleChart > .study-panel.-shown { display: block; }
    CandleChart > #readout { height: 1; display: none; color: $text; }
    CandleChart.-cursor > #readout { display: block; }
    """

    def __init__(self, *, warmup: int = 60, volume: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.warmup = warmup
        self.volume = volume
        self.symbol = ""
        self.timeframe = "1m"
        self.candles: tuple[Candle, ...] = ()
        self.overlays: tuple[Overlay, ...] = ()
        self.levels: tuple[PriceLevel, ...] = ()
        self.marker_time: int | None = None
        #: Lower panels (RSI, MACD) as given, and how many of them fit the chart's height.
        self.panels: tuple[StudyPanel, ...] = ()
        self._panel_shapes: list[tuple[object, ...] | None] = [None] * MAX_STUDY_PANELS
        #: The cursor bar, counted back from the newest one shown (0: the newest); None: no cursor.
        self.cursor: int | None = None
        #: Drawings asked for (`show`), and plots actually rebuilt (only when the picture changes).
        self.shows = 0
        self.renders = 0
        self._price_shape: tuple[object, ...] | None = None
        self._volume_shape: tuple[object, ...] | None = None

    def compose(self) -> ComposeResult:
        yield CachedPlot(id="price")
        yield CachedPlot(id="volume")
        for i in range(MAX_STUDY_PANELS):
            plot = CachedPlot(id=f"study-{i}")
            plot.add_class("study-panel")
            yield plot
        yield Static("", id="readout", markup=False)

    def on_mount(self) -> None:
        self.set_class(not self.volume, "-no-volume")

    def on_resize(self) -> None:
        self._fit_panels()

    def _fit_panels(self) -> None:
        """In a short chart the price panel needs every row: drop lower panels rather than squash them all."""
        height = self.content_size.height
        self.set_class(not self.volume or height < MIN_HEIGHT_FOR_VOLUME, "-no-volume")
        room = max(0, (height - MIN_HEIGHT_FOR_VOLUME) // ROWS_PER_STUDY_PANEL)
        for i in range(MAX_STUDY_PANELS):
            self.query_one(f"#study-{i}", CachedPlot).set_class(i < min(room, len(self.panels)), "-shown")

    @property
    def shown_panels(self) -> int:
        """How many study panels are on screen (the rest did not fit the height)."""
        return sum(1 for i in range(MAX_STUDY_PANELS) if self.query_one(f"#study-{i}").has_class("-shown"))

    @property
    def capacity(self) -> int:
        """How many candles fit: one per column of the plot area."""
        return max(MIN_CAPACITY, self.content_size.width - AXIS_COLUMNS)

    @property
    def title(self) -> str:
        return str(self.border_title or "")

    @property
    def plt(self) -> Plot:
        """The price panel's plot (what `show` last drew on it)."""
        return self.query_one("#price", CachedPlot).plt

    @property
    def ema(self) -> tuple[float, ...]:
        """The first line's values over the candles shown (the dashboard's EMA)."""
        return self.overlays[0].values if self.overlays else ()

    def show(
        self,
        title: str,
        timeframe: str,
        candles: Sequence[Candle],
        overlays: Sequence[Overlay] = (),
        levels: Sequence[PriceLevel] = (),
        *,
        marker_time: int | None = None,
        symbol: str = "",
        panels: Sequence[StudyPanel] | None = None,
        volume: bool | None = None,
    ) -> bool:
        """Draw the last `capacity` of `candles`; overlays are aligned to `candles` and cut the same way.

        `panels` (RSI, MACD; aligned to `candles` too) and `volume` replace the lower panels when given. The title
        always follows; a plot is rebuilt only when it would look different. True when one was.
        """
        if panels is not None:
            self.panels = tuple(panels)[:MAX_STUDY_PANELS]
        if volume is not None:
            self.volume = volume
        if panels is not None or volume is not None:
            self._fit_panels()
        visible = tuple(candles[-self.capacity :])
        cut = len(candles) - len(visible)
        self.symbol, self.timeframe, self.candles = symbol, timeframe, visible
        self.overlays = tuple(Overlay(o.label, o.values[cut:], o.color) for o in overlays)
        self.levels = tuple(levels)
        self.marker_time = marker_time
        self.border_title = title
        self.shows += 1
        price, bars = self.query_one("#price", CachedPlot), self.query_one("#volume", CachedPlot)
        drawn = False
        shape: tuple[object, ...] = (
            timeframe,
            price.size,
            marker_time,
            self.cursor,
            price_shape(visible, self.overlays, self.levels, price.size.height),
        )
        if shape != self._price_shape:
            self._price_shape = shape
            self._draw_price(price)
            drawn = True
        if self.volume:
            shape = (bars.size, bars.display, volume_shape(visible, bars.size.height))
            if shape != self._volume_shape:
                self._volume_shape = shape
                self._draw_volume(bars)
                drawn = True
        for i, panel in enumerate(self.panels):
            plot = self.query_one(f"#study-{i}", CachedPlot)
            if not plot.has_class("-shown"):
                continue
            shape = (plot.size, panel_shape(panel, len(visible), plot.size.height))
            if shape != self._panel_shapes[i]:
                self._panel_shapes[i] = shape
                self._draw_panel(plot, panel, len(visible))
                drawn = True
        self.renders += drawn
        self._show_readout()
        return drawn

    # ------------------------------------------------------------------ cursor
    def on_click(self, event: events.Click) -> None:
        """A click on the price plot puts the cursor on the bar under the pointer."""
        plot = self.query_one("#price", CachedPlot)
        offset = event.get_content_offset(plot)
        frame = plot.frame_columns()
        if offset is None or frame is None or not self.candles or not frame[0] <= offset.x < frame[1]:
            return
        self.cursor = len(self.candles) - 1 - bar_at_column(offset.x, frame, len(self.candles))
        self._cursor_moved()

    def move_cursor(self, delta: int) -> None:
        """Show the cursor (on the newest bar) or move it `delta` bars (negative: older), within the bars shown."""
        if not self.candles:
            return
        newest_back = len(self.candles) - 1
        self.cursor = 0 if self.cursor is None else min(newest_back, max(0, self.cursor - delta))
        self._cursor_moved()

    def hide_cursor(self) -> bool:
        """Hide the cursor and its readout; False when there was none."""
        if self.cursor is None:
            return False
        self.cursor = None
        self._cursor_moved()
        return True

    def _cursor_moved(self) -> None:
        self._price_shape = None  # the next `show` compares against the picture drawn here
        self._draw_price(self.query_one("#price", CachedPlot))
        self._show_readout()

    @property
    def readout(self) -> str:
        """The cursor bar's time, OHLCV and every shown study's value ("" without a cursor)."""
        if self.cursor is None or not self.candles:
            return ""
        self.cursor = min(self.cursor, len(self.candles) - 1)
        return readout_text(self.candles, self.cursor, self.overlays, self.panels)

    def _show_readout(self) -> None:
        self.set_class(self.cursor is not None, "-cursor")
        if self.cursor is not None:
            self.query_one("#readout", Static).update(self.readout)

    def _draw_price(self, plot: CachedPlot) -> None:
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
            for overlay in self.overlays:
                points = [(x, v) for x, v in zip(xs, overlay.values, strict=False) if not math.isnan(v)]
                if points:
                    plt.plot([p[0] for p in points], [p[1] for p in points], color=overlay.color, marker="braille")
            for level in self.levels:
                if math.isfinite(level.price):
                    plt.hline(level.price, level.color)
                    # Named at the right edge, over its line: colours alone don't say which line is the stop.
                    plt.text(level_label(level), x=len(candles), y=level.price, color=level.color, alignment="right")
            if self.marker_time is not None:
                index = next((i for i, c in enumerate(candles, start=1) if c.open_time == self.marker_time), None)
                if index is not None:
                    plt.vline(index, "yellow")
            if self.cursor is not None:
                plt.vline(max(1, len(candles) - self.cursor), "white")
            # Labels at least LABEL_SPACING columns apart: closer ones collide, and plotext then drops or
            # shifts one of them in an order that varies between processes.
            tf_ms = timeframe_ms(self.timeframe)
            width = max(LABEL_SPACING - 2, len(fmt_bar_time(candles[0].open_time, tf_ms)))
            step = axis_label_step(len(xs), X_LABELS, width)
            ticks = xs[step // 2 :: step]  # away from the y axis, where plotext may clip the first label
            plt.xticks([float(t) for t in ticks], [fmt_bar_time(candles[t - 1].open_time, tf_ms) for t in ticks])
            plt.xlim(0.5, len(candles) + 0.5)
            self._fit_levels(candles)
        plot.redraw()

    def _fit_levels(self, candles: Sequence[Candle]) -> None:
        """Keep every level on screen: widen the y range to include them."""
        prices = [lv.price for lv in self.levels if math.isfinite(lv.price)]
        if not prices:
            return
        low = min(min(c.low for c in candles), *prices)
        high = max(max(c.high for c in candles), *prices)
        pad = (high - low) * 0.03 or abs(high) * 0.001 or 1.0
        self.plt.ylim(low - pad, high + pad)

    def _draw_volume(self, plot: CachedPlot) -> None:
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
        plot.redraw()

    def _draw_panel(self, plot: CachedPlot, panel: StudyPanel, bars: int) -> None:
        """An oscillator under the price: its lines, its histogram in up / down colours, its guides."""
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(panel.label)
        for guide in panel.guides:
            plt.hline(guide, "gray")
        hist = panel.bars[-bars:]
        offset = bars - len(hist) + 1
        for up, color in ((True, UP_COLOR), (False, DOWN_COLOR)):
            points = [(i, v) for i, v in enumerate(hist, start=offset) if math.isfinite(v) and (v >= 0) == up]
            if points:
                plt.bar([p[0] for p in points], [p[1] for p in points], color=color, width=0.6)
        for line in panel.lines:
            values = line.values[-bars:]
            start = bars - len(values) + 1
            points = [(x, v) for x, v in enumerate(values, start=start) if math.isfinite(v)]
            if points:
                plt.plot([p[0] for p in points], [p[1] for p in points], color=line.color, marker="braille")
        if panel.ylim is not None:
            plt.ylim(*panel.ylim)
        plt.xlim(0.5, bars + 0.5)
        plt.xticks([])
        plot.redraw()
