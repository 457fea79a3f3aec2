"""Setups: every setup the scanner opened, newest first by default, sortable, filterable, with a detail view.

The list is read from the store in a thread worker when the screen opens or comes back, after each scan
and whenever closed bars move setups (`SetupsChanged`); it is never polled. Ages are measured on the feed's
clock (the snapshot time), so a frozen demo shows frozen ages.
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType

from cryptoterm.domain.setups import Setup
from cryptoterm.ports.ui_state import SortOrder
from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.context import ScanningView, TuiSession
from cryptoterm.tui.messages import ScanFinished, ScanStarted, SetupsChanged, UiStateChanged
from cryptoterm.tui.screens.setup_detail import SetupDetailScreen
from cryptoterm.tui.screens.table_screen import BACK_BINDING, NO_SCANNER, SCAN_NOW_BINDING, TableScreen
from cryptoterm.tui.trading_actions import take_setup
from cryptoterm.tui.widgets.setup_table import COLUMNS, SetupTable

#: The setups table's name in the remembered state.
SORT_STATE_KEY = "setups"
#: Setups read per load (newest first).
LOAD_LIMIT = 500
STATE_FILTERS: tuple[str, ...] = (
    "",
    "open",
    "new",
    "active",
    "triggered",
    "closed",
    "closed_target",
    "closed_stop",
    "closed_exit",
    "expired",
    "invalidated",
)


def cycle(options: tuple[str, ...] | list[str], current: str, step: int = 1) -> str:
    """The option after `current` (wrapping); the first when `current` is not among them."""
    if current not in options:
        return options[0]
    return options[(list(options).index(current) + step) % len(options)]


def now_of(session: TuiSession) -> int:
    snapshot = session.snapshot
    return snapshot.ts if snapshot is not None else 0


class SetupsScreen(TableScreen[Setup]):
    """The setups list."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "filter_strategy", "Strategy", tooltip="Filter by strategy (cycles through them)"),
        Binding("e", "filter_state", "State", tooltip="Filter by state (all, open, each state, closed)"),
        Binding("o", "sort_next", "Sort", tooltip="Sort by the next column"),
        Binding("r", "reverse", "Reverse", tooltip="Reverse the sort order"),
        Binding("k", "take_setup", "Take", show=False, tooltip="Order ticket from the highlighted setup's levels"),
        SCAN_NOW_BINDING,
        BACK_BINDING,
    ]

    DEFAULT_CSS = """
    SetupsScreen #setups-table { height: 1fr; }
    SetupsScreen #setups-bar { height: 1; background: $boost; padding: 0 1; }
    """

    TABLE_ID = "setups-table"
    PANEL_ID = "setups-bar"
    STATUS_ID = "setups-status"
    PANEL_ABOVE = True

    def __init__(self, session: TuiSession) -> None:
        super().__init__(session, name="setups")
        self.scan_state = ""

    def make_table(self) -> SetupTable:
        return SetupTable(id=self.TABLE_ID)

    def on_mount(self) -> None:
        saved = self.session.ui.sort.get(SORT_STATE_KEY)
        super().on_mount()
        if saved is not None:
            self.table.restore_sort(saved.column, saved.descending)
        self.paint_panel()

    @property
    def table(self) -> SetupTable:
        return self.query_one(SetupTable)

    # ------------------------------------------------------------------ loading
    def load_rows(self, scanning: ScanningView) -> list[Setup]:
        return scanning.repo.recent_setups(LOAD_LIMIT)

    def show_rows(self, rows: list[Setup]) -> None:
        self.table.now_ms = now_of(self.session)  # ages on the feed's clock, as of this load
        super().show_rows(rows)

    def panel(self) -> Text:
        return self._bar_text(NO_SCANNER if self.session.scanning is None else "")

    def on_scan_started(self, message: ScanStarted) -> None:
        self.scan_state = f"scanning ({message.origin})…"
        self.paint_panel()

    def on_scan_finished(self, message: ScanFinished) -> None:
        report = message.report
        if report is None:
            self.scan_state = f"scan failed: {message.error}"
        else:
            self.scan_state = (
                f"last scan: {len(report.new_setups)} new, {report.hits} hits, "
                f"{len(report.errors)} errors in {report.duration_ms} ms"
            )
        super().on_scan_finished(message)

    def on_setups_changed(self, message: SetupsChanged) -> None:
        self.load()

    def _bar_text(self, note: str = "") -> Text:
        table = self.table
        shown = len(table.shown)
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{shown} of {len(table.setups)} setups", style="bold")
        text.append(f" · strategy: {table.strategy_filter or 'all'}")
        text.append(f" · state: {table.state_filter or 'all'}")
        header = next(h for k, h, _ in COLUMNS if k == table.sort_key)
        text.append(f" · sort: {header} {'▼' if table.descending else '▲'}")
        if note or self.scan_state:
            text.append(f" · {note or self.scan_state}", style="dim")
        return text

    # ------------------------------------------------------------------ actions
    def strategies(self) -> list[str]:
        names = {s.strategy for s in self.table.setups}
        scanning = self.session.scanning
        if scanning is not None:
            names |= {s.name for s in scanning.strategies()}
        return sorted(names)

    def action_filter_strategy(self) -> None:
        self.set_strategy_filter(cycle(["", *self.strategies()], self.table.strategy_filter))

    def set_strategy_filter(self, strategy: str) -> None:
        self.table.strategy_filter = strategy
        self.table.rebuild()
        self.paint_panel()

    def action_filter_state(self) -> None:
        self.set_state_filter(cycle(STATE_FILTERS, self.table.state_filter))

    def set_state_filter(self, state: str) -> None:
        self.table.state_filter = state
        self.table.rebuild()
        self.paint_panel()

    def action_sort_next(self) -> None:
        keys = [k for k, _, _ in COLUMNS]
        self.sort_by(cycle(keys, self.table.sort_key))

    def sort_by(self, key: str) -> None:
        self.table.sort_by(key)
        self.paint_panel()

    def action_reverse(self) -> None:
        self.table.reverse()
        self.paint_panel()

    def on_row_table_sorted(self, message: SetupTable.Sorted) -> None:
        table = self.table
        self.session.ui.sort[SORT_STATE_KEY] = SortOrder(table.sort_key, table.descending)
        self.paint_panel()
        self.post_message(UiStateChanged())

    def open_detail(self) -> None:
        self.table.action_open()

    def action_take_setup(self) -> None:
        """The order ticket filled from the highlighted setup (as `k` on its detail does)."""
        setup = self.table.selected
        if setup is not None:
            take_setup(self, self.session, setup)

    def on_setup_table_opened(self, message: SetupTable.Opened) -> None:
        message.stop()
        self.app.push_screen(SetupDetailScreen(self.session, message.setup))

    def on_data_table_header_selected(self, message: SetupTable.HeaderSelected) -> None:
        self.call_after_refresh(self.paint_panel)

    def palette_commands(self) -> list[PaletteCommand]:
        commands = [
            PaletteCommand(
                "Open setup detail", "Chart, conditions and history of the highlighted setup", self.open_detail, "enter"
            ),
            self.scan_now_command(),
            PaletteCommand(
                "Take setup", "Ticket from the highlighted setup's entry, stop, targets", self.action_take_setup, "k"
            ),
            PaletteCommand("Filter setups by strategy", "Cycle the strategy filter", self.action_filter_strategy, "f"),
            PaletteCommand("Filter setups by state", "Cycle the state filter", self.action_filter_state, "e"),
            PaletteCommand("Reverse setup order", "Flip the sort direction", self.action_reverse, "r"),
        ]
        commands += [
            PaletteCommand(f"Sort setups by {header}", f"Order the list by {header}", partial(self.sort_by, key))
            for key, header, _ in COLUMNS
        ]
        commands += [
            PaletteCommand(f"Show {state or 'all'} setups", "Filter by state", partial(self.set_state_filter, state))
            for state in STATE_FILTERS
        ]
        commands += [
            PaletteCommand(f"Show setups of {name}", "Filter by strategy", partial(self.set_strategy_filter, name))
            for name in self.strategies()
        ]
        return commands
