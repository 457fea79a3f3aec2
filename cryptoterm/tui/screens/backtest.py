"""The backtest screen: the scanner's own strategies on stored candles — `n` opens the form (strategy, symbols,
range, fill / sizing / costs, params or a sweep of them), the run goes to a thread worker with a progress bar
(`x` cancels), and the results fill five tabs: the equity curve and its drawdown, the stats (with the bootstrap
drawdown percentiles), the trades (enter: the trade on a chart with its levels), the sweep's points with a heat
map of the rank metric over two params (`v` switches them; enter backtests a point alone), and the stored runs
(space marks, `c` or enter compares the marked runs side by side).

Every number comes from the services the `backtest` command runs (`backtest_jobs`), and every run is stored
as the command stores it, so a run made here is listed by `cryptoterm export backtests` and the other way round.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, ProgressBar, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from cryptoterm.tui.backtest_form_model import BacktestOrder, Catalog, FormValues
from cryptoterm.tui.backtest_jobs import RunOutcome, load_catalog, load_runs, run_order, wall_clock_ms
from cryptoterm.tui.backtest_view import RunView, SweepView, format_metric, heat_grid
from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.context import TuiSession
from cryptoterm.tui.screens.base import LiveScreen
from cryptoterm.tui.widgets.backtest_stats import stats_panel
from cryptoterm.tui.widgets.backtest_tables import RunsTable, SweepTable, TradeTable
from cryptoterm.tui.widgets.equity_chart import PALETTE, Curve, EquityChart
from cryptoterm.tui.widgets.heat_map import HeatMap
from cryptoterm.tui.widgets.row_table import RowTable
from cryptoterm.tui.widgets.status_bar import StatusBar

RUN_GROUP, CATALOG_GROUP, RUNS_GROUP = "bt-run", "bt-catalog", "bt-runs"
TABS = ("bt-tab-equity", "bt-tab-stats", "bt-tab-trades", "bt-tab-sweep", "bt-tab-runs")
NO_SWEEP = "No sweep yet: give a param two or more values in the form (n)."
NO_RUN = "No backtest yet: n chooses a strategy, symbols, range and params (or a sweep)."


class BacktestScreen(LiveScreen):
    """Backtests of the configured strategies (see the module docstring)."""

    DEFAULT_CSS = """
    BacktestScreen #bt-panel { height: auto; max-height: 3; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    BacktestScreen #bt-progress { height: 1; padding: 0 1; }
    BacktestScreen #bt-tabs { height: 1fr; }
    BacktestScreen #bt-tabs > ContentSwitcher { height: 1fr; }
    BacktestScreen TabPane { height: 1fr; padding: 0; }
    BacktestScreen #bt-equity { height: 3fr; }
    BacktestScreen #bt-drawdown { height: 2fr; min-height: 5; }
    BacktestScreen #bt-stats-scroll { height: 1fr; padding: 0 1; }
    BacktestScreen #bt-sweep { height: 1fr; min-height: 4; }
    BacktestScreen #bt-heat { max-height: 60%; }
    BacktestScreen #bt-runs { height: 1fr; }
    BacktestScreen #bt-runs-hint { height: 1; padding: 0 1; color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", "New backtest", tooltip="Choose strategy, symbols, range and params, then run"),
        Binding("x", "cancel", "Cancel", tooltip="Stop the backtest or sweep that is running"),
        Binding("c", "compare", "Compare", tooltip="Compare the runs marked in the runs tab (space marks)"),
        Binding("space", "mark", "Mark", show=False, tooltip="Mark / unmark the highlighted stored run"),
        Binding("v", "axes", "Heat axes", show=False, tooltip="Heat map: the next pair of swept params"),
        Binding("o", "sort", "Sort", show=False, tooltip="Sort the table by the next column"),
        Binding("r", "reverse", "Reverse", show=False, tooltip="Reverse the table's sort"),
        *(Binding(str(i), f"tab({i})", name, show=False, tooltip=f"Show the {name.lower()} tab")
          for i, name in enumerate(("Equity", "Stats", "Trades", "Sweep", "Runs"), start=1)),
        Binding("escape", "app.switch_mode('dashboard')", "Back", show=False, tooltip="Back to the dashboard"),
    ]  # fmt: skip

    def __init__(self, session: TuiSession) -> None:
        super().__init__(session, name="backtest", id="backtest")
        self.values: FormValues | None = None
        self.catalog: Catalog | str | None = None
        self.run_view: RunView | None = None
        self.sweep_view: SweepView | None = None
        self.running: BacktestOrder | None = None
        self.progress = (0, 0)
        self.message = ""
        self.axes = 0
        self.runs_loaded = 0
        self.runs_error = ""
        #: When a run is stored (epoch ms); the screenshots freeze it.
        self.clock = wall_clock_ms
        self._cancel = threading.Event()
        # The tabs' widgets, held here: panes mount after the screen does, so they are not queried on mount.
        self.equity_chart = EquityChart(id="bt-equity")
        self.drawdown_chart = EquityChart(fill=True, id="bt-drawdown")
        self.stats = Static(Text(NO_RUN, style="dim"), id="bt-stats")
        self.trade_table = TradeTable(id="bt-trades")
        self.sweep_table = SweepTable(id="bt-sweep")
        self.heat_map = HeatMap(id="bt-heat", note=NO_SWEEP)
        self.runs_table = RunsTable(id="bt-runs")
        self.runs_hint = Static(id="bt-runs-hint")

    def compose(self) -> ComposeResult:
        yield Static(id="bt-panel")
        yield ProgressBar(id="bt-progress", show_eta=False)
        with TabbedContent(id="bt-tabs"):
            with TabPane("1 Equity", id=TABS[0]):
                yield self.equity_chart
                yield self.drawdown_chart
            with TabPane("2 Stats", id=TABS[1]), VerticalScroll(id="bt-stats-scroll"):
                yield self.stats
            with TabPane("3 Trades", id=TABS[2]):
                yield self.trade_table
            with TabPane("4 Sweep", id=TABS[3]):
                yield self.sweep_table
                yield self.heat_map
            with TabPane("5 Runs", id=TABS[4]):
                yield self.runs_table
                yield self.runs_hint
        yield StatusBar(self.session.runtime.mode, self.session.runtime.exchange, id="bt-status")
        yield Footer()

    def on_mount(self) -> None:
        # Textual also runs `LiveScreen.on_mount` (every class's handler runs): no super() call here.
        self.query_one(ProgressBar).display = False
        self.paint()
        self.load_catalog()
        self.load_runs()

    def on_unmount(self) -> None:
        self._cancel.set()

    # ------------------------------------------------------------------ loading
    def load_catalog(self) -> None:
        self.run_worker(lambda: load_catalog(self.session), name="backtest catalog", group=CATALOG_GROUP,
                        thread=True, exclusive=True)  # fmt: skip

    def load_runs(self) -> None:
        self.run_worker(lambda: load_runs(self.session), name="stored backtests", group=RUNS_GROUP, thread=True,
                        exclusive=True)  # fmt: skip

    # ------------------------------------------------------------------ actions
    def action_new(self) -> None:
        from cryptoterm.tui.screens.backtest_form import BacktestForm

        if self.running is not None:
            self.notify("A backtest is running; x cancels it.", severity="warning")
            return
        config = self.session.config
        if not config.strategy:
            self.message = "No [[strategy]] tables in the config: add one to backtest it."
            self.paint()
            return
        self.load_catalog()  # candles may have been downloaded since
        values = self.values or FormValues.initial(config)
        self.app.push_screen(BacktestForm(config, values, lambda: self.catalog), self._form_done)

    def _form_done(self, result: tuple[FormValues, BacktestOrder] | None) -> None:
        if result is not None:
            self.values = result[0]
            self.start(result[1])

    def start(self, order: BacktestOrder) -> None:
        """Run `order` in a thread worker (a sweep when it has one)."""
        self.running = order
        self._cancel = threading.Event()
        cancel = self._cancel
        self.progress = (0, order.points if order.sweep else 0)
        self.message = ""
        bar = self.query_one(ProgressBar)
        bar.update(total=order.points if order.sweep else None, progress=0)
        bar.display = True
        self.paint()
        now = self.clock()

        def progress(done: int, total: int) -> None:
            self.app.call_from_thread(self._show_progress, done, total)

        self.run_worker(lambda: run_order(self.session, order, progress, cancel, now), name="backtest",
                        group=RUN_GROUP, thread=True, exclusive=True)  # fmt: skip

    def action_cancel(self) -> None:
        if self.running is not None:
            self._cancel.set()
            self.message = "Cancelling…"
            self.paint()

    def action_tab(self, number: int) -> None:
        tab = TABS[number - 1]
        self.query_one(TabbedContent).active = tab
        tables = self.query_one(f"#{tab}").query(RowTable)
        if tables:
            tables.first().focus()

    def _active_table(self) -> RowTable[Any] | None:
        tables = self.query_one(f"#{self.query_one(TabbedContent).active}").query(RowTable)
        return tables.first() if tables else None

    def action_sort(self) -> None:
        table = self._active_table()
        if table is not None:
            keys = [key for key, _, _ in table.COLUMNS]
            current = keys.index(table.sort_key) if table.sort_key in keys else -1
            table.sort_by(keys[(current + 1) % len(keys)])

    def action_reverse(self) -> None:
        table = self._active_table()
        if table is not None:
            table.reverse()

    def action_mark(self) -> None:
        self.runs_table.toggle_mark()
        self.paint()

    def action_compare(self) -> None:
        from cryptoterm.tui.screens.backtest_compare import BacktestCompareScreen

        records = self.runs_table.marked_records()
        if len(records) < 2:
            self.action_tab(5)
            self.notify("Mark two or more stored runs with space, then press c.", severity="warning")
            return
        self.app.push_screen(BacktestCompareScreen(self.session, records))

    def action_axes(self) -> None:
        if self.sweep_view is not None and self.sweep_view.axes():
            self.axes = (self.axes + 1) % len(self.sweep_view.axes())
            self.paint_heat_map()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        table = event.data_table
        if isinstance(table, TradeTable) and self.run_view is not None and (row := table.selected) is not None:
            from cryptoterm.tui.screens.backtest_trade import BacktestTradeScreen

            self.app.push_screen(BacktestTradeScreen(self.session, self.run_view, row[0]))
        elif isinstance(table, SweepTable) and self.sweep_view is not None and (point := table.selected) is not None:
            self.backtest_point(point.params)
        elif isinstance(table, RunsTable):
            self.action_compare()

    def backtest_point(self, params: dict[str, float]) -> None:
        """Backtest one point of the sweep on screen on its own (its equity, trades, stats)."""
        from cryptoterm.services.sweeps import with_params

        sweep = self.sweep_view
        if sweep is None or self.running is not None:
            return
        order = BacktestOrder(with_params(sweep.strategy, params), sweep.symbols, sweep.since_ms, sweep.until_ms,
                              sweep.rules)  # fmt: skip
        self.start(order)

    # ------------------------------------------------------------------ results
    def _show_progress(self, done: int, total: int) -> None:
        self.progress = (done, total)
        self.query_one(ProgressBar).update(total=total or None, progress=done)
        self.paint()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # `LiveScreen.on_worker_state_changed` reports failures; Textual runs it after this handler.
        worker: Worker[Any] = event.worker
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        result = worker.result if event.state == WorkerState.SUCCESS else None
        if worker.group == CATALOG_GROUP:
            self.catalog = result if isinstance(result, Catalog | str) else "the store's symbols could not be read"
        elif worker.group == RUNS_GROUP:
            self.show_runs(result)
        elif worker.group == RUN_GROUP:
            self.running = None
            self.query_one(ProgressBar).display = False
            if isinstance(result, RunOutcome):
                self.show_outcome(result)
            else:
                self.message = "The backtest failed; the log says why."
            self.paint()

    def show_outcome(self, outcome: RunOutcome) -> None:
        self.message = outcome.message
        if outcome.run is not None:
            self.show_run(outcome.run)
            self.action_tab(1)
        if outcome.sweep is not None:
            self.show_sweep(outcome.sweep)
            self.action_tab(4)
        if outcome.run is not None or outcome.sweep is not None:
            self.load_runs()

    def show_run(self, run: RunView) -> None:
        self.run_view = run
        name = run.strategy.name
        self.equity_chart.show(
            f"equity · {name} · {format_metric(run.metrics.get('final_equity'), 'money')}",
            [Curve("equity", PALETTE[0], run.times, run.equity)],
        )
        self.drawdown_chart.show(
            f"drawdown % · max {format_metric(run.metrics.get('max_drawdown'), 'pct')}",
            [Curve("drawdown", "red", run.times, run.drawdown * 100.0)],
        )
        self.stats.update(stats_panel(run))
        self.trade_table.show(list(enumerate(run.trades)))

    def show_sweep(self, sweep: SweepView) -> None:
        self.sweep_view = sweep
        self.axes = 0
        table = self.sweep_table
        table.set_rank(sweep.rank)
        table.show(sweep.points)
        self.paint_heat_map()

    def paint_heat_map(self) -> None:
        sweep = self.sweep_view
        heat = self.heat_map
        axes = sweep.axes() if sweep is not None else []
        if sweep is None or not axes:
            heat.show(None)
            return
        x, y = axes[self.axes % len(axes)]
        heat.show(heat_grid(sweep, x, y))

    def show_runs(self, result: object) -> None:
        if isinstance(result, list):
            self.runs_loaded += 1
            self.runs_error = ""
            self.runs_table.show_runs(result)
        else:
            self.runs_error = result if isinstance(result, str) else "the stored runs could not be read"
        self.paint_runs_hint()

    # ------------------------------------------------------------------ panel
    def paint(self) -> None:
        self.query_one("#bt-panel", Static).update(self.panel_text())
        self.paint_runs_hint()

    def paint_runs_hint(self) -> None:
        table = self.runs_table
        hint = f"{len(table.rows_loaded)} stored · {len(table.marked)} marked · space marks · c or enter compares"
        self.runs_hint.update(self.runs_error or hint)

    def panel_text(self) -> Text:
        """What is shown (the sweep on its tab, else the run), then what runs now and the last message."""
        from cryptoterm.services.sweeps import label

        text = Text(no_wrap=True, overflow="ellipsis")
        run, sweep = self.run_view, self.sweep_view
        on_sweep = self.is_mounted and self.query_one(TabbedContent).active == TABS[3]
        if sweep is not None and (on_sweep or run is None):
            best = next((p for p in sweep.points if p.metrics is not None), None)
            text.append(f"Sweep #{sweep.backtest_id}", style="bold")
            text.append(f" · {sweep.strategy.name} · {len(sweep.points)} points by {sweep.rank}")
            if best is not None and best.metrics is not None:
                text.append(f" · best {label(best.params)} ({getattr(best.metrics, sweep.rank):.4g})")
        elif run is not None:
            stored = f"#{run.backtest_id}" if run.backtest_id is not None else "(not stored)"
            text.append(f"Run {stored}", style="bold")
            text.append(f" · {run.title()}")
        else:
            text.append(NO_RUN, style="dim")
        order = self.running
        if order is not None:
            done, total = self.progress
            what = f"sweep {done}/{total} points" if order.sweep else "backtest: reading candles and simulating"
            text.append(f"\n{order.strategy.name}: {what} · x cancels", style="bold yellow")
        if self.message:
            text.append(f"\n{self.message}", style="yellow")
        return text

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.paint()

    def palette_commands(self) -> list[PaletteCommand]:
        return [
            PaletteCommand("New backtest", "Choose strategy, symbols, range and params, then run", self.action_new,
                           "n"),
            PaletteCommand("Cancel the backtest", "Stop the backtest or sweep that is running", self.action_cancel,
                           "x"),
            PaletteCommand("Compare marked runs", "Stored runs marked with space, side by side", self.action_compare,
                           "c"),
            PaletteCommand("Heat map: next params", "The next pair of swept params", self.action_axes, "v"),
        ]  # fmt: skip
