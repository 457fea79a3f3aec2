"""The dashboard: watchlist, chart of the selected symbol, log pane and status bar.

Layout follows the terminal: side by side from 160 columns, stacked below that; the log pane is hidden below
30 rows so 80×24 still shows a useful table and chart. The table repaints with every snapshot (the app
already bounds those to `ui.max_fps`); the chart, which is far more expensive, at most `CHART_HZ` times a
second, plus at once when the symbol, timeframe or its size changes.
"""

from __future__ import annotations

import time
from functools import partial
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container
from textual.timer import Timer
from textual.widgets import Footer

from cryptoterm.domain.timeframes import TIMEFRAMES
from cryptoterm.services.snapshots import MarketSnapshot
from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.context import TuiSession
from cryptoterm.tui.messages import SymbolSelected
from cryptoterm.tui.screens.base import LiveScreen
from cryptoterm.tui.widgets.candle_chart import CandleChart
from cryptoterm.tui.widgets.log_pane import LogPane
from cryptoterm.tui.widgets.status_bar import StatusBar
from cryptoterm.tui.widgets.watchlist import Watchlist

CHART_HZ = 3.0
#: Keys 1…6 select the timeframes in order.
TIMEFRAME_KEYS: dict[str, str] = {str(i): tf for i, tf in enumerate(TIMEFRAMES, start=1)}


class DashboardScreen(LiveScreen):
    """The home screen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(key, f"timeframe('{tf}')", tf, show=key in ("1", "4"), tooltip=f"Chart timeframe {tf}")
            for key, tf in TIMEFRAME_KEYS.items()
        ),
        Binding("l", "toggle_log", "Log", tooltip="Show or hide the log pane"),
        Binding("a", "add_symbol", "Add", tooltip="Add a symbol to the watchlist (subscribes its streams)"),
        Binding("x", "remove_symbol", "Remove", show=False, tooltip="Remove the highlighted symbol from the watchlist"),
    ]

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (160, "-wide")]  # noqa: RUF012 (typed by Screen)
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]  # noqa: RUF012 (typed by Screen)

    def __init__(self, session: TuiSession) -> None:
        super().__init__(session, name="dashboard", id="dashboard")
        self.chart_draws = 0
        self._chart_drawn_at = 0.0
        self._chart_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Container(id="main"):
            yield Watchlist(self.session.symbols, id="watchlist")
            yield CandleChart(ema_period=self.session.config.ui.ema_period, id="chart")
        yield LogPane(id="log")
        yield StatusBar(self.session.runtime.mode, self.session.runtime.exchange, id="status")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        if not self.session.selected_symbol and self.session.symbols:
            self.session.selected_symbol = self.session.symbols[0]
        self.watchlist.select_symbol(self.session.selected_symbol)
        self.watchlist.focus()
        self.call_after_refresh(self.redraw_chart)

    def on_screen_resume(self) -> None:
        # Another screen may have changed the selection (the symbol detail steps through symbols).
        super().on_screen_resume()
        symbol = self.session.selected_symbol
        if symbol and self.watchlist.selected_symbol != symbol:
            self.watchlist.select_symbol(symbol)
        self.redraw_chart()

    # ------------------------------------------------------------------ widgets
    @property
    def watchlist(self) -> Watchlist:
        return self.query_one(Watchlist)

    @property
    def chart(self) -> CandleChart:
        return self.query_one(CandleChart)

    # ------------------------------------------------------------------ data in
    def apply_snapshot(self, snapshot: MarketSnapshot) -> None:
        super().apply_snapshot(snapshot)
        self.watchlist.apply_tickers(snapshot.tickers)
        self._schedule_chart()

    def _schedule_chart(self) -> None:
        """Redraw now if the last draw is old enough, else once when it is (never more than CHART_HZ)."""
        wait = 1.0 / CHART_HZ - (time.monotonic() - self._chart_drawn_at)
        if wait <= 0:
            self.redraw_chart()
        elif self._chart_timer is None:
            self._chart_timer = self.set_timer(wait, self._timed_redraw, name="chart-throttle")

    def _timed_redraw(self) -> None:
        self._chart_timer = None
        self.redraw_chart()

    def redraw_chart(self) -> None:
        """Fetch the bars that fit (plus EMA warm-up) from the feed and draw them."""
        symbol, timeframe = self.session.selected_symbol, self.session.timeframe
        chart = self.chart
        candles = self.session.feed.candles(symbol, timeframe, chart.capacity + chart.warmup) if symbol else []
        chart.show(symbol, timeframe, candles)
        self._chart_drawn_at = time.monotonic()
        self.chart_draws += 1

    # ------------------------------------------------------------------ user actions
    def on_symbol_selected(self, message: SymbolSelected) -> None:
        message.stop()
        self.select_symbol(message.symbol)

    def on_resize(self) -> None:
        self.call_after_refresh(self.redraw_chart)

    def select_symbol(self, symbol: str) -> None:
        """Chart `symbol` (and put the watchlist cursor on it)."""
        if symbol == self.session.selected_symbol and self.chart.symbol == symbol:
            return
        self.session.selected_symbol = symbol
        self.watchlist.select_symbol(symbol)
        self.redraw_chart()

    def action_timeframe(self, timeframe: str) -> None:
        if timeframe not in TIMEFRAMES:
            self.notify(f"unknown timeframe {timeframe!r}", severity="error")
            return
        self.session.timeframe = timeframe
        self.redraw_chart()

    def action_toggle_log(self) -> None:
        if self.has_class("-short"):
            self.notify("The log pane needs a terminal at least 30 rows high.", severity="warning")
            return
        self.toggle_class("-log-hidden")

    def action_add_symbol(self) -> None:
        from cryptoterm.tui.screens.symbol_prompt import SymbolPrompt

        self.app.push_screen(SymbolPrompt(), self._add_symbol_chosen)

    def _add_symbol_chosen(self, symbol: str | None) -> None:
        if symbol:
            self.run_worker(self._change_watchlist(symbol, add=True), group="watchlist", exit_on_error=False)

    def action_remove_symbol(self) -> None:
        symbol = self.watchlist.selected_symbol
        if symbol:
            self.run_worker(self._change_watchlist(symbol, add=False), group="watchlist", exit_on_error=False)

    async def _change_watchlist(self, symbol: str, *, add: bool) -> None:
        """Add or remove through the runtime (which (un)subscribes the stream); the table follows the next
        snapshot. A refusal (unknown symbol, market still starting) is a notification, not an error."""
        runtime = self.session.runtime
        try:
            if add:
                await runtime.add_symbol(symbol)
            else:
                await runtime.remove_symbol(symbol)
        except ValueError as exc:
            self.notify(str(exc), title="Watchlist", severity="warning")
            return
        if add:
            self.select_symbol(symbol)
        elif self.session.selected_symbol == symbol:
            remaining = [s for s in self.session.symbols if s != symbol]
            self.session.selected_symbol = remaining[0] if remaining else ""
        self.apply_snapshot(self.session.feed.snapshot())
        self.notify(f"{'Added' if add else 'Removed'} {symbol}", title="Watchlist", timeout=3)

    def palette_commands(self) -> list[PaletteCommand]:
        commands = [
            PaletteCommand(
                f"Chart {symbol}", f"Select {symbol} in the watchlist and chart it", partial(self.select_symbol, symbol)
            )
            for symbol in self.watchlist.symbols
        ]
        commands += [
            PaletteCommand(f"Timeframe {tf}", f"Chart {tf} candles", partial(self.action_timeframe, tf), key)
            for key, tf in TIMEFRAME_KEYS.items()
        ]
        commands.append(PaletteCommand("Toggle log pane", "Show or hide the log pane", self.action_toggle_log, "l"))
        commands.append(PaletteCommand("Add symbol to watchlist", "Watch one more symbol", self.action_add_symbol, "a"))
        commands.append(
            PaletteCommand(
                "Remove symbol from watchlist", "Stop watching the highlighted symbol", self.action_remove_symbol, "x"
            )
        )
        return commands
