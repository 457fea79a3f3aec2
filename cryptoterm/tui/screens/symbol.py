"""Symbol detail: chart with EMA fast / slow and Bollinger bands, the live depth ladder, and data quality.

It shows the session's selected symbol (enter on a watchlist row opens it; `[` / `]` step through the
watchlist). The ladder repaints with every snapshot (the app bounds those to `ui.max_fps`); the chart at most
`CHART_HZ` times a second; the quality check runs in a thread worker on open, on symbol change and every
`QUALITY_EVERY_S` seconds, over the 1m and 1h candles the feed holds in memory.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from cryptoterm.domain.quality import QualityReport
from cryptoterm.domain.timeframes import TIMEFRAMES
from cryptoterm.services.market_snapshot import MarketSnapshot
from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.context import TuiSession
from cryptoterm.tui.formatting import fmt_pct, fmt_price
from cryptoterm.tui.messages import UiStateChanged
from cryptoterm.tui.screens.base import LiveScreen
from cryptoterm.tui.widgets.candle_chart import CandleChart
from cryptoterm.tui.widgets.chart_overlays import indicator_overlays
from cryptoterm.tui.widgets.depth_ladder import DepthLadder, LadderView
from cryptoterm.tui.widgets.futures_line import FuturesLine
from cryptoterm.tui.widgets.quality_panel import QualityPanel, assess_series
from cryptoterm.tui.widgets.status_bar import StatusBar

#: The forming bar moves the chart at most this often; the ladder follows every snapshot (`ui.max_fps`).
CHART_HZ = 1.0
QUALITY_EVERY_S = 10.0
#: Candles per timeframe the quality check reads (what the feed keeps in memory).
QUALITY_BARS = 1500
EMA_FAST = 9
EMA_SLOW = 21
BB_PERIOD = 20
LADDER_LEVELS = (5, 10, 15, 20)
TIMEFRAME_KEYS: dict[str, str] = {str(i): tf for i, tf in enumerate(TIMEFRAMES, start=1)}


def chart_title(symbol: str, timeframe: str, last: float, first: float, *, bands: bool = True) -> str:
    """Names only the overlays drawn: with the bands off, the title drops "BB"."""
    change = (last / first - 1) * 100 if first else float("nan")
    overlays = f"EMA {EMA_FAST}/{EMA_SLOW}" + (f" · BB {BB_PERIOD}" if bands else "")
    return f"{symbol} · {timeframe} · {fmt_price(last)} {fmt_pct(change)} · {overlays}"


class SymbolScreen(LiveScreen):
    """The detail view of one symbol."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(key, f"timeframe('{tf}')", tf, show=key in ("1", "4"), tooltip=f"Chart timeframe {tf}")
            for key, tf in TIMEFRAME_KEYS.items()
        ),
        Binding("left_square_bracket", "step(-1)", "Prev", key_display="[", tooltip="Previous watchlist symbol"),
        Binding("right_square_bracket", "step(1)", "Next", key_display="]", tooltip="Next watchlist symbol"),
        Binding("b", "toggle_bands", "Bands", tooltip="Show or hide the Bollinger bands"),
        Binding("plus", "depth(1)", "Depth+", key_display="+", show=False, tooltip="More order book levels"),
        Binding("minus", "depth(-1)", "Depth-", key_display="-", show=False, tooltip="Fewer order book levels"),
        Binding("comma", "cursor(-1)", "Cursor ←", key_display=",", show=False, tooltip="Chart cursor a bar older"),
        Binding("full_stop", "cursor(1)", "Cursor →", key_display=".", show=False, tooltip="Chart cursor a bar newer"),
        Binding("escape", "back", "Back", tooltip="Hide the chart cursor, else back to the dashboard"),
    ]

    #: This screen's name in the remembered state.
    STATE_KEY = "symbol"

    DEFAULT_CSS = """
    SymbolScreen #symbol-main { height: 1fr; }
    SymbolScreen #symbol-chart { width: 1fr; height: 100%; }
    SymbolScreen #symbol-ladder { width: 36; height: 100%; }
    SymbolScreen #symbol-quality { max-height: 5; }
    """

    def __init__(self, session: TuiSession) -> None:
        super().__init__(session, name="symbol", id="symbol")
        self.symbol = ""
        saved = session.ui.timeframes.get(self.STATE_KEY, "")
        self.timeframe = saved if saved in TIMEFRAMES else session.timeframe
        self.bands = True
        self.levels = 10
        self.chart_draws = 0
        self.quality_runs = 0
        self._chart_drawn_at = 0.0
        self._chart_timer: Timer | None = None
        #: What the chart shows now: unchanged data is not redrawn (see `redraw_chart`).
        self._chart_drawn: tuple[object, ...] = ()

    def compose(self) -> ComposeResult:
        with Horizontal(id="symbol-main"):
            yield CandleChart(warmup=3 * EMA_SLOW, id="symbol-chart")
            yield DepthLadder(levels=self.levels, id="symbol-ladder")
        yield QualityPanel(id="symbol-quality")
        yield FuturesLine(id="symbol-futures")
        yield StatusBar(self.session.runtime.mode, self.session.runtime.exchange, id="symbol-status")
        yield Footer()

    def on_mount(self) -> None:
        self._follow_session()
        super().on_mount()
        self.set_interval(QUALITY_EVERY_S, self._timed_quality, name="quality")
        self.call_after_refresh(self.redraw_chart)

    def on_screen_resume(self) -> None:
        changed = self._follow_session()
        super().on_screen_resume()
        if changed:
            self.redraw_chart()

    def on_resize(self) -> None:
        self.call_after_refresh(self.redraw_chart)

    def _follow_session(self) -> bool:
        """Show the session's selected symbol (set by the dashboard); True when that is a change."""
        wanted = self.session.selected_symbol or (self.session.symbols[0] if self.session.symbols else "")
        if wanted == self.symbol:
            return False
        self.symbol = wanted
        self.query_one(QualityPanel).show(())
        self.check_quality()
        return True

    # ------------------------------------------------------------------ widgets
    @property
    def chart(self) -> CandleChart:
        return self.query_one(CandleChart)

    @property
    def ladder(self) -> DepthLadder:
        return self.query_one(DepthLadder)

    # ------------------------------------------------------------------ data in
    def apply_snapshot(self, snapshot: MarketSnapshot) -> None:
        super().apply_snapshot(snapshot)
        self.refresh_ladder()
        self.query_one(FuturesLine).show_for(self.session.views, self.symbol, snapshot.ts)
        wait = 1.0 / CHART_HZ - (time.monotonic() - self._chart_drawn_at)
        if wait <= 0:
            self.redraw_chart()
        elif self._chart_timer is None:
            self._chart_timer = self.set_timer(wait, self._timed_redraw, name="chart-throttle")

    def _timed_redraw(self) -> None:
        self._chart_timer = None
        self.redraw_chart()

    def ladder_view(self) -> LadderView | None:
        books = self.session.books
        book = books.get(self.symbol) if books is not None and self.symbol else None
        return LadderView.from_book(self.symbol, book, self.levels) if book is not None else None

    def refresh_ladder(self) -> None:
        self.ladder.levels = self.levels
        self.ladder.show(self.symbol, self.ladder_view())

    def redraw_chart(self) -> None:
        chart = self.chart
        symbol, timeframe = self.symbol, self.timeframe
        candles = self.session.feed.candles(symbol, timeframe, chart.capacity + chart.warmup) if symbol else []
        self._chart_drawn_at = time.monotonic()
        drawn = (symbol, timeframe, self.bands, chart.size, len(candles), candles[-1] if candles else None)
        if drawn == self._chart_drawn:
            return  # same bars, same size: nothing to compute or plot
        self._chart_drawn = drawn
        overlays = indicator_overlays(
            candles, ema_fast=EMA_FAST, ema_slow=EMA_SLOW, bb_period=BB_PERIOD, bollinger=self.bands
        )
        if candles:
            shown = candles[-chart.capacity :]
            title = chart_title(symbol, timeframe, candles[-1].close, shown[0].open, bands=self.bands)
        else:
            title = f"{symbol or 'no symbol'} · {timeframe} · waiting for data"
        chart.show(title, timeframe, candles, overlays, symbol=symbol)
        self.chart_draws += 1

    def _timed_quality(self) -> None:
        if self.is_current:  # the screen of another mode stays alive; check only what is on screen
            self.check_quality()

    def check_quality(self) -> None:
        """Score the symbol's in-memory 1m and 1h candles in a thread worker."""
        symbol = self.symbol
        if not symbol:
            return
        feed = self.session.feed
        series = [(tf, feed.candles(symbol, tf, QUALITY_BARS)) for tf in ("1m", "1h")]
        snapshot = self.session.snapshot
        now = snapshot.ts if snapshot is not None else max((c[-1].open_time for _, c in series if c), default=0)
        quality = self.session.config.quality
        job = partial(
            assess_series,
            symbol,
            series,
            now,
            spike_sigma=quality.spike_sigma,
            stale_after_ms=int(quality.stale_after_s * 1000),
        )
        self.run_worker(job, name=f"quality {symbol}", group="quality", thread=True, exclusive=True)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)
        worker: Worker[Any] = event.worker
        if event.state == WorkerState.SUCCESS and worker.group == "quality":
            reports: list[QualityReport] = worker.result or []
            if reports and reports[0].symbol == self.symbol:
                self.quality_runs += 1
                self.query_one(QualityPanel).show(reports)

    # ------------------------------------------------------------------ actions
    def show_symbol(self, symbol: str) -> None:
        self.session.selected_symbol = symbol
        if self._follow_session():
            self.refresh_ladder()
            self.redraw_chart()

    def action_step(self, delta: int) -> None:
        symbols = self.session.symbols
        if not symbols:
            return
        index = symbols.index(self.symbol) if self.symbol in symbols else -delta
        self.show_symbol(symbols[(index + delta) % len(symbols)])

    def action_timeframe(self, timeframe: str) -> None:
        if timeframe not in TIMEFRAMES:
            self.notify(f"unknown timeframe {timeframe!r}", severity="error")
            return
        self.timeframe = timeframe
        self.session.ui.timeframes[self.STATE_KEY] = timeframe
        self.post_message(UiStateChanged())
        self.redraw_chart()

    def action_cursor(self, delta: int) -> None:
        """Show the chart's cursor, or move it a bar (its readout names the bar's OHLCV, EMAs and bands)."""
        self.chart.move_cursor(delta)

    def action_back(self) -> None:
        """`escape`: a shown cursor goes first, then the screen."""
        if not self.chart.hide_cursor():
            self.app.switch_mode("dashboard")

    def action_toggle_bands(self) -> None:
        self.bands = not self.bands
        self.redraw_chart()

    def action_depth(self, step: int) -> None:
        index = LADDER_LEVELS.index(self.levels) if self.levels in LADDER_LEVELS else 1
        self.levels = LADDER_LEVELS[max(0, min(len(LADDER_LEVELS) - 1, index + step))]
        self.refresh_ladder()

    def palette_commands(self) -> list[PaletteCommand]:
        commands = [
            PaletteCommand(f"Detail of {s}", f"Show {s}'s chart, depth and data quality", partial(self.show_symbol, s))
            for s in self.session.symbols
        ]
        commands += [
            PaletteCommand(f"Detail timeframe {tf}", f"Chart {tf} candles", partial(self.action_timeframe, tf), key)
            for key, tf in TIMEFRAME_KEYS.items()
        ]
        commands += [
            PaletteCommand(
                "Previous symbol", "Detail of the previous watchlist symbol", partial(self.action_step, -1), "["
            ),
            PaletteCommand("Next symbol", "Detail of the next watchlist symbol", partial(self.action_step, 1), "]"),
            PaletteCommand("Toggle Bollinger bands", "Show or hide the bands", self.action_toggle_bands, "b"),
            PaletteCommand(
                "Chart cursor", "Show the chart cursor and its readout", partial(self.action_cursor, 0), ","
            ),
            PaletteCommand("More depth levels", "Show more order book levels", partial(self.action_depth, 1), "+"),
            PaletteCommand("Fewer depth levels", "Show fewer order book levels", partial(self.action_depth, -1), "-"),
            PaletteCommand("Check data quality", "Score this symbol's candles now", self.check_quality),
        ]
        return commands
