"""The dashboard: watchlist, chart of the selected symbol, log pane and status bar.

Layout follows the terminal: side by side from 160 columns, stacked below that; below 30 rows the log pane and
alert feed give way to the chart (`l` swaps them in) so 80×24 still shows a useful table and chart. The table
repaints with every snapshot (the app already bounds those to `ui.max_fps`); the chart, which is far more
expensive, at most `CHART_HZ` times a second (and only when its picture changes), plus at once when the symbol,
timeframe or its size changes.
"""

from __future__ import annotations

import time
from functools import partial
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal
from textual.timer import Timer
from textual.widgets import Footer

from cryptoterm.domain.chart_study_terms import Study
from cryptoterm.domain.timeframes import TIMEFRAMES
from cryptoterm.services.market_snapshot import MarketSnapshot
from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.context import TuiSession
from cryptoterm.tui.messages import SymbolSelected, UiStateChanged
from cryptoterm.tui.screens.base import LiveScreen
from cryptoterm.tui.screens.dashboard_views import DASHBOARD_VIEW_BINDINGS, DashboardViews, futures_market
from cryptoterm.tui.widgets.alert_feed import AlertFeed, FeedItemChosen
from cryptoterm.tui.widgets.candle_chart import CandleChart, chart_title
from cryptoterm.tui.widgets.log_pane import LogPane
from cryptoterm.tui.widgets.pair_watch_bar import PairWatchBar
from cryptoterm.tui.widgets.positions_panel import PositionsPanel
from cryptoterm.tui.widgets.replay_bar import ReplayBar
from cryptoterm.tui.widgets.status_bar import StatusBar
from cryptoterm.tui.widgets.study_panels import configured_studies, shown_studies, study_drawing, warmup_bars
from cryptoterm.tui.widgets.watchlist import Watchlist

#: The forming bar moves the chart at most this often; prices move the watchlist at `ui.max_fps`.
CHART_HZ = 1.0
#: Keys 1…6 select the timeframes in order.
TIMEFRAME_KEYS: dict[str, str] = {str(i): tf for i, tf in enumerate(TIMEFRAMES, start=1)}


class DashboardScreen(DashboardViews, LiveScreen):
    """The home screen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(key, f"timeframe('{tf}')", tf, show=key in ("1", "4"), tooltip=f"Chart timeframe {tf}")
            for key, tf in TIMEFRAME_KEYS.items()
        ),
        Binding("left_square_bracket", "step(-1)", "Prev", key_display="[", show=False, tooltip="Previous symbol"),
        Binding("right_square_bracket", "step(1)", "Next", key_display="]", show=False, tooltip="Next symbol"),
        Binding("l", "toggle_log", "Log", tooltip="Show or hide the log pane"),
        Binding("comma", "cursor(-1)", "Cursor ←", key_display=",", show=False, tooltip="Chart cursor a bar older"),
        Binding("full_stop", "cursor(1)", "Cursor →", key_display=".", show=False, tooltip="Chart cursor a bar newer"),
        Binding("escape", "hide_cursor", "Hide cursor", show=False, tooltip="Hide the chart cursor and its readout"),
        Binding("I", "choose_studies", "Studies", show=False, tooltip="Show or hide the chart's studies (per symbol)"),
        Binding("a", "add_symbol", "Add", tooltip="Add a symbol to the watchlist (subscribes its streams)"),
        Binding("x", "remove_symbol", "Remove", show=False, tooltip="Remove the highlighted symbol from the watchlist"),
        *DASHBOARD_VIEW_BINDINGS,
    ]

    #: This screen's name in the remembered state.
    STATE_KEY = "dashboard"

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (160, "-wide")]  # noqa: RUF012 (typed by Screen)
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]  # noqa: RUF012 (typed by Screen)

    def __init__(self, session: TuiSession) -> None:
        super().__init__(session, name="dashboard", id="dashboard")
        self.ema_period = session.config.ui.ema_period
        #: The configured chart studies (`[chart] studies`; by default an EMA of `ui.ema_period` and the volume).
        self.studies = configured_studies(session.config.chart.studies, self.ema_period)
        self.chart_draws = 0
        self._chart_drawn_at = 0.0
        self._chart_timer: Timer | None = None
        #: What the chart shows now (symbol, timeframe, size, bar count, newest bar): unchanged data is not redrawn.
        self._chart_drawn: tuple[object, ...] = ()

    def compose(self) -> ComposeResult:
        with Container(id="main"):
            yield Watchlist(self.session.symbols, futures=futures_market(self.session), id="watchlist")
            yield CandleChart(warmup=warmup_bars(self.studies), volume=True, id="chart")
        with Horizontal(id="bottom"):
            yield LogPane(id="log")
            yield AlertFeed(bell=self.session.config.alerts.bell, id="alert-feed")
        yield PairWatchBar(id="pair-watch")
        yield PositionsPanel(id="positions-panel")
        yield ReplayBar(id="replay-bar")
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
        if symbol:
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
        self.apply_market_views(snapshot)
        self._show_watched_pair(snapshot)
        self._follow_alerts()
        if self._reconcile_selection():
            self.redraw_chart()
        else:
            self._schedule_chart()

    def _show_watched_pair(self, snapshot: MarketSnapshot) -> None:
        bar = self.query_one(PairWatchBar)
        if bar.pair != self.session.watched_pair:
            bar.show_pair(self.session.watched_pair)
        bar.apply_tickers(snapshot.tickers)

    def _reconcile_selection(self) -> bool:
        """Keep the session's selection, the highlight and the chart on one symbol after rows came or went.

        A selected symbol that left the table hands the selection to the row the cursor now rests on (the one
        that moved up into its place); a selection still listed pulls the cursor back to its row. True when
        the selected symbol changed (the chart must follow at once).
        """
        table = self.watchlist
        selected = self.session.selected_symbol
        symbols = table.symbols
        changed = False
        if selected not in symbols:
            selected = table.selected_symbol or (symbols[0] if symbols else "")
            changed = selected != self.session.selected_symbol
            self.session.selected_symbol = selected
        if selected:
            table.select_symbol(selected)
        return changed or self.chart.symbol != selected

    def _schedule_chart(self) -> None:
        """Redraw now if the last draw is old enough, else once when it is (never more than CHART_HZ)."""
        wait = 1.0 / CHART_HZ - (time.monotonic() - self._chart_drawn_at)
        if wait <= 0:
            self.redraw_chart()
        elif self._chart_timer is None:
            self._chart_timer = self.set_timer(wait, self._timed_redraw, name="chart-throttle")

    @property
    def chart_redraw_pending(self) -> bool:
        """A throttled redraw is scheduled (data arrived faster than CHART_HZ)."""
        return self._chart_timer is not None

    def _timed_redraw(self) -> None:
        self._chart_timer = None
        self.redraw_chart()

    def redraw_chart(self) -> None:
        """Fetch the bars that fit (plus EMA warm-up) from the feed and draw them."""
        symbol, timeframe = self.session.selected_symbol, self.session.timeframe
        chart = self.chart
        candles = self.session.feed.candles(symbol, timeframe, chart.capacity + chart.warmup) if symbol else []
        self._chart_drawn_at = time.monotonic()
        shown = self.shown_studies(symbol)
        drawn = (symbol, timeframe, chart.size, len(candles), candles[-1] if candles else None, shown)
        if drawn == self._chart_drawn:
            return  # same bars, same size: plotting them again would only burn CPU
        self._chart_drawn = drawn
        studies = study_drawing(shown, candles)
        title = chart_title(symbol, timeframe, candles[-chart.capacity :], overlays=studies.title)
        chart.show(
            title, timeframe, candles, studies.overlays, symbol=symbol, panels=studies.panels, volume=studies.volume
        )
        self.chart_draws += 1

    # ------------------------------------------------------------------ user actions
    def on_symbol_selected(self, message: SymbolSelected) -> None:
        message.stop()
        self.select_symbol(message.symbol)

    def on_resize(self) -> None:
        self.call_after_refresh(self.redraw_chart)

    def select_symbol(self, symbol: str) -> None:
        """Chart `symbol` and highlight its row: the one way the dashboard's selection changes."""
        self.session.selected_symbol = symbol
        self.watchlist.select_symbol(symbol)
        if self.chart.symbol != symbol:
            self.redraw_chart()

    def action_step(self, delta: int) -> None:
        """Chart the previous / next watchlist symbol (wrapping), as on the symbol detail."""
        symbols = self.watchlist.symbols
        if not symbols:
            return
        current = self.session.selected_symbol
        index = symbols.index(current) if current in symbols else -delta
        self.select_symbol(symbols[(index + delta) % len(symbols)])

    def action_timeframe(self, timeframe: str) -> None:
        if timeframe not in TIMEFRAMES:
            self.notify(f"unknown timeframe {timeframe!r}", severity="error")
            return
        self.session.timeframe = timeframe
        self.session.ui.timeframes[self.STATE_KEY] = timeframe
        self.post_message(UiStateChanged())
        self.redraw_chart()

    def shown_studies(self, symbol: str) -> tuple[Study, ...]:
        """The studies `symbol`'s chart shows: all configured ones unless the user chose for this symbol."""
        return shown_studies(self.studies, self.session.ui.chart_studies.get(symbol))

    def action_choose_studies(self) -> None:
        """Open the checklist of configured studies for the charted symbol."""
        from cryptoterm.tui.screens.study_chooser import StudyChooser

        symbol = self.session.selected_symbol
        shown = [s.text for s in self.shown_studies(symbol)]
        self.app.push_screen(StudyChooser(symbol, self.studies, shown), partial(self._studies_chosen, symbol))

    def _studies_chosen(self, symbol: str, texts: list[str] | None) -> None:
        if texts is None or not symbol:
            return
        self.session.ui.chart_studies[symbol] = texts
        self.post_message(UiStateChanged())
        self.redraw_chart()

    def action_cursor(self, delta: int) -> None:
        """Show the chart's cursor, or move it a bar (its readout names the bar's OHLCV and study values)."""
        self.chart.move_cursor(delta)

    def action_hide_cursor(self) -> None:
        self.chart.hide_cursor()

    def action_toggle_log(self) -> None:
        """Tall terminals show the log under the chart (`l` hides it); below 30 rows `l` shows it, with the alert
        feed, in the chart's place, and `l` again brings the chart back."""
        if self.has_class("-short"):
            self.toggle_class("-log-shown")
            if not self.has_class("-log-shown"):
                self.redraw_chart()
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
        symbol = symbol.strip().upper()
        if add and symbol in self.session.symbols:
            self.select_symbol(symbol)
            self.notify(f"{symbol} is already in the watchlist", title="Watchlist", timeout=3)
            return
        neighbour = self._neighbour_of(symbol)
        try:
            if add:
                await runtime.add_symbol(symbol)
            else:
                await runtime.remove_symbol(symbol)
        except ValueError as exc:
            self.notify(str(exc), title="Watchlist", severity="warning")
            return
        self.apply_snapshot(self.session.feed.snapshot())
        if add:
            self.select_symbol(symbol)
        elif self.session.selected_symbol in (symbol, ""):
            self.select_symbol(neighbour)
        self.notify(f"{'Added' if add else 'Removed'} {symbol}", title="Watchlist", timeout=3)
        self.session.ui.watchlist = list(self.session.symbols)
        self.post_message(UiStateChanged())

    def _neighbour_of(self, symbol: str) -> str:
        """The row that takes `symbol`'s place when it goes: the next one, else the previous one."""
        symbols = self.watchlist.symbols
        if symbol not in symbols:
            return self.session.selected_symbol
        index = symbols.index(symbol)
        rest = symbols[:index] + symbols[index + 1 :]
        return rest[min(index, len(rest) - 1)] if rest else ""

    # ------------------------------------------------------------------ alerts and market events
    def _follow_alerts(self) -> None:
        """Bind the alert feed once the engine has its alerts, and show each symbol's attention score."""
        runtime = self.session.runtime
        feed = self.query_one(AlertFeed)
        if not feed.bound and (runtime.alerts is not None or runtime.anomalies is not None):
            feed.bind(runtime.alerts, runtime.anomalies)
        if runtime.anomalies is not None:
            self.watchlist.apply_attention(runtime.anomalies.attention())

    def on_feed_item_chosen(self, message: FeedItemChosen) -> None:
        """Enter on a feed row: the symbol at the alert's (or event's) time, with what fired and its delivery."""
        from cryptoterm.tui.screens.alert_detail import AlertDetailScreen

        item = message.item
        candles = self.session.feed.candles(item.symbol, "1m", 1500) if item.symbol else []
        if item.symbol in self.watchlist.symbols:
            self.select_symbol(item.symbol)
        self.app.push_screen(AlertDetailScreen(item, candles))

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
        commands.append(
            PaletteCommand("Previous symbol", "Chart the previous watchlist symbol", partial(self.action_step, -1), "[")
        )
        commands.append(
            PaletteCommand("Next symbol", "Chart the next watchlist symbol", partial(self.action_step, 1), "]")
        )
        commands.append(
            PaletteCommand(
                "Chart studies", "Show or hide the chart's studies for this symbol", self.action_choose_studies, "I"
            )
        )
        commands.append(
            PaletteCommand("Chart cursor", "Show the chart cursor and its readout", partial(self.action_cursor, 0), ",")
        )
        commands.append(PaletteCommand("Toggle log pane", "Show or hide the log pane", self.action_toggle_log, "l"))
        commands.append(PaletteCommand("Add symbol to watchlist", "Watch one more symbol", self.action_add_symbol, "a"))
        commands += self.view_commands()
        commands.append(
            PaletteCommand(
                "Remove symbol from watchlist", "Stop watching the highlighted symbol", self.action_remove_symbol, "x"
            )
        )
        return commands
