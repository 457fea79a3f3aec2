"""Strategies: every configured strategy, enabled or not, its last scan result, and reloading the file.

Space (or enter) toggles the highlighted strategy for the scans from now on. `r` re-reads the config file's
strategies in a thread worker: a strategy that no longer compiles keeps running in its previous form and its
error (the `StrategyError` message, naming file, strategy and term) is shown in place under the table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState

from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.context import TuiSession
from cryptoterm.tui.formatting import fmt_clock
from cryptoterm.tui.messages import ScanFinished
from cryptoterm.tui.scan_scheduler import scanning_of, scheduler_of
from cryptoterm.tui.screens.base import LiveScreen
from cryptoterm.tui.widgets.status_bar import StatusBar
from cryptoterm.wiring.strategy_status import ReloadResult, StrategyStatus

COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("on", "On", 3),
    ("name", "Strategy", 18),
    ("tf", "TF", 5),
    ("status", "Status", 9),
    ("last", "Last scan", 14),
    ("hits", "Hits", 4),
    ("new", "New", 4),
    ("errors", "Errs", 4),
)


def strategy_cells(status: StrategyStatus) -> list[Text]:
    """The styled cells of one row (pure)."""
    run = status.last_run
    if status.error and status.loaded:
        state = Text("old rules", style="yellow")
    elif status.error:
        state = Text("error", style="bold red")
    else:
        state = Text("ok", style="green")
    return [
        Text("●" if status.enabled else "○", style="green" if status.enabled else "dim"),
        Text(status.name, style="bold" if status.enabled else "dim"),
        Text.assemble(
            f"{status.timeframe} ",
            ("▲" if status.direction == "long" else "▼", "green" if status.direction == "long" else "red"),
        ),
        state,
        Text(fmt_clock(run.finished_ms)[5:] if run else "–", style="" if run else "dim"),
        Text(str(run.hits) if run else "–", justify="right"),
        Text(str(run.new_setups) if run else "–", justify="right"),
        Text(str(run.errors) if run else "–", justify="right", style="red" if run and run.errors else ""),
    ]


def detail_text(status: StrategyStatus | None, file_error: str = "") -> Text:
    """What the panel under the table says about the highlighted strategy (errors first, in full)."""
    text = Text()
    if file_error:
        text.append("Reload failed: ", style="bold red")
        text.append(file_error + "\n", style="red")
        text.append("The strategies loaded before keep running.\n", style="dim")
    if status is None:
        text.append("No strategies configured: add [[strategy]] tables to the config file.", style="dim")
        return text
    text.append(f"{status.name}", style="bold")
    if status.source:
        text.append(f"  ({Path(status.source).name})", style="dim")
    text.append("\n")
    if status.error:
        text.append(status.error + "\n", style="red")
        if status.loaded:
            text.append("The previously loaded version keeps running until this compiles.\n", style="yellow")
        else:
            text.append("It cannot run until this is fixed.\n", style="yellow")
    if status.description:
        text.append(status.description, style="dim")
    return text


class StrategiesScreen(LiveScreen):
    """The strategies list."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_strategy", "On/off", tooltip="Enable or disable the highlighted strategy"),
        Binding("r", "reload", "Reload", tooltip="Re-read the strategies from the config file"),
        Binding("n", "scan_now", "Scan now", tooltip="Run every enabled strategy now"),
        Binding("escape", "app.switch_mode('dashboard')", "Back", show=False, tooltip="Back to the dashboard"),
    ]

    DEFAULT_CSS = """
    StrategiesScreen #strategies-table { height: 1fr; }
    StrategiesScreen #strategies-detail {
        height: auto; max-height: 12; border: round $primary 40%; padding: 0 1;
    }
    """

    def __init__(self, session: TuiSession) -> None:
        super().__init__(session, name="strategies", id="strategies")
        self.statuses: list[StrategyStatus] = []
        self.file_error = ""
        self.reloads = 0

    def compose(self) -> ComposeResult:
        yield DataTable(id="strategies-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="strategies-detail")
        yield StatusBar(self.session.runtime.mode, self.session.runtime.exchange, id="strategies-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.table
        for key, header, width in COLUMNS:
            table.add_column(header, key=key, width=width)
        self.query_one("#strategies-detail", Static).border_title = "Details"
        super().on_mount()
        self.refresh_list()
        table.focus()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.refresh_list()

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#strategies-table", DataTable)

    @property
    def highlighted(self) -> StrategyStatus | None:
        table = self.table
        if table.row_count == 0:
            return None
        name = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((s for s in self.statuses if s.name == name), None)

    def refresh_list(self) -> None:
        scanning = scanning_of(self.session)
        self.statuses = scanning.strategies() if scanning is not None else []
        table = self.table
        row = table.cursor_row
        table.clear()
        for status in self.statuses:
            table.add_row(*strategy_cells(status), key=status.name)
        if self.statuses:
            table.move_cursor(row=min(row, len(self.statuses) - 1))
        self.paint_detail()

    def paint_detail(self) -> None:
        detail = self.query_one("#strategies-detail", Static)
        if scanning_of(self.session) is None:
            detail.update(Text("The scanner does not run in this mode.", style="dim"))
            return
        detail.update(detail_text(self.highlighted, self.file_error))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.paint_detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_toggle_strategy()

    def on_scan_finished(self, message: ScanFinished) -> None:
        self.refresh_list()

    # ------------------------------------------------------------------ actions
    def action_toggle_strategy(self) -> None:
        scanning = scanning_of(self.session)
        status = self.highlighted
        if scanning is None or status is None:
            return
        if not status.loaded:
            self.notify(f"{status.name} does not compile; fix it and reload first.", severity="warning")
            return
        scanning.set_enabled(status.name, not status.enabled)
        self.refresh_list()

    def action_reload(self) -> None:
        scanning = scanning_of(self.session)
        if scanning is None:
            self.notify("The scanner does not run in this mode.", severity="warning")
            return
        self.run_worker(scanning.reload, name="reload strategies", group="reload", thread=True, exclusive=True)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)
        worker: Worker[Any] = event.worker
        if event.state == WorkerState.SUCCESS and worker.group == "reload" and worker.result is not None:
            self.apply_reload(worker.result)

    def apply_reload(self, result: ReloadResult) -> None:
        self.reloads += 1
        self.file_error = result.file_error
        self.refresh_list()
        if result.file_error:
            self.notify(result.file_error, title="Reload failed", severity="error", timeout=8)
        elif result.errors:
            names = ", ".join(name for name, _ in result.errors)
            self.notify(f"{len(result.errors)} strategy(ies) do not compile: {names}", severity="warning")
        else:
            self.notify(f"Reloaded {len(result.loaded)} strategies.")

    def action_scan_now(self) -> None:
        scheduler = scheduler_of(self.app)
        if scheduler is None:
            self.notify("The scanner does not run in this mode.", severity="warning")
        elif not scheduler.scan_now("manual"):
            self.notify("A scan is running; another one follows it.")

    def palette_commands(self) -> list[PaletteCommand]:
        return [
            PaletteCommand("Reload strategies", "Re-read the strategies from the config file", self.action_reload, "r"),
            PaletteCommand(
                "Toggle strategy", "Enable or disable the highlighted strategy", self.action_toggle_strategy, "space"
            ),
            PaletteCommand("Scan now", "Run every enabled strategy now", self.action_scan_now, "n"),
        ]
