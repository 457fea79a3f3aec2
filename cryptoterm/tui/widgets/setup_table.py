"""The setups table: one row per setup, coloured by state, sortable by any column, filterable.

Rows are keyed by setup id (a `RowTable`). The table is rebuilt from the list its screen loaded (a few hundred
rows at most) whenever the data, the sort or a filter changes; sorting uses the raw values (`sort_value`), not
the text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message

from cryptoterm.domain.setups import Setup
from cryptoterm.tui.formatting import fmt_abbrev, fmt_age, fmt_price
from cryptoterm.tui.widgets.row_table import RowTable

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
    # Not magenta: Textual's dark ANSI theme (Monokai) draws magenta in the same red as a stop-out.
    "triggered": "bold blue",
    "closed_target": "green",
    "closed_stop": "red",
    "closed_exit": "bold white",
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


class SetupTable(RowTable[Setup]):
    """Setups, sorted and filtered. Enter (or a click on a selected row) opens the detail."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "open", "Detail", tooltip="Open the setup's detail")]

    COLUMNS = COLUMNS
    COMPACT_COLUMNS = COMPACT_COLUMNS
    COMPACT_BELOW = COMPACT_BELOW
    SORTABLE = True

    class Opened(Message):
        """The user asked for a setup's detail."""

        def __init__(self, setup: Setup) -> None:
            super().__init__()
            self.setup = setup

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, sort_key="age")
        self.strategy_filter = ""
        self.state_filter = ""
        self.now_ms = 0

    @property
    def setups(self) -> tuple[Setup, ...]:
        return self.rows_loaded

    def key_of(self, row: Setup) -> str:
        return str(row.id)

    def cells_of(self, row: Setup) -> list[Text]:
        return setup_cells(row, self.now_ms, compact=self.compact)

    def sort_value(self, row: Setup, key: str) -> tuple[object, ...]:
        return sort_value(row, key, self.now_ms)

    def passes(self, row: Setup) -> bool:
        return (not self.strategy_filter or row.strategy == self.strategy_filter) and (
            not self.state_filter or _state_matches(row.state, self.state_filter)
        )

    def grow(self) -> dict[str, int]:
        """Spare columns go to the strategy names (then the targets) so none is cut."""
        setups = self.rows_loaded
        grow = {
            "strategy": max((len(s.strategy) for s in setups), default=0),
            "symbol": max((len(s.symbol) for s in setups), default=0),
        }
        if not self.compact:
            grow["targets"] = max((len(" ".join(fmt_price(t) for t in s.targets)) for s in setups), default=0)
        return grow

    def show_setups(self, setups: Sequence[Setup], now_ms: int) -> None:
        """Show freshly loaded setups, their ages measured at `now_ms`."""
        self.now_ms = now_ms
        self.show(setups)

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
