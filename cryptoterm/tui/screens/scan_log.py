"""Scan log: the recorded scans (`scan_runs`), newest first, with the per-symbol errors of the highlighted one.

Read in a thread worker when the screen opens or comes back and after every scan; never polled.
"""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState

from cryptoterm.adapters.store.setups_repo import ScanRunRow
from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.context import TuiSession
from cryptoterm.tui.formatting import fmt_clock
from cryptoterm.tui.messages import ScanFinished, ScanStarted
from cryptoterm.tui.scan_scheduler import scanning_of, scheduler_of
from cryptoterm.tui.screens.base import LiveScreen
from cryptoterm.tui.widgets.status_bar import StatusBar

LOAD_LIMIT = 200
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("time", "Started (UTC)", 19),
    ("origin", "Origin", 12),
    ("duration", "Took", 8),
    ("strategies", "Strat", 5),
    ("symbols", "Syms", 5),
    ("hits", "Hits", 5),
    ("new", "New", 4),
    ("errors", "Errs", 5),
)


def fmt_duration(ms: int | None) -> str:
    if ms is None:
        return "running"
    return f"{ms} ms" if ms < 10_000 else f"{ms / 1000:.1f} s"


def run_cells(run: ScanRunRow) -> list[Text]:
    """The styled cells of one scan (pure)."""
    errors = len(run.errors)
    return [
        Text(fmt_clock(run.started_ms)),
        Text(run.origin),
        Text(fmt_duration(run.duration_ms), justify="right", style="" if run.duration_ms is not None else "yellow"),
        Text(str(run.strategies), justify="right"),
        Text(str(run.symbols), justify="right"),
        Text(str(run.hits), justify="right"),
        Text(str(run.new_setups), justify="right", style="bold green" if run.new_setups else ""),
        Text(str(errors), justify="right", style="bold red" if errors else ""),
    ]


def errors_view(run: ScanRunRow | None) -> Table | Text:
    """The highlighted scan's per-symbol errors (strategy, symbol, error)."""
    if run is None:
        return Text("No scans recorded yet.", style="dim")
    if not run.errors:
        return Text(f"Scan #{run.id}: no errors.", style="dim")
    table = Table(box=None, show_header=True, header_style="bold", expand=True, padding=(0, 1, 0, 0))
    table.add_column("Strategy", no_wrap=True)
    table.add_column("Symbol", no_wrap=True)
    table.add_column("Error", ratio=1)
    for error in run.errors:
        table.add_row(error.get("strategy", "?"), error.get("symbol", "?"), Text(error.get("error", ""), style="red"))
    return table


class ScanLogScreen(LiveScreen):
    """The scan history."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "scan_now", "Scan now", tooltip="Run every enabled strategy now"),
        Binding("r", "reload", "Refresh", tooltip="Read the scan log again"),
        Binding("escape", "app.switch_mode('dashboard')", "Back", show=False, tooltip="Back to the dashboard"),
    ]

    DEFAULT_CSS = """
    ScanLogScreen #scanlog-table { height: 1fr; }
    ScanLogScreen #scanlog-errors { height: auto; max-height: 40%; border: round $primary 40%; padding: 0 1; }
    """

    def __init__(self, session: TuiSession) -> None:
        super().__init__(session, name="scan-log", id="scan-log")
        self.runs: list[ScanRunRow] = []
        self.loads = 0

    def compose(self) -> ComposeResult:
        yield DataTable(id="scanlog-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="scanlog-errors")
        yield StatusBar(self.session.runtime.mode, self.session.runtime.exchange, id="scanlog-status")
        yield Footer()

    def on_mount(self) -> None:
        for key, header, width in COLUMNS:
            self.table.add_column(header, key=key, width=width)
        self.query_one("#scanlog-errors", Static).border_title = "Errors"
        super().on_mount()
        self.table.focus()
        self.action_reload()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.action_reload()

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#scanlog-table", DataTable)

    @property
    def highlighted(self) -> ScanRunRow | None:
        table = self.table
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((r for r in self.runs if str(r.id) == key), None)

    def action_reload(self) -> None:
        scanning = scanning_of(self.session)
        if scanning is None:
            self.query_one("#scanlog-errors", Static).update(Text("The scanner does not run in this mode."))
            return
        job = partial(scanning.repo.scan_runs, LOAD_LIMIT)
        self.run_worker(job, name="load scan log", group="load", thread=True, exclusive=True)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)
        worker: Worker[Any] = event.worker
        if event.state == WorkerState.SUCCESS and worker.group == "load":
            self.show_runs(worker.result or [])

    def show_runs(self, runs: list[ScanRunRow]) -> None:
        self.loads += 1
        selected = self.highlighted
        self.runs = list(runs)
        table = self.table
        table.clear()
        for run in self.runs:
            table.add_row(*run_cells(run), key=str(run.id))
        if selected is not None:
            try:
                table.move_cursor(row=table.get_row_index(str(selected.id)))
            except Exception:
                table.move_cursor(row=0)
        self.paint_errors()

    def paint_errors(self) -> None:
        self.query_one("#scanlog-errors", Static).update(errors_view(self.highlighted))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.paint_errors()

    def on_scan_started(self, message: ScanStarted) -> None:
        self.action_reload()

    def on_scan_finished(self, message: ScanFinished) -> None:
        self.action_reload()

    def action_scan_now(self) -> None:
        scheduler = scheduler_of(self.app)
        if scheduler is None:
            self.notify("The scanner does not run in this mode.", severity="warning")
        elif not scheduler.scan_now("manual"):
            self.notify("A scan is running; another one follows it.")

    def palette_commands(self) -> list[PaletteCommand]:
        return [
            PaletteCommand("Scan now", "Run every enabled strategy now", self.action_scan_now, "n"),
            PaletteCommand("Refresh scan log", "Read the scan log again", self.action_reload, "r"),
        ]
