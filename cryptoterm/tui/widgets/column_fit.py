"""Column widths that follow the table's width: the room a wide terminal leaves goes to the text columns.

Tables are declared with the widths an 80-column terminal affords. Fixed, they cut strategy names
("macd-cross-t…") on a 160-column screen with 60 columns unused; here the leftover room is handed to the
columns named in `grow`, each up to what it needs to show its longest value, in order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

#: DataTable pads each cell by one column on either side.
CELL_PADDING = 2


def fit_widths(columns: Sequence[tuple[str, str, int]], available: int, grow: Mapping[str, int]) -> dict[str, int]:
    """Each column's width: its declared one, plus a share of the spare room for the `grow` columns (capped
    at the width each needs, given in `grow`)."""
    widths = {key: width for key, _, width in columns}
    spare = available - sum(width + CELL_PADDING for width in widths.values())
    for key, needed in grow.items():
        if spare <= 0:
            break
        if key in widths and needed > widths[key]:
            extra = min(spare, needed - widths[key])
            widths[key] += extra
            spare -= extra
    return widths


def apply_widths(table: DataTable[Any], widths: Mapping[str, int]) -> bool:
    """Set the columns' widths; True when one changed (the table then re-measures and repaints)."""
    changed = False
    for key, width in widths.items():
        column = table.columns.get(ColumnKey(key))
        if column is not None and (column.width != width or column.auto_width):
            column.width, column.auto_width = width, False
            changed = True
    if changed:
        # DataTable caches rendered rows by size; the public API has no "column resized", so drop them here.
        table._clear_caches()
        table._require_update_dimensions = True
        table.refresh()
    return changed


def available_width(table: DataTable[Any]) -> int:
    """Columns the table can fill (its content width, less a vertical scrollbar it may need)."""
    return max(0, table.size.width - table.styles.scrollbar_size_vertical)
