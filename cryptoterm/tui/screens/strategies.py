"""Strategies: every configured strategy, enabled or not, its last scan result, and reloading the file.

Space (or enter) toggles the highlighted strategy for the scans from now on. `r` re-reads the config file's
strategies in a thread worker: a strategy that no longer compiles keeps running in its previous form and its
error (the `StrategyError` message, naming file, strategy and term) is shown in place under the table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable
from textual.worker import Worker, WorkerState

from cryptoterm.services.strategy_book import ReloadResult, StrategyStatus
from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.context import ScanningView, TuiSession
from cryptoterm.tui.formatting import fmt_clock
from cryptoterm.tui.messages import UiStateChanged
from cryptoterm.tui.screens.table_screen import BACK_BINDING, NO_SCANNER, SCAN_NOW_BINDING, TableScreen
from cryptoterm.tui.widgets.row_table import RowTable

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


class StrategyTable(RowTable[StrategyStatus]):
    """Every configured strategy in file order; the names take the room a wide terminal has to spare."""

    COLUMNS = COLUMNS

    def key_of(self, row: StrategyStatus) -> str:
        return row.name

    def cells_of(self, row: StrategyStatus) -> list[Text]:
        return strategy_cells(row)

    def grow(self) -> dict[str, int]:
        return {"name": max((len(s.name) for s in self.rows_loaded), default=0), "last": 19}


class StrategiesScreen(TableScreen[StrategyStatus]):
    """The strategies list."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_strategy", "On/off", tooltip="Enable or disable the highlighted strategy"),
        Binding("r", "reload", "Reload", tooltip="Re-read the strategies from the config file"),
        SCAN_NOW_BINDING,
        BACK_BINDING,
    ]

    DEFAULT_CSS = """
    StrategiesScreen #strategies-table { height: 1fr; }
    StrategiesScreen #strategies-detail {
        height: auto; max-height: 12; border: round $primary 40%; padding: 0 1;
    }
    """

    TABLE_ID = "strategies-table"
    PANEL_ID = "strategies-detail"
    STATUS_ID = "strategies-status"
    PANEL_TITLE = "Details"
    #: The strategy book is in memory: read on the spot.
    LOAD_IN_THREAD = False

    def __init__(self, session: TuiSession) -> None:
        super().__init__(session, name="strategies")
        self.file_error = ""
        self.reloads = 0

    def make_table(self) -> StrategyTable:
        return StrategyTable(id=self.TABLE_ID)

    def load_rows(self, scanning: ScanningView) -> list[StrategyStatus]:
        return scanning.strategies()

    @property
    def statuses(self) -> tuple[StrategyStatus, ...]:
        return self.table.rows_loaded

    @property
    def highlighted(self) -> StrategyStatus | None:
        return self.table.selected

    def panel(self) -> Text:
        if self.session.scanning is None:
            return Text(NO_SCANNER, style="dim")
        return detail_text(self.highlighted, self.file_error)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_toggle_strategy()

    # ------------------------------------------------------------------ actions
    def action_toggle_strategy(self) -> None:
        scanning = self.session.scanning
        status = self.highlighted
        if scanning is None or status is None:
            return
        if not status.loaded:
            self.notify(f"{status.name} does not compile; fix it and reload first.", severity="warning")
            return
        scanning.set_enabled(status.name, not status.enabled)
        self.session.ui.strategies[status.name] = not status.enabled
        self.post_message(UiStateChanged())
        self.load()

    def action_reload(self) -> None:
        scanning = self.session.scanning
        if scanning is None:
            self.notify(NO_SCANNER, severity="warning")
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
        self.load()
        if result.file_error:
            self.notify(result.file_error, title="Reload failed", severity="error", timeout=8)
        elif result.errors:
            names = ", ".join(name for name, _ in result.errors)
            self.notify(f"{len(result.errors)} strategy(ies) do not compile: {names}", severity="warning")
        else:
            self.notify(f"Reloaded {len(result.loaded)} strategies.")

    def palette_commands(self) -> list[PaletteCommand]:
        return [
            PaletteCommand("Reload strategies", "Re-read the strategies from the config file", self.action_reload, "r"),
            PaletteCommand(
                "Toggle strategy", "Enable or disable the highlighted strategy", self.action_toggle_strategy, "space"
            ),
            self.scan_now_command(),
        ]
