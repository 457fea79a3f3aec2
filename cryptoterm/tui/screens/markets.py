"""The market browser (`m`): every market of the configured exchange, searched as you type.

The list is the engine's (`services.market_universe`: the exchange's market list once, every market's ticker
in one request every `[markets] refresh_s`). Typing filters it by base, quote or symbol (`domain.market_search`:
the market you mean first, then by volume); `f` cycles the quote asset, `k` spot / perpetual, `v` the volume
floor. `enter` opens the highlighted market's detail (watching it first if it is not watched), `a` adds it to the
watchlist and stays here. `down` / `enter` in the search field moves to the list, `/` back to the search.
A replay lists the symbols its recording carries.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Input, Static

from cryptoterm.domain.market_search import MarketFilter, MarketMatch, quote_assets, search_markets
from cryptoterm.services.market_snapshot import MarketSnapshot
from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.context import TuiSession
from cryptoterm.tui.formatting import DASH, fmt_abbrev, fmt_pct, fmt_price
from cryptoterm.tui.screens.base import LiveScreen
from cryptoterm.tui.symbol_actions import add_to_watchlist, open_symbol
from cryptoterm.tui.widgets.status_bar import StatusBar

#: Volume floors `v` cycles through (quote asset, 24 h).
VOLUME_FLOORS: tuple[float, ...] = (0.0, 1e6, 1e7, 1e8)
KINDS: tuple[str, ...] = ("", "spot", "perp")
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("symbol", "Market", 16),
    ("kind", "Kind", 4),
    ("last", "Last", 12),
    ("change", "Chg 24h", 8),
    ("volume", "Vol 24h", 8),
    ("watched", "W", 1),
)
#: Rows listed at most (the search narrows; thousands of rows help nobody).
MAX_ROWS = 300


def match_row(match: MarketMatch, watched: bool) -> tuple[Text, ...]:
    ticker = match.ticker
    change = ticker.change_pct if ticker is not None else float("nan")
    style = "" if math.isnan(change) or change == 0 else "green" if change > 0 else "red"
    return (
        Text(match.market.symbol, style="bold"),
        Text(match.market.kind, style="dim"),
        Text(fmt_price(ticker.last) if ticker is not None else DASH, justify="right"),
        Text(fmt_pct(change), style=style, justify="right"),
        Text(fmt_abbrev(ticker.quote_volume_24h) if ticker is not None else DASH, justify="right"),
        Text("✓" if watched else "", style="bold cyan"),
    )


class MarketsScreen(LiveScreen):
    """See the module docstring."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search", key_display="/", tooltip="Type to search markets by base, quote, symbol"),
        Binding("f", "quote", "Quote", tooltip="Filter by quote asset (cycles through them)"),
        Binding("k", "kind", "Kind", tooltip="Spot, perpetual or both"),
        Binding("v", "volume", "Min vol", tooltip="Minimum 24 h quote volume (0, 1M, 10M, 100M)"),
        Binding("a", "add", "Add", tooltip="Add the highlighted market to the watchlist"),
        Binding("enter", "open", "Open", show=False, tooltip="Open the highlighted market's detail"),
        Binding("r", "refresh", "Refresh", show=False, tooltip="Read every market's ticker again now"),
        Binding("escape", "app.switch_mode('dashboard')", "Back", show=False, tooltip="Back to the dashboard"),
    ]

    DEFAULT_CSS = """
    MarketsScreen #markets-search { margin: 0 0; }
    MarketsScreen #markets-filters { height: 1; padding: 0 1; }
    MarketsScreen #markets-table { height: 1fr; }
    """

    def __init__(self, session: TuiSession) -> None:
        super().__init__(session, name="markets", id="markets")
        settings = session.config.markets
        self.wanted = MarketFilter(quote=settings.quote, min_quote_volume=settings.min_quote_volume)
        self.matches: list[MarketMatch] = []
        self.fills = 0
        self._filled: tuple[object, ...] = ()

    def compose(self) -> ComposeResult:
        yield Input(placeholder="search: btc, eth btc, pepeusdt …", id="markets-search")
        yield Static(id="markets-filters")
        table: DataTable[Text] = DataTable(id="markets-table", cursor_type="row", zebra_stripes=True)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        yield table
        yield StatusBar(self.session.runtime.mode, self.session.runtime.exchange, id="markets-status")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(Input).focus()
        self.refill(force=True)

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#markets-table", DataTable)

    @property
    def highlighted(self) -> str | None:
        table = self.table
        if table.row_count == 0:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    # ------------------------------------------------------------------ data in
    def apply_snapshot(self, snapshot: MarketSnapshot) -> None:
        super().apply_snapshot(snapshot)
        self.refill()

    def refill(self, *, force: bool = False) -> bool:
        """List the markets the filter lets through, when the markets, tickers, filter or watchlist changed."""
        views = self.session.views
        universe = views.universe if views is not None else None
        watched = tuple(self.session.symbols)
        signature = (universe.version if universe is not None else -1, self.wanted, watched, universe is None)
        if not force and signature == self._filled:
            return False
        self._filled = signature
        if universe is None:
            self.matches = []
        else:
            markets = universe.markets()
            self.matches = search_markets(markets, universe.tickers(), self.wanted, limit=MAX_ROWS)
        self._fill_table(set(watched))
        self._show_filters(universe is not None and not universe.listed, universe.error if universe else "")
        self.fills += 1
        return True

    def _fill_table(self, watched: set[str]) -> None:
        table = self.table
        keep = self.highlighted
        table.clear()
        for match in self.matches:
            table.add_row(*match_row(match, match.market.symbol in watched), key=match.market.symbol)
        if keep is not None and keep in {m.market.symbol for m in self.matches}:
            table.move_cursor(row=table.get_row_index(keep))

    def _show_filters(self, loading: bool, error: str) -> None:
        wanted = self.wanted
        kind = {"": "spot + perp", "spot": "spot", "perp": "perpetuals"}[wanted.kind]
        text = Text(no_wrap=True, overflow="ellipsis")
        floor = fmt_abbrev(wanted.min_quote_volume) if wanted.min_quote_volume else "0"
        text.append(f"quote {wanted.quote or 'any'} (f) · {kind} (k) · vol ≥ {floor} (v)")
        text.append(f" · {len(self.matches)} shown", style="bold")
        if loading:
            text.append(" · reading the market list…", style="yellow")
        if error:
            text.append(f" · {error}", style="red")
        self.query_one("#markets-filters", Static).update(text)

    # ------------------------------------------------------------------ keys
    def on_input_changed(self, event: Input.Changed) -> None:
        self._set_filter(replace(self.wanted, text=event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.table.focus()

    def on_key(self, event: events.Key) -> None:
        """`down` or `escape` in the search field moves to the list (escape there leaves the screen)."""
        if event.key in ("down", "escape") and isinstance(self.focused, Input):
            self.table.focus()
            event.stop()
            event.prevent_default()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_search(self) -> None:
        self.query_one(Input).focus()

    def _set_filter(self, wanted: MarketFilter) -> None:
        self.wanted = wanted
        self.refill()

    def action_quote(self) -> None:
        views = self.session.views
        universe = views.universe if views is not None else None
        quotes = ["", *quote_assets(universe.markets() if universe is not None else [])]
        index = quotes.index(self.wanted.quote) if self.wanted.quote in quotes else 0
        self._set_filter(replace(self.wanted, quote=quotes[(index + 1) % len(quotes)]))

    def action_kind(self) -> None:
        index = KINDS.index(self.wanted.kind) if self.wanted.kind in KINDS else 0
        self._set_filter(replace(self.wanted, kind=KINDS[(index + 1) % len(KINDS)]))

    def action_volume(self) -> None:
        floors = VOLUME_FLOORS
        index = floors.index(self.wanted.min_quote_volume) if self.wanted.min_quote_volume in floors else 0
        self._set_filter(replace(self.wanted, min_quote_volume=floors[(index + 1) % len(floors)]))

    def action_refresh(self) -> None:
        views = self.session.views
        if views is not None and views.universe is not None:
            views.universe.request_refresh()
            self.notify("reading every market's ticker again", title="Markets", timeout=2)

    def action_add(self) -> None:
        symbol = self.highlighted
        if symbol is not None:
            self.run_worker(add_to_watchlist(self, self.session, symbol), group="watchlist", exit_on_error=False)

    def action_open(self) -> None:
        symbol = self.highlighted
        if symbol is not None:
            self.run_worker(open_symbol(self, self.session, symbol), group="watchlist", exit_on_error=False)

    def palette_commands(self) -> list[PaletteCommand]:
        return [
            PaletteCommand("Search markets", "Type to search by base, quote or symbol", self.action_search, "/"),
            PaletteCommand("Markets: quote filter", "Cycle the quote asset filter", self.action_quote, "f"),
            PaletteCommand("Markets: spot / perpetual", "Cycle spot, perpetuals, both", self.action_kind, "k"),
            PaletteCommand("Markets: minimum volume", "Cycle 0, 1M, 10M, 100M", self.action_volume, "v"),
            PaletteCommand("Add market to watchlist", "Watch the highlighted market", self.action_add, "a"),
            PaletteCommand("Open market", "The highlighted market's detail", self.action_open, "enter"),
            PaletteCommand("Refresh tickers", "Read every market's ticker now", self.action_refresh, "r"),
        ]
