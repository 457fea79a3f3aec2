"""The watchlist: one row per symbol with last price, 24 h change and volume, bid / ask and spread.

Cells are updated in place (`DataTable.update_cell`) and only when their text changes, so a snapshot at 10 Hz
across 20+ symbols costs a handful of cell updates, not a rebuild. A price that just moved flashes green or
red until the next snapshot that doesn't move it (or half a second, whichever comes first).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.timer import Timer
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowKey

from cryptoterm.domain.market import TickerStats
from cryptoterm.tui.formatting import DASH, fmt_abbrev, fmt_bps, fmt_pct, fmt_price
from cryptoterm.tui.messages import SymbolOpened, SymbolSelected

#: (column key, header, width). Keys are stable so callers and tests can address cells by name.
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("symbol", "Symbol", 10),
    ("last", "Last", 11),
    ("change", "Chg 24h", 8),
    ("volume", "Vol 24h", 7),
    ("bid", "Bid", 11),
    ("ask", "Ask", 11),
    ("spread", "Sprd bps", 8),
)

UP_STYLE = "green"
DOWN_STYLE = "red"
FLASH_UP_STYLE = "bold black on green"
FLASH_DOWN_STYLE = "bold black on red"
FLASH_SECONDS = 0.5


def _direction_style(value: float) -> str:
    if math.isnan(value) or value == 0:
        return ""
    return UP_STYLE if value > 0 else DOWN_STYLE


def ticker_cells(ticker: TickerStats) -> dict[str, Text]:
    """The styled cell texts of one row (pure: no widget state), right-aligned numbers."""
    change = ticker.change_pct
    style = _direction_style(change)
    return {
        "symbol": Text(ticker.symbol, style="bold"),
        "last": Text(fmt_price(ticker.last), style=style, justify="right"),
        "change": Text(fmt_pct(change), style=style, justify="right"),
        "volume": Text(fmt_abbrev(ticker.quote_volume_24h), justify="right"),
        "bid": Text(fmt_price(ticker.bid), justify="right"),
        "ask": Text(fmt_price(ticker.ask), justify="right"),
        "spread": Text(fmt_bps(ticker.spread_bps), justify="right"),
    }


class Watchlist(DataTable[Text]):
    """A `DataTable` of tickers keyed by symbol; highlighting a row selects that symbol."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "choose", "Detail", show=False, tooltip="Open the symbol's detail view"),
    ]

    DEFAULT_CSS = """
    Watchlist { height: auto; }
    """

    def __init__(self, symbols: Sequence[str] = (), *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._initial = list(symbols)
        self._shown: dict[tuple[str, str], str] = {}
        self._last_price: dict[str, float] = {}
        self._flashing: set[str] = set()
        self._flash_timer: Timer | None = None

    def on_mount(self) -> None:
        for key, header, width in COLUMNS:
            self.add_column(header, key=key, width=width)
        for symbol in self._initial:
            self._add_symbol(symbol)

    @property
    def symbols(self) -> list[str]:
        """Symbols in row order."""
        return [str(row.key.value) for row in self.ordered_rows]

    @property
    def selected_symbol(self) -> str | None:
        """The symbol under the cursor, or None when the table is empty."""
        if self.row_count == 0:
            return None
        row_key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return str(row_key.value)

    def select_symbol(self, symbol: str) -> bool:
        """Move the cursor to `symbol`'s row; False when the symbol is not listed."""
        try:
            index = self.get_row_index(symbol)
        except Exception:
            return False
        self.move_cursor(row=index)
        return True

    @property
    def has_flashes(self) -> bool:
        """True while a price cell is still highlighted for a recent move."""
        return bool(self._flashing)

    def cell_text(self, symbol: str, column: str) -> str:
        """The text currently shown in a cell ("" when the cell does not exist)."""
        try:
            value = self.get_cell(symbol, column)
        except CellDoesNotExist:
            return ""
        return value.plain

    def _add_symbol(self, symbol: str) -> RowKey:
        cells = [Text(symbol, style="bold")] + [Text(DASH, justify="right") for _ in COLUMNS[1:]]
        for (key, _, _), cell in zip(COLUMNS, cells, strict=True):
            self._shown[(symbol, key)] = cell.plain
        return self.add_row(*cells, key=symbol)

    def _drop_symbol(self, symbol: str) -> None:
        self.remove_row(symbol)
        for key, _, _ in COLUMNS:
            self._shown.pop((symbol, key), None)
        self._last_price.pop(symbol, None)
        self._flashing.discard(symbol)

    def apply_tickers(self, tickers: Sequence[TickerStats]) -> int:
        """Show the newest tickers; returns how many cells changed. Unknown symbols get a new row, and rows
        of symbols no longer in the snapshot (removed from the watchlist) go away."""
        changed = 0
        listed = {ticker.symbol for ticker in tickers}
        for symbol in [s for s in self.symbols if s not in listed]:
            self._drop_symbol(symbol)
            changed += 1
        for ticker in tickers:
            symbol = ticker.symbol
            if (symbol, "symbol") not in self._shown:
                self._add_symbol(symbol)
            cells = ticker_cells(ticker)
            previous = self._last_price.get(symbol)
            moved = previous is not None and ticker.last != previous and not math.isnan(ticker.last)
            if moved:
                flash = FLASH_UP_STYLE if ticker.last > (previous or 0.0) else FLASH_DOWN_STYLE
                cells["last"] = Text(cells["last"].plain, style=flash, justify="right")
                self._flashing.add(symbol)
            elif symbol in self._flashing:
                self._flashing.discard(symbol)
                self._shown.pop((symbol, "last"), None)
            self._last_price[symbol] = ticker.last
            for key, cell in cells.items():
                if key == "symbol":
                    continue
                shown_key = (symbol, key)
                signature = f"{cell.plain}\0{cell.style}"
                if self._shown.get(shown_key) == signature:
                    continue
                self._shown[shown_key] = signature
                self.update_cell(symbol, key, cell)
                changed += 1
        if self._flashing:
            if self._flash_timer is None:
                self._flash_timer = self.set_timer(FLASH_SECONDS, self._clear_flashes, name="watchlist-flash")
            else:
                self._flash_timer.reset()
        return changed

    def _clear_flashes(self) -> None:
        for symbol in list(self._flashing):
            price = self._last_price.get(symbol, float("nan"))
            text = self.cell_text(symbol, "last") or fmt_price(price)
            style = self._row_style(symbol)
            self.update_cell(symbol, "last", Text(text, style=style, justify="right"))
            self._shown[(symbol, "last")] = f"{text}\0{style}"
        self._flashing.clear()
        self._flash_timer = None

    def _row_style(self, symbol: str) -> str:
        try:
            change = self.get_cell(symbol, "change")
        except CellDoesNotExist:
            return ""
        return str(change.style)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table is self and event.row_key.value is not None:
            self.post_message(SymbolSelected(str(event.row_key.value)))

    def action_choose(self) -> None:
        symbol = self.selected_symbol
        if symbol is not None:
            self.post_message(SymbolSelected(symbol))
            self.post_message(SymbolOpened(symbol))
