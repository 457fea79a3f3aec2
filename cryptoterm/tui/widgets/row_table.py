"""`RowTable`: a `DataTable` over a list of records — the one table the scanner screens (setups, strategies,
scan log) are built on.

A screen hands it the records it loaded (`show`); the table keys each row by the record's key, so a rebuild
(new data, another sort or filter) keeps the cursor on the same record while it is still shown. What differs
per table is declared, not re-implemented: the columns (a compact set below a width), how a record becomes
cells, the raw value a column sorts by, which records a filter passes, and which columns take a wide terminal's
spare room. Tables of a few hundred rows are rebuilt whole: cheaper to reason about than diffing, and far
below what a repaint costs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from cryptoterm.tui.widgets.column_fit import apply_widths, available_width, fit_widths

R = TypeVar("R")
#: (column key, header, width)
Column = tuple[str, str, int]


class RowTable(DataTable[Text], Generic[R]):
    """Records as rows, sorted (optionally) and filtered, the cursor kept on its record across rebuilds."""

    class Sorted(Message):
        """The user changed the sort (column or direction): the screen remembers it."""

    #: Columns shown; `COMPACT_COLUMNS` replace them below `COMPACT_BELOW` terminal columns (when given).
    COLUMNS: tuple[Column, ...] = ()
    COMPACT_COLUMNS: tuple[Column, ...] = ()
    COMPACT_BELOW = 0
    #: Clicking a header sorts by it; `sort_by` / `reverse` work.
    SORTABLE = False

    def __init__(self, *, id: str | None = None, sort_key: str = "", descending: bool = False) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.rows_loaded: tuple[R, ...] = ()
        self.sort_key = sort_key
        self.descending = descending
        self.compact = False

    # ------------------------------------------------------------------ what a table declares
    def key_of(self, row: R) -> str:
        """The row key of a record (stable across loads)."""
        raise NotImplementedError

    def cells_of(self, row: R) -> list[Text]:
        """The styled cells of a record, in `columns_shown` order."""
        raise NotImplementedError

    def sort_value(self, row: R, key: str) -> tuple[object, ...]:
        """The raw value column `key` sorts by, as a tuple (e.g. missing values last), for `SORTABLE` tables."""
        raise NotImplementedError

    def passes(self, row: R) -> bool:
        """Whether the current filters show `row` (all rows by default)."""
        return True

    def grow(self) -> dict[str, int]:
        """Column key → the width it would like on a wide terminal (see `column_fit.fit_widths`)."""
        return {}

    # ------------------------------------------------------------------ columns
    @property
    def columns_shown(self) -> tuple[Column, ...]:
        return self.COMPACT_COLUMNS if self.compact else self.COLUMNS

    def _wants_compact(self) -> bool:
        return bool(self.COMPACT_COLUMNS) and self.app.size.width < self.COMPACT_BELOW

    def on_mount(self) -> None:
        self._add_columns()
        self.call_after_refresh(self.fit_columns)

    def _add_columns(self) -> None:
        self.compact = self._wants_compact()
        for key, header, width in self.columns_shown:
            self.add_column(header, key=key, width=width)

    def on_resize(self) -> None:
        if self._wants_compact() != self.compact:
            self.clear(columns=True)
            self._add_columns()
            self.rebuild()
        else:
            self.fit_columns()

    def fit_columns(self) -> None:
        """Give a wide terminal's spare columns to the columns that can use them."""
        apply_widths(self, fit_widths(self.columns_shown, available_width(self), self.grow()))

    # ------------------------------------------------------------------ rows
    @property
    def shown(self) -> list[R]:
        """The records that pass the filters, in the current order."""
        rows = [row for row in self.rows_loaded if self.passes(row)]
        if self.SORTABLE and self.sort_key:
            rows.sort(key=self._sort_key(), reverse=self.descending)
        return rows

    def _sort_key(self) -> Callable[[R], tuple[object, ...]]:
        key = self.sort_key
        return lambda row: self.sort_value(row, key)

    def show(self, rows: Sequence[R]) -> None:
        """Show freshly loaded records."""
        self.rows_loaded = tuple(rows)
        self.rebuild()

    def rebuild(self) -> None:
        """Repaint every row, keeping the cursor on the same record when it is still shown."""
        selected = self.selected_key
        row_before = self.cursor_row
        self.fit_columns()
        self.clear()
        for row in self.shown:
            self.add_row(*self.cells_of(row), key=self.key_of(row))
        if self.SORTABLE:
            for key, header, _ in self.columns_shown:
                marker = (" ▼" if self.descending else " ▲") if key == self.sort_key else ""
                self.columns[ColumnKey(key)].label = Text(header + marker)
        if self.row_count == 0:
            return
        try:
            index = self.get_row_index(selected) if selected is not None else row_before
        except Exception:
            index = row_before  # its record left: the cursor stays at its place
        self.move_cursor(row=max(0, min(index, self.row_count - 1)))

    @property
    def selected_key(self) -> str | None:
        """The key of the row under the cursor (None when the table is empty)."""
        if self.row_count == 0:
            return None
        value = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return None if value is None else str(value)

    @property
    def selected(self) -> R | None:
        """The record under the cursor."""
        key = self.selected_key
        return next((row for row in self.rows_loaded if self.key_of(row) == key), None) if key else None

    # ------------------------------------------------------------------ sorting
    def sort_by(self, key: str) -> None:
        """Sort by `key`; the same key again flips the direction."""
        if key not in {k for k, _, _ in self.COLUMNS}:
            raise ValueError(f"unknown column {key!r}")
        if key == self.sort_key:
            self.descending = not self.descending
        else:
            self.sort_key, self.descending = key, False
        self.rebuild()
        self.post_message(self.Sorted())

    def reverse(self) -> None:
        """Flip the sort direction."""
        self.descending = not self.descending
        self.rebuild()
        self.post_message(self.Sorted())

    def restore_sort(self, key: str, descending: bool) -> bool:
        """Apply a remembered sort (quietly); False for a column this table does not have."""
        if key not in {k for k, _, _ in self.COLUMNS}:
            return False
        self.sort_key, self.descending = key, descending
        self.rebuild()
        return True

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        if self.SORTABLE and event.data_table is self and event.column_key.value is not None:
            self.sort_by(str(event.column_key.value))
