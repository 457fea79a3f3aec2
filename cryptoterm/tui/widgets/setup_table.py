"""The setups table: one row per setup, coloured by state, sortable by any column, filterable.

Rows are keyed by setup id. The table is rebuilt from the list its screen loaded (a few hundred rows at most)
whenever the data, the sort or a filter changes; sorting uses the raw values (`sort_value`), not the text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from cryptoterm.domain.setups import Setup
from cryptoterm.tui.formatting import fmt_abbrev, fmt_age, fmt_price

#: (column key, header, width)
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("strategy", "Strategy", 13),
    ("symbol", "Symbol", 10),
    ("dir", "Dir", 7),
    ("state", "State", 13),
    ("entry", "Entry", 10),
    ("stop", "Stop", 10),
    ("targets", "Targets", 17),
    ("rr", "R:R", 4),
    ("size", "Size", 8),
    ("age", "Age", 6),
)
#: The columns that fit 80 columns (targets and size are in the detail view).
COMPACT_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("strategy", "Strategy", 11),
    ("symbol", "Symbol", 9),
    ("dir", "Dir", 3),
    ("state", "State", 9),
    ("entry", "Entry", 10),
    ("stop", "Stop", 10),
    ("rr", "R:R", 4),
    ("age", "Age", 5),
)
#: Below this width the table shows `COMPACT_COLUMNS`.
COMPACT_BELOW = 110
SORT_KEYS: tuple[str, ...] = tuple(key for key, _, _ in COLUMNS)

STATE_STYLES = {
    "new": "bold cyan",
    "active": "bold yellow",
    "triggered": "bold magenta",
    "closed_target": "green",
    "closed_stop": "red",
    "expired": "dim",
    "invalidated": "dim red",
}


def sort_value(setup: Setup, key: str, now_ms: int) -> tuple[int, object]:
    """The value a column sorts by (text columns by text, numbers by number; NaN last)."""
    values: dict[str, object] = {
        "strategy": setup.strategy,
        "symbol": setup.symbol,
        "dir": setup.direction,
        "state": setup.state,
        "entry": setup.entry,
        "stop": setup.stop,
        "targets": setup.targets[0] if setup.targets else math.nan,
        "rr": setup.rr,
        "size": setup.size,
        "age": now_ms - setup.created_ms,
    }
    value = values[key]
    missing = isinstance(value, float) and math.isnan(value)
    return (1 if missing else 0, 0.0 if missing else value)


def setup_cells(setup: Setup, now_ms: int, *, compact: bool = False) -> list[Text]:
    """The styled cells of one row, in column order (pure)."""
    state_style = STATE_STYLES.get(setup.state, "")
    arrow = "▲" if setup.direction == "long" else "▼"
    direction_style = "green" if setup.direction == "long" else "red"
    cells = {
        "strategy": Text(setup.strategy, overflow="ellipsis"),
        "symbol": Text(setup.symbol, style="bold"),
        "dir": Text(arrow if compact else f"{arrow} {setup.direction}", style=direction_style),
        "state": Text(setup.state, style=state_style, overflow="ellipsis"),
        "entry": Text(fmt_price(setup.entry), justify="right"),
        "stop": Text(fmt_price(setup.stop), justify="right"),
        "targets": Text(" ".join(fmt_price(t) for t in setup.targets), overflow="ellipsis"),
        "rr": Text(f"{setup.rr:.2f}", justify="right"),
        "size": Text(fmt_abbrev(setup.size) if setup.size >= 1000 else f"{setup.size:.4g}", justify="right"),
        "age": Text(fmt_age(float(now_ms - setup.created_ms)), justify="right"),
    }
    return [cells[key] for key, _, _ in (COMPACT_COLUMNS if compact else COLUMNS)]


class SetupTable(DataTable[Text]):
    """Setups, sorted and filtered. Enter (or a click on a selected row) opens the detail."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "open", "Detail", tooltip="Open the setup's detail")]

    class Opened(Message):
        """The user asked for a setup's detail."""

        def __init__(self, setup: Setup) -> None:
            super().__init__()
            self.setup = setup

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.setups: tuple[Setup, ...] = ()
        self.sort_key = "age"
        self.descending = False
        self.strategy_filter = ""
        self.state_filter = ""
        self.now_ms = 0
        self.compact = False

    def on_mount(self) -> None:
        self._add_columns()

    @property
    def columns_shown(self) -> tuple[tuple[str, str, int], ...]:
        return COMPACT_COLUMNS if self.compact else COLUMNS

    def _add_columns(self) -> None:
        self.compact = self.app.size.width < COMPACT_BELOW
        for key, header, width in self.columns_shown:
            self.add_column(header, key=key, width=width)

    def on_resize(self) -> None:
        if (self.app.size.width < COMPACT_BELOW) != self.compact:
            self.clear(columns=True)
            self._add_columns()
            self.rebuild()

    @property
    def shown(self) -> list[Setup]:
        """The setups that pass the filters, in the current order."""
        rows = [
            s
            for s in self.setups
            if (not self.strategy_filter or s.strategy == self.strategy_filter)
            and (not self.state_filter or _state_matches(s.state, self.state_filter))
        ]
        rows.sort(key=lambda s: sort_value(s, self.sort_key, self.now_ms), reverse=self.descending)
        return rows

    def show(self, setups: Sequence[Setup], now_ms: int) -> None:
        self.setups = tuple(setups)
        self.now_ms = now_ms
        self.rebuild()

    def rebuild(self) -> None:
        """Repaint every row, keeping the cursor on the same setup when it is still shown."""
        selected = self.selected
        self.clear()
        for setup in self.shown:
            self.add_row(*setup_cells(setup, self.now_ms, compact=self.compact), key=str(setup.id))
        for key, header, _ in self.columns_shown:
            marker = (" ▼" if self.descending else " ▲") if key == self.sort_key else ""
            self.columns[ColumnKey(key)].label = Text(header + marker)
        if selected is not None and selected.id is not None:
            try:
                self.move_cursor(row=self.get_row_index(str(selected.id)))
            except Exception:
                self.move_cursor(row=0)

    @property
    def selected(self) -> Setup | None:
        if self.row_count == 0:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return next((s for s in self.setups if str(s.id) == key), None)

    def sort_by(self, key: str) -> None:
        """Sort by `key`; the same key again flips the direction."""
        if key not in SORT_KEYS:
            raise ValueError(f"unknown column {key!r}")
        if key == self.sort_key:
            self.descending = not self.descending
        else:
            self.sort_key, self.descending = key, False
        self.rebuild()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        if event.data_table is self and event.column_key.value is not None:
            self.sort_by(str(event.column_key.value))

    def action_open(self) -> None:
        setup = self.selected
        if setup is not None:
            self.post_message(self.Opened(setup))


def _state_matches(state: str, wanted: str) -> bool:
    if wanted == "open":
        return state in ("new", "active", "triggered")
    if wanted == "closed":
        return state not in ("new", "active", "triggered")
    return state == wanted
