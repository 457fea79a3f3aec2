"""`TableScreen`: the base of the scanner screens (setups, strategies, scan log) — a `RowTable` of what the scan
session keeps, a panel about it, the status bar and the footer.

What they share lives here once: loading the rows (in a thread worker when it reads the store, `exclusive` so a
newer load replaces one still running) when the screen opens, comes back and after each scan; never polling;
saying so when this mode has no scanner; repainting the panel as the cursor moves; and `n`, scan now. A screen
declares its table, its panel and how it loads (`load_rows`), and adds its own keys.
"""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar, Generic, TypeVar

from rich.console import RenderableType
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState

from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.context import ScanningView, TuiSession
from cryptoterm.tui.messages import ScanFinished
from cryptoterm.tui.screens.base import LiveScreen
from cryptoterm.tui.widgets.row_table import RowTable
from cryptoterm.tui.widgets.status_bar import StatusBar

R = TypeVar("R")

NO_SCANNER = "The scanner does not run in this mode."
LOAD_GROUP = "load"
#: Keys every scanner screen has (each screen lists its keys in its own order: the footer shows that order).
SCAN_NOW_BINDING = Binding("n", "scan_now", "Scan now", tooltip="Run every enabled strategy now")
BACK_BINDING = Binding("escape", "app.switch_mode('dashboard')", "Back", show=False, tooltip="Back to the dashboard")


class TableScreen(LiveScreen, Generic[R]):
    """A scanner screen: a table of records loaded from the scan session, and a panel. See the module docstring."""

    #: Widget ids (the screens' CSS and tests address them).
    TABLE_ID: ClassVar[str] = ""
    PANEL_ID: ClassVar[str] = ""
    STATUS_ID: ClassVar[str] = ""
    #: The panel's border title ("" for none), and whether it sits above the table instead of under it.
    PANEL_TITLE: ClassVar[str] = ""
    PANEL_ABOVE: ClassVar[bool] = False
    #: Loading reads the store: run it in a thread worker (False: cheap, in memory, loaded on the spot).
    LOAD_IN_THREAD: ClassVar[bool] = True

    def __init__(self, session: TuiSession, *, name: str) -> None:
        super().__init__(session, name=name, id=name)
        self.loads = 0

    # ------------------------------------------------------------------ what a screen declares
    def make_table(self) -> RowTable[R]:
        raise NotImplementedError

    def load_rows(self, scanning: ScanningView) -> list[R]:
        """The records to show (in a worker thread when `LOAD_IN_THREAD`)."""
        raise NotImplementedError

    def panel(self) -> RenderableType:
        """What the panel shows for the current rows and cursor (or that this mode has no scanner)."""
        raise NotImplementedError

    def rows_shown(self, rows: list[R]) -> None:
        """Called after freshly loaded rows reached the table (subclasses follow up)."""

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        panel = Static(id=self.PANEL_ID)
        if self.PANEL_ABOVE:
            yield panel
        yield self.make_table()
        if not self.PANEL_ABOVE:
            yield panel
        yield StatusBar(self.session.runtime.mode, self.session.runtime.exchange, id=self.STATUS_ID)
        yield Footer()

    def on_mount(self) -> None:
        if self.PANEL_TITLE:
            self.panel_widget.border_title = self.PANEL_TITLE
        super().on_mount()
        self.table.focus()
        self.load()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.load()

    @property
    def table(self) -> RowTable[R]:
        table: RowTable[R] = self.query_one(f"#{self.TABLE_ID}", RowTable)
        return table

    @property
    def panel_widget(self) -> Static:
        return self.query_one(f"#{self.PANEL_ID}", Static)

    # ------------------------------------------------------------------ loading
    def load(self) -> None:
        """Read the rows again (the screen opened or came back, a scan finished, the user asked)."""
        scanning = self.session.scanning
        if scanning is None:
            self.paint_panel()
            return
        if self.LOAD_IN_THREAD:
            job = partial(self.load_rows, scanning)
            self.run_worker(job, name=f"load {self.name}", group=LOAD_GROUP, thread=True, exclusive=True)
        else:
            self.show_rows(self.load_rows(scanning))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)
        worker: Worker[Any] = event.worker
        if event.state == WorkerState.SUCCESS and worker.group == LOAD_GROUP:
            self.show_rows(worker.result or [])

    def show_rows(self, rows: list[R]) -> None:
        self.loads += 1
        self.table.show(rows)
        self.rows_shown(rows)
        self.paint_panel()

    def paint_panel(self) -> None:
        self.panel_widget.update(self.panel())

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.paint_panel()

    def on_scan_finished(self, message: ScanFinished) -> None:
        self.load()

    # ------------------------------------------------------------------ scan now
    def action_scan_now(self) -> None:
        scans = self.session.scans
        if not scans.available:
            self.notify(NO_SCANNER, severity="warning")
        elif not scans.scan_now("manual"):
            self.notify("A scan is running; another one follows it.")

    def scan_now_command(self) -> PaletteCommand:
        return PaletteCommand("Scan now", "Run every enabled strategy now", self.action_scan_now, "n")
