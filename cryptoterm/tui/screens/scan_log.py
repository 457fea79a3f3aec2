"""Scan log: the recorded scans (`scan_runs`), newest first, with the per-symbol errors of the highlighted one.

Read in a thread worker when the screen opens or comes back and as every scan starts and finishes; never polled
(the loading is `TableScreen`'s).
"""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.binding import Binding, BindingType

from cryptoterm.ports.setups import ScanRunRow
from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.context import ScanningView, TuiSession
from cryptoterm.tui.formatting import fmt_clock
from cryptoterm.tui.messages import ScanStarted
from cryptoterm.tui.screens.table_screen import BACK_BINDING, NO_SCANNER, SCAN_NOW_BINDING, TableScreen
from cryptoterm.tui.widgets.row_table import RowTable

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
    """The highlighted scan's per-symbol errors (strategy, symbol, error), then what it said about its data
    (a timeframe derived from a lower one, a stale series)."""
    if run is None:
        return Text("No scans recorded yet.", style="dim")
    if not run.errors and not run.notes:
        return Text(f"Scan #{run.id}: no errors.", style="dim")
    table = Table(box=None, show_header=True, header_style="bold", expand=True, padding=(0, 1, 0, 0))
    table.add_column("Strategy", no_wrap=True)
    table.add_column("Symbol", no_wrap=True)
    table.add_column("Error", ratio=1)
    for error in run.errors:
        table.add_row(error.get("strategy", "?"), error.get("symbol", "?"), Text(error.get("error", ""), style="red"))
    for note in run.notes:
        symbol, _, rest = note.partition(" ")
        table.add_row(Text("note", style="yellow"), symbol, Text(rest, style="yellow"))
    return table


class ScanRunTable(RowTable[ScanRunRow]):
    """Recorded scans, newest first (the order the store returns)."""

    COLUMNS = COLUMNS

    def key_of(self, row: ScanRunRow) -> str:
        return str(row.id)

    def cells_of(self, row: ScanRunRow) -> list[Text]:
        return run_cells(row)


class ScanLogScreen(TableScreen[ScanRunRow]):
    """The scan history."""

    BINDINGS: ClassVar[list[BindingType]] = [
        SCAN_NOW_BINDING,
        Binding("r", "reload", "Refresh", tooltip="Read the scan log again"),
        BACK_BINDING,
    ]

    DEFAULT_CSS = """
    ScanLogScreen #scanlog-table { height: 1fr; }
    ScanLogScreen #scanlog-errors { height: auto; max-height: 40%; border: round $primary 40%; padding: 0 1; }
    """

    TABLE_ID = "scanlog-table"
    PANEL_ID = "scanlog-errors"
    STATUS_ID = "scanlog-status"
    PANEL_TITLE = "Errors"

    def __init__(self, session: TuiSession) -> None:
        super().__init__(session, name="scan-log")

    def make_table(self) -> ScanRunTable:
        return ScanRunTable(id=self.TABLE_ID)

    def load_rows(self, scanning: ScanningView) -> list[ScanRunRow]:
        return scanning.repo.scan_runs(LOAD_LIMIT)

    @property
    def runs(self) -> tuple[ScanRunRow, ...]:
        return self.table.rows_loaded

    @property
    def highlighted(self) -> ScanRunRow | None:
        return self.table.selected

    def panel(self) -> Table | Text:
        if self.session.scanning is None:
            return Text(NO_SCANNER)
        return errors_view(self.highlighted)

    def action_reload(self) -> None:
        self.load()

    def on_scan_started(self, message: ScanStarted) -> None:
        self.load()

    def palette_commands(self) -> list[PaletteCommand]:
        return [
            self.scan_now_command(),
            PaletteCommand("Refresh scan log", "Read the scan log again", self.action_reload, "r"),
        ]
