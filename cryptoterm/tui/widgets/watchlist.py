"""The watchlist: one row per symbol with last price, 24 h change and volume, bid / ask and spread.

Cells are updated in place (`cell_updates.update_cells`) and only when their text changes, so a snapshot at 10 Hz
across 20+ symbols costs a handful of cell updates (and re-renders only those cells), not a rebuild. A price that
just moved flashes green or red until the next snapshot that doesn't move it (or half a second, whichever comes
first).

The selection belongs to the screen: it tells the table which row to highlight (`select_symbol`, silent), and
the table reports `SymbolSelected` only when the user moves the cursor (keys, click). A table that reported
every highlight — including the ones it was told to make, or that a removed row caused — would hand the
selection back and forth with its screen forever.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.timer import Timer
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, ColumnKey, RowKey

from cryptoterm.domain.market import TickerStats
from cryptoterm.tui.formatting import DASH, fmt_abbrev, fmt_bps, fmt_pct, fmt_price
from cryptoterm.tui.messages import SymbolOpened, SymbolSelected
from cryptoterm.tui.widgets.cell_updates import update_cells
from cryptoterm.tui.widgets.column_fit import CELL_PADDING, apply_widths, available_width, fit_widths

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

#: USDⓈ-M: funding rate, time to the next funding and open interest take the bid / ask columns' place (the mark
#: price and bid / ask are on the symbol detail and the order book).
FUTURES_COLUMNS: tuple[tuple[str, str, int], ...] = (
    *COLUMNS[:4],
    ("funding", "Fund %", 8),
    ("next", "Next", 6),
    ("oi", "OI", 7),
    COLUMNS[6],
)

#: The attention score (`domain.anomaly.attention`: the largest recent robust z) joins when the table has room.
ATTENTION_COLUMN: tuple[str, str, int] = ("attention", "Attn", 4)
#: Attention from this robust z is highlighted (a market event's "warning" starts at 5 by default).
ATTENTION_HOT = 5.0

#: Where a wide table's spare columns go, and how wide each may grow.
GROW: dict[str, int] = {"symbol": 14, "last": 14, "bid": 14, "ask": 14, "volume": 9, "change": 9, "spread": 9}

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


def sorted_header(header: str, width: int, descending: bool) -> str:
    """The header of the column the rows are sorted by: "▼Chg 24h", shortened to its first word when the arrow
    would not fit the column ("▼Sprd"). A sort by a figure without a column (1 h volatility) marks the symbol
    column ("▼σ Symbol")."""
    arrow = "▼" if descending else "▲"
    label = f"{arrow}{header}"
    return label if len(label) <= width else f"{arrow}{header.split()[0]}"


class Watchlist(DataTable[Text]):
    """A `DataTable` of tickers keyed by symbol; highlighting a row selects that symbol."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "choose", "Detail", show=False, tooltip="Open the symbol's detail view"),
        Binding("home", "scroll_top", "First", show=False, tooltip="First watchlist row"),
        Binding("end", "scroll_bottom", "Last", show=False, tooltip="Last watchlist row"),
    ]

    DEFAULT_CSS = """
    Watchlist { height: auto; }
    """

    def __init__(self, symbols: Sequence[str] = (), *, futures: bool = False, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._initial = list(symbols)
        #: The columns before the attention column (`FUTURES_COLUMNS` on USDⓈ-M).
        self.base_columns = FUTURES_COLUMNS if futures else COLUMNS
        self._keys = {key for key, _, _ in self.base_columns}
        #: The sort shown in the headers: (column key, high to low), or None for the user's order.
        self.sort_shown: tuple[str, bool] | None = None
        self._shown: dict[tuple[str, str], str] = {}
        self._last_price: dict[str, float] = {}
        self._flashing: set[str] = set()
        self._flash_timer: Timer | None = None
        #: The symbol the screen last selected (or the user last chose): a cursor already there reports nothing.
        self._selected = ""
        self._attention: dict[str, float] = {}

    def on_mount(self) -> None:
        for key, header, width in self.base_columns:
            self.add_column(header, key=key, width=width)
        self.call_after_refresh(self.fit_columns)

    def on_resize(self) -> None:
        self.fit_columns()

    def fit_columns(self) -> None:
        """Wider than 80 columns, the attention column joins, then the symbol and price columns take the spare
        room (up to what they need)."""
        self._fit_attention()
        apply_widths(self, fit_widths(self._columns(), available_width(self), GROW))
        for symbol in self._initial:
            self._add_symbol(symbol)

    def _columns(self) -> tuple[tuple[str, str, int], ...]:
        return (*self.base_columns, ATTENTION_COLUMN) if self.shows_attention else self.base_columns

    @property
    def shows_attention(self) -> bool:
        return ColumnKey(ATTENTION_COLUMN[0]) in self.columns

    def _fit_attention(self) -> None:
        needed = sum(width + CELL_PADDING for _, _, width in (*self.base_columns, ATTENTION_COLUMN))
        room = available_width(self) >= needed
        key, header, width = ATTENTION_COLUMN
        if room and not self.shows_attention:
            self.add_column(header, key=key, width=width, default=Text(DASH, justify="right"))
            self.apply_attention(self._attention, force=True)
        elif not room and self.shows_attention:
            self.remove_column(ColumnKey(key))
            for shown in [k for k in self._shown if k[1] == key]:
                del self._shown[shown]

    def apply_attention(self, scores: Mapping[str, float], *, force: bool = False) -> int:
        """Show each symbol's attention score (when the column is shown); returns how many cells changed."""
        self._attention = dict(scores)
        if not self.shows_attention:
            return 0
        changed = 0
        for symbol in self.symbols:
            score = scores.get(symbol)
            text = DASH if score is None else f"{min(score, 99.0):.0f}" if score >= 9.5 else f"{score:.1f}"
            style = "bold yellow" if score is not None and score >= ATTENTION_HOT else "dim"
            cell = Text(text, style=style, justify="right")
            signature = f"{cell.plain}\0{cell.style}"
            if not force and self._shown.get((symbol, "attention")) == signature:
                continue
            self._shown[(symbol, "attention")] = signature
            self.update_cell(symbol, "attention", cell)
            changed += 1
        return changed

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
        """Highlight `symbol`'s row without reporting it (the screen is telling us); False when not listed."""
        self._selected = symbol
        try:
            index = self.get_row_index(symbol)
        except Exception:
            return False
        if self.cursor_row != index:
            self.move_cursor(row=index)
        return True

    # ------------------------------------------------------------------ user moves (the only ones reported)
    def _report_user_move(self) -> None:
        symbol = self.selected_symbol
        if symbol is not None and symbol != self._selected:
            self._selected = symbol
            self.post_message(SymbolSelected(symbol))

    def action_cursor_up(self) -> None:
        super().action_cursor_up()
        self._report_user_move()

    def action_cursor_down(self) -> None:
        super().action_cursor_down()
        self._report_user_move()

    def action_page_up(self) -> None:
        super().action_page_up()
        self._report_user_move()

    def action_page_down(self) -> None:
        super().action_page_down()
        self._report_user_move()

    def action_scroll_top(self) -> None:
        super().action_scroll_top()
        self._report_user_move()

    def action_scroll_bottom(self) -> None:
        super().action_scroll_bottom()
        self._report_user_move()

    def on_click(self, event: events.Click) -> None:
        # Runs before DataTable's own click handler moves the cursor: report once this click is handled.
        self.call_next(self._report_user_move)

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
        columns = self._columns()
        cells = [Text(symbol, style="bold")] + [Text(DASH, justify="right") for _ in columns[1:]]
        for (key, _, _), cell in zip(columns, cells, strict=True):
            self._shown[(symbol, key)] = cell.plain
        return self.add_row(*cells, key=symbol)

    def _drop_symbol(self, symbol: str) -> None:
        self.remove_row(symbol)
        for key, _, _ in (*self.base_columns, ATTENTION_COLUMN):
            self._shown.pop((symbol, key), None)
        self._last_price.pop(symbol, None)
        self._flashing.discard(symbol)

    def apply_tickers(self, tickers: Sequence[TickerStats]) -> int:
        """Show the newest tickers; returns how many cells changed. Unknown symbols get a new row, and rows
        of symbols no longer in the snapshot (removed from the watchlist) go away."""
        changed = 0
        updates: list[tuple[str, str, Text]] = []
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
                if key == "symbol" or key not in self._keys:
                    continue
                shown_key = (symbol, key)
                signature = f"{cell.plain}\0{cell.style}"
                if self._shown.get(shown_key) == signature:
                    continue
                self._shown[shown_key] = signature
                updates.append((symbol, key, cell))
        changed += update_cells(self, updates)
        if self._flashing:
            if self._flash_timer is None:
                self._flash_timer = self.set_timer(FLASH_SECONDS, self._clear_flashes, name="watchlist-flash")
            else:
                self._flash_timer.reset()
        return changed

    def _clear_flashes(self) -> None:
        updates: list[tuple[str, str, Text]] = []
        for symbol in list(self._flashing):
            price = self._last_price.get(symbol, float("nan"))
            text = self.cell_text(symbol, "last") or fmt_price(price)
            style = self._row_style(symbol)
            updates.append((symbol, "last", Text(text, style=style, justify="right")))
            self._shown[(symbol, "last")] = f"{text}\0{style}"
        update_cells(self, updates)
        self._flashing.clear()
        self._flash_timer = None

    def _row_style(self, symbol: str) -> str:
        try:
            change = self.get_cell(symbol, "change")
        except CellDoesNotExist:
            return ""
        return str(change.style)

    def apply_cells(self, cells: Mapping[tuple[str, str], Text]) -> int:
        """Show extra cells ((symbol, column) → text) where they changed; cells of absent rows or columns are
        skipped. Returns how many changed."""
        updates: list[tuple[str, str, Text]] = []
        for (symbol, key), cell in cells.items():
            if key not in self._keys or (symbol, "symbol") not in self._shown:
                continue
            signature = f"{cell.plain}\0{cell.style}"
            if self._shown.get((symbol, key)) != signature:
                self._shown[(symbol, key)] = signature
                updates.append((symbol, key, cell))
        return update_cells(self, updates)

    def reorder(self, symbols: Sequence[str], sort: tuple[str, bool] | None = None) -> bool:
        """Rows in the order of `symbols` (rows not named keep their order after them); the header of the sorted
        column gets ▼ / ▲. The highlight stays on its symbol. False when nothing changed."""
        if list(symbols) == self.symbols and sort == self.sort_shown:
            return False
        for key, header, width in self._columns():
            marked = "" if sort is None else sort[0] if sort[0] in self._keys else "symbol"
            if sort is None or marked != key:
                label = header
            else:
                label = sorted_header(header if sort[0] == key else f"σ {header}", width, sort[1])
            self.columns[ColumnKey(key)].label = Text(label)
        self.sort_shown = sort
        rank = {symbol: index for index, symbol in enumerate(symbols)}
        current = {symbol: index for index, symbol in enumerate(self.symbols)}
        selected = self._selected or self.selected_symbol
        self.sort("symbol", key=lambda cell: (rank.get(cell.plain, len(rank)), current.get(cell.plain, 0)))
        if selected:
            self.select_symbol(selected)
        return True

    def action_choose(self) -> None:
        symbol = self.selected_symbol
        if symbol is not None:
            self.post_message(SymbolSelected(symbol))
            self.post_message(SymbolOpened(symbol))
