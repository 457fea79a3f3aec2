"""Cell updates that re-render only the cells that changed.

`DataTable.update_cell` bumps the table's update counter, which is part of every render cache key: one changed
price re-renders every cell of every row, the header included (through rich, cell by cell). A watchlist whose
prices move on every snapshot then spends most of the UI's CPU re-rendering text that did not change. Here the
new values go in, only the cached renders of the changed cells, their rows and the screen lines are dropped,
and only the changed rows are repainted.

This reaches into `DataTable`'s caches (the pinned Textual's `_data`, `_cell_render_cache`, `_row_render_cache`,
`_row_renderable_cache`, `_line_cache`); `tests/tui/test_cell_updates.py` holds it to what `update_cell` shows,
so a Textual upgrade that changes them fails there, not on screen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from rich.text import Text
from textual.cache import LRUCache
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, ColumnKey, RowKey


def update_cells(table: DataTable[Any], changes: Iterable[tuple[str, str, Text]]) -> int:
    """Put each (row key, column key, value) into `table`, re-rendering only what changed; returns the count.

    Raises `CellDoesNotExist` (before changing anything) for a cell the table does not have.
    """
    updates = [(RowKey(row), ColumnKey(column), value) for row, column, value in changes]
    for row_key, column_key, _ in updates:
        if row_key not in table._row_locations or column_key not in table._column_locations:
            raise CellDoesNotExist(f"No cell exists for row_key={row_key!r}, column_key={column_key!r}.")
    if not updates:
        return 0
    cells = {(row_key, column_key) for row_key, column_key, _ in updates}
    rows = {row_key for row_key, _ in cells}
    for row_key, column_key, value in updates:
        table._data[row_key][column_key] = value
    indices = {table._row_locations.get(row_key) for row_key in rows}
    _discard(table._cell_render_cache, lambda key: (key[0], key[1]) in cells)
    _discard(table._row_render_cache, lambda key: key[0] in rows)
    _discard(table._row_renderable_cache, lambda key: key[1] in indices)
    table._line_cache.clear()  # lines are joined from the cached rows: rebuilding them is cheap
    for index in indices:
        if index is not None:
            table.refresh_row(index)
    return len(updates)


def _discard(cache: LRUCache[Any, Any], stale: Callable[[Any], bool]) -> None:
    for key in [key for key in cache.keys() if stale(key)]:  # noqa: SIM118 (an LRUCache is not iterable)
        cache.discard(key)
