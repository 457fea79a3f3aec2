"""Setups: every setup the scanner opened, newest first by default, sortable, filterable, with a detail view.

The list is read from the store in a thread worker when the screen opens or comes back, after each scan
and whenever closed bars move setups (`SetupsChanged`); it is never polled. Ages are measured on the feed's
clock (the snapshot time), so a frozen demo shows frozen ages.
"""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from cryptoterm.domain.setups import Setup
from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.context import TuiSession
from cryptoterm.tui.messages import ScanFinished, ScanStarted, SetupsChanged
from cryptoterm.tui.scan_scheduler import scanning_of, scheduler_of
from cryptoterm.tui.screens.base import LiveScreen
from cryptoterm.tui.screens.setup_detail import SetupDetailScreen
from cryptoterm.tui.widgets.setup_table import COLUMNS, SetupTable
from cryptoterm.tui.widgets.status_bar import StatusBar

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


class SetupsScreen(LiveScreen):
    """The setups list."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "filter_strategy", "Strategy", tooltip="Filter by strategy (cycles through them)"),
        Binding("e", "filter_state", "State", tooltip="Filter by state (all, open, each state, closed)"),
        Binding("o", "sort_next", "Sort", tooltip="Sort by the next column"),
        Binding("r", "reverse", "Reverse", tooltip="Reverse the sort order"),
        Binding("n", "scan_now", "Scan now", tooltip="Run every enabled strategy now"),
        Binding("escape", "app.switch_mode('dashboard')", "Back", show=False, tooltip="Back to the dashboard"),
    ]

    DEFAULT_CSS = """
    SetupsScreen #setups-table { height: 1fr; }
    SetupsScreen #setups-bar { height: 1; background: $boost; padding: 0 1; }
    """

    def __init__(self, session: TuiSession) -> None:
        super().__init__(session, name="setups", id="setups")
        self.loads = 0
        self.scan_state = ""

    def compose(self) -> ComposeResult:
        yield Static(id="setups-bar")
        yield SetupTable(id="setups-table")
        yield StatusBar(self.session.runtime.mode, self.session.runtime.exchange, id="setups-status")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.table.focus()
        self.load()
        self._paint_bar()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.load()

    @property
    def table(self) -> SetupTable:
        return self.query_one(SetupTable)

    # ------------------------------------------------------------------ loading
    def load(self) -> None:
        scanning = scanning_of(self.session)
        if scanning is None:
            self._paint_bar("The scanner does not run in this mode.")
            return
        job = partial(scanning.repo.recent_setups, LOAD_LIMIT)
        self.run_worker(job, name="load setups", group="load", thread=True, exclusive=True)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)
        worker: Worker[Any] = event.worker
        if event.state == WorkerState.SUCCESS and worker.group == "load":
            setups: list[Setup] = worker.result or []
            self.loads += 1
            self.table.show(setups, now_of(self.session))
            self._paint_bar()

    def on_scan_started(self, message: ScanStarted) -> None:
        self.scan_state = f"scanning ({message.origin})…"
        self._paint_bar()

    def on_scan_finished(self, message: ScanFinished) -> None:
        report = message.report
        if report is None:
            self.scan_state = f"scan failed: {message.error}"
        else:
            self.scan_state = (
                f"last scan: {len(report.new_setups)} new, {report.hits} hits, "
                f"{len(report.errors)} errors in {report.duration_ms} ms"
            )
        self.load()

    def on_setups_changed(self, message: SetupsChanged) -> None:
        self.load()

    def _paint_bar(self, note: str = "") -> None:
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
        self.query_one("#setups-bar", Static).update(text)

    # ------------------------------------------------------------------ actions
    def strategies(self) -> list[str]:
        names = {s.strategy for s in self.table.setups}
        scanning = scanning_of(self.session)
        if scanning is not None:
            names |= {s.name for s in scanning.strategies()}
        return sorted(names)

    def action_filter_strategy(self) -> None:
        self.set_strategy_filter(cycle(["", *self.strategies()], self.table.strategy_filter))

    def set_strategy_filter(self, strategy: str) -> None:
        self.table.strategy_filter = strategy
        self.table.rebuild()
        self._paint_bar()

    def action_filter_state(self) -> None:
        self.set_state_filter(cycle(STATE_FILTERS, self.table.state_filter))

    def set_state_filter(self, state: str) -> None:
        self.table.state_filter = state
        self.table.rebuild()
        self._paint_bar()

    def action_sort_next(self) -> None:
        keys = [k for k, _, _ in COLUMNS]
        self.sort_by(cycle(keys, self.table.sort_key))

    def sort_by(self, key: str) -> None:
        self.table.sort_by(key)
        self._paint_bar()

    def action_reverse(self) -> None:
        self.table.descending = not self.table.descending
        self.table.rebuild()
        self._paint_bar()

    def action_scan_now(self) -> None:
        scheduler = scheduler_of(self.app)
        if scheduler is None:
            self.notify("The scanner does not run in this mode.", severity="warning")
        elif not scheduler.scan_now("manual"):
            self.notify("A scan is running; another one follows it.")

    def open_detail(self) -> None:
        self.table.action_open()

    def on_setup_table_opened(self, message: SetupTable.Opened) -> None:
        message.stop()
        self.app.push_screen(SetupDetailScreen(self.session, message.setup))

    def on_data_table_header_selected(self, message: SetupTable.HeaderSelected) -> None:
        self.call_after_refresh(self._paint_bar)

    def palette_commands(self) -> list[PaletteCommand]:
        commands = [
            PaletteCommand(
                "Open setup detail", "Chart, conditions and history of the highlighted setup", self.open_detail, "enter"
            ),
            PaletteCommand("Scan now", "Run every enabled strategy now", self.action_scan_now, "n"),
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
