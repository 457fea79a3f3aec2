"""The trading journal: every entry, and what they add up to per strategy or per tag.

The entries (newest at the top) and the statistics — win rate, expectancy in R and in the quote asset, the R
distribution, the average hold (`domain.journal.stats`) — are read in a thread worker when the screen opens,
after `r`, and after an entry is saved. `v` switches the statistics between strategies and tags; `n` writes an
entry by hand for the selected symbol (entries linked to a setup, an order or a position are written from there
with `e`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Static

from cryptoterm.domain.journal.entries import JournalEntry
from cryptoterm.domain.journal.stats import R_BUCKETS, GroupBy, GroupStats
from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.context import TuiSession
from cryptoterm.tui.formatting import fmt_clock
from cryptoterm.tui.screens.base import LiveScreen
from cryptoterm.tui.trading_actions import journal_entry
from cryptoterm.tui.widgets.status_bar import StatusBar

COLUMNS = ("#", "Created", "Strategy", "Symbol", "Dir", "Outcome", "R", "Profit", "Tags", "Notes")
SHOWN = 1000


def stats_table(groups: list[GroupStats], by: GroupBy) -> Table:
    table = Table(box=None, show_header=True, header_style="bold", expand=True, padding=(0, 1, 0, 0))
    for name, justify in ((by, "left"), ("n", "right"), ("win", "right"), ("E[R]", "right"), ("E[pnl]", "right"),
                          ("hold", "right"), ("R distribution", "left")):  # fmt: skip
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for g in groups:
        dist = " ".join(f"{label}:{n}" for label, n in zip(R_BUCKETS, g.r_counts, strict=True) if n)
        table.add_row(
            g.key,
            f"{g.decided}/{g.entries}",
            f"{g.win_rate:.0%}" if g.win_rate is not None else "–",
            f"{g.expectancy_r:+.2f}" if g.expectancy_r is not None else "–",
            f"{g.expectancy_pnl:+,.2f}" if g.expectancy_pnl is not None else "–",
            f"{g.avg_hold_ms / 3_600_000:.1f} h" if g.avg_hold_ms is not None else "–",
            dist,
        )
    if not groups:
        table.add_row("no entries yet", "", "", "", "", "", "")
    return table


class JournalScreen(LiveScreen):
    """See the module docstring."""

    DEFAULT_CSS = """
    JournalScreen #journal-table { height: 1fr; }
    JournalScreen #journal-stats { height: auto; max-height: 10; padding: 0 1; border-top: solid $primary; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_entry", "New entry", tooltip="Write a journal entry by hand for the selected symbol"),
        Binding("v", "group", "By tag/strategy", tooltip="Statistics by strategy or by tag"),
        Binding("r", "reload", "Reload", tooltip="Read the journal again"),
        Binding("escape", "app.switch_mode('dashboard')", "Back", show=False, tooltip="Back to the dashboard"),
    ]

    def __init__(self, session: TuiSession) -> None:
        super().__init__(session, name="journal", id="journal")
        self.by: GroupBy = "strategy"
        self.entries: list[JournalEntry] = []
        self.groups: list[GroupStats] = []
        self.loads = 0

    def compose(self) -> ComposeResult:
        table: DataTable[Any] = DataTable(id="journal-table", cursor_type="row", zebra_stripes=True)
        table.add_columns(*COLUMNS)
        yield table
        yield Static(stats_table([], self.by), id="journal-stats")
        yield StatusBar(self.session.runtime.mode, self.session.runtime.exchange, id="status")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(DataTable).focus()
        self.action_reload()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.action_reload()

    def action_reload(self) -> None:
        journal = self.session.journal
        if journal is None:
            return
        by = self.by

        def load() -> None:
            entries = journal.entries(limit=SHOWN)
            groups = journal.stats(by)
            self.app.call_from_thread(self._show, entries, groups)

        self.run_worker(load, name="journal", group="journal", thread=True, exclusive=True, exit_on_error=False)

    def _show(self, entries: list[JournalEntry], groups: list[GroupStats]) -> None:
        self.entries, self.groups = entries, groups
        self.loads += 1
        table: DataTable[Any] = self.query_one(DataTable)
        table.clear()
        for e in reversed(entries):
            table.add_row(
                str(e.id),
                fmt_clock(e.created_ms),
                e.strategy or "(manual)",
                e.symbol,
                e.direction,
                e.outcome,
                f"{e.r_multiple:+.2f}" if e.r_multiple is not None else "",
                f"{e.pnl:+,.2f}" if e.pnl is not None else "",
                " ".join(e.tags),
                e.notes.replace("\n", " ")[:60],
                key=str(e.id),
            )
        self.query_one("#journal-stats", Static).update(stats_table(groups, self.by))

    def action_group(self) -> None:
        self.by = "tag" if self.by == "strategy" else "strategy"
        self.action_reload()

    def action_new_entry(self) -> None:
        journal = self.session.journal
        symbol = self.session.selected_symbol
        if journal is None:
            return
        now = self.session.snapshot.ts if self.session.snapshot is not None else 0
        account = journal.account
        journal_entry(self, self.session, lambda: JournalEntry(created_ms=now, symbol=symbol, account=account))

    def palette_commands(self) -> list[PaletteCommand]:
        return [
            PaletteCommand("New journal entry", "An entry by hand for the selected symbol", self.action_new_entry, "n"),
            PaletteCommand("Journal statistics by tag / strategy", "Switch the grouping", self.action_group, "v"),
            PaletteCommand("Reload the journal", "Read the entries again", self.action_reload, "r"),
        ]
