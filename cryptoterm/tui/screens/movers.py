"""Movers (`M`): the top gainers, losers and volume surges of every market of the exchange, over 1 h or 24 h.

Read from the engine's ticker samples (`services.market_universe`, one all-symbols request every `[markets]
refresh_s`, never one per symbol); how the windows are computed is `domain.movers`. Three lists side by side
(below `WIDE_FROM` columns each list drops its third column, so three lists still fit 80×24). `1` / `2`
choose the window, `f` the quote asset, `enter` opens the highlighted market (watching it first), `a` adds it,
`tab` moves between the lists, `r` asks for the tickers now. Stablecoins are left out.
"""

from __future__ import annotations

import math
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Static

from cryptoterm.domain.market_search import quote_assets
from cryptoterm.domain.movers import Mover, MoversBoard
from cryptoterm.services.market_snapshot import MarketSnapshot
from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.context import TuiSession
from cryptoterm.tui.formatting import DASH, fmt_abbrev, fmt_age, fmt_pct, fmt_price
from cryptoterm.tui.screens.base import LiveScreen
from cryptoterm.tui.symbol_actions import add_to_watchlist, open_symbol
from cryptoterm.tui.widgets.status_bar import StatusBar

WINDOWS = ("1h", "24h")
#: From this terminal width each list shows three columns (price or volume as well).
WIDE_FROM = 105
LISTS: tuple[tuple[str, str], ...] = (("gainers", "Gainers"), ("losers", "Losers"), ("surges", "Volume surge"))


def mover_cells(mover: Mover, kind: str, *, wide: bool) -> tuple[Text, ...]:
    """A row: market, then the list's figure (change, or surge), then (wide) the last price or window volume."""
    change = mover.change_pct
    style = "" if math.isnan(change) or change == 0 else "green" if change > 0 else "red"
    if kind == "surges":
        surge = DASH if math.isnan(mover.surge) else f"{mover.surge:.1f}×"
        cells = [
            Text(surge, style="bold yellow", justify="right"),
            Text(fmt_abbrev(mover.quote_volume), justify="right"),
        ]
    else:
        cells = [Text(fmt_pct(change), style=style, justify="right"), Text(fmt_price(mover.last), justify="right")]
    return (Text(mover.symbol, style="bold"), *cells[: 2 if wide else 1])


def list_columns(kind: str, wide: bool) -> list[tuple[str, str, int]]:
    second, third = ("Surge", "Vol") if kind == "surges" else ("Chg", "Last")
    columns = [("symbol", "Market", 11), ("b", second, 8), ("c", third, 10)]
    return columns if wide else columns[:2]


class MoversScreen(LiveScreen):
    """See the module docstring."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "window('1h')", "1h", tooltip="Movers over the last hour"),
        Binding("2", "window('24h')", "24h", tooltip="Movers over the last 24 hours"),
        Binding("f", "quote", "Quote", tooltip="Filter by quote asset (cycles through them)"),
        Binding("a", "add", "Add", tooltip="Add the highlighted market to the watchlist"),
        Binding("r", "refresh", "Refresh", show=False, tooltip="Read every market's ticker again now"),
        Binding("escape", "app.switch_mode('dashboard')", "Back", show=False, tooltip="Back to the dashboard"),
    ]

    DEFAULT_CSS = """
    MoversScreen #movers-summary { height: 1; padding: 0 1; }
    MoversScreen #movers-lists { height: 1fr; }
    MoversScreen #movers-lists > DataTable { width: 1fr; height: 100%; border: round $primary 40%;
        scrollbar-size-vertical: 1; }
    MoversScreen #movers-lists > DataTable:focus { border: round $accent; }
    """

    def __init__(self, session: TuiSession) -> None:
        super().__init__(session, name="movers", id="movers")
        self.window = "1h"
        self.quote = session.config.markets.quote or "USDT"
        self.board: MoversBoard | None = None
        self.fills = 0
        self.wide: bool | None = None
        self._filled: object = None

    def compose(self) -> ComposeResult:
        yield Static(id="movers-summary")
        with Horizontal(id="movers-lists"):
            for kind, title in LISTS:
                table: DataTable[Text] = DataTable(id=f"movers-{kind}", cursor_type="row", zebra_stripes=True)
                table.border_title = title
                yield table
        yield StatusBar(self.session.runtime.mode, self.session.runtime.exchange, id="movers-status")
        yield Footer()

    def on_mount(self) -> None:
        self._fit_columns()
        super().on_mount()
        self.query_one("#movers-gainers", DataTable).focus()
        self.refill(force=True)

    def on_resize(self) -> None:
        if self._fit_columns():
            self.refill(force=True)

    def _fit_columns(self) -> bool:
        """Two or three columns a list, by the terminal's width; True when that changed."""
        wide = self.app.size.width >= WIDE_FROM
        if wide == self.wide:
            return False
        self.wide = wide
        for kind, _ in LISTS:
            table = self.query_one(f"#movers-{kind}", DataTable)
            table.clear(columns=True)
            for key, label, width in list_columns(kind, wide):
                table.add_column(label, key=key, width=width)
        return True

    def apply_snapshot(self, snapshot: MarketSnapshot) -> None:
        super().apply_snapshot(snapshot)
        self.refill()

    def refill(self, *, force: bool = False) -> bool:
        """Rank again when the samples, the window or the quote changed."""
        views = self.session.views
        universe = views.universe if views is not None else None
        signature = (universe.version if universe is not None else -1, self.window, self.quote)
        if not force and signature == self._filled:
            return False
        self._filled = signature
        limit = self.session.config.markets.movers
        if universe is None:
            self.board = None
        else:
            floor = self.session.config.markets.min_quote_volume
            self.board = universe.board(self.window, quote=self.quote, min_quote_volume=floor, limit=limit)
        for kind, _ in LISTS:
            table = self.query_one(f"#movers-{kind}", DataTable)
            table.clear()
            for mover in getattr(self.board, kind, ()) if self.board is not None else ():
                table.add_row(*mover_cells(mover, kind, wide=bool(self.wide)), key=mover.symbol)
        self._summary(universe.error if universe is not None else "")
        self.fills += 1
        return True

    def _summary(self, error: str) -> None:
        board = self.board
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{self.window} (1 / 2) · quote {self.quote or 'any'} (f)", style="bold")
        if board is None or board.samples == 0:
            text.append(" · waiting for the first tickers", style="yellow")
        else:
            text.append(f" · {board.samples} sample{'s' * (board.samples != 1)}", style="dim")
            window_ms = 3_600_000 if self.window == "1h" else 86_400_000
            if board.span_ms < window_ms * 0.95:
                text.append(f" · over {fmt_age(board.span_ms)} so far", style="yellow")
            if self.window == "24h" and not board.surges:
                text.append(" · surges need a day of samples", style="dim")
        if error:
            text.append(f" · {error}", style="red")
        self.query_one("#movers-summary", Static).update(text)

    @property
    def highlighted(self) -> str | None:
        focused = self.focused
        if not isinstance(focused, DataTable) or focused.row_count == 0:
            return None
        return str(focused.coordinate_to_cell_key(focused.cursor_coordinate).row_key.value)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        symbol = str(event.row_key.value)
        self.run_worker(open_symbol(self, self.session, symbol), group="watchlist", exit_on_error=False)

    def action_window(self, window: str) -> None:
        if window in WINDOWS:
            self.window = window
            self.refill()

    def action_quote(self) -> None:
        views = self.session.views
        universe = views.universe if views is not None else None
        quotes = ["", *quote_assets(universe.markets() if universe is not None else [])]
        index = quotes.index(self.quote) if self.quote in quotes else 0
        self.quote = quotes[(index + 1) % len(quotes)]
        self.refill()

    def action_add(self) -> None:
        symbol = self.highlighted
        if symbol is not None:
            self.run_worker(add_to_watchlist(self, self.session, symbol), group="watchlist", exit_on_error=False)

    def action_refresh(self) -> None:
        views = self.session.views
        if views is not None and views.universe is not None:
            views.universe.request_refresh()

    def palette_commands(self) -> list[PaletteCommand]:
        return [
            PaletteCommand(
                "Movers over 1 h", "Gainers, losers and surges of the last hour", lambda: self.action_window("1h"), "1"
            ),
            PaletteCommand(
                "Movers over 24 h", "Gainers, losers and surges of the day", lambda: self.action_window("24h"), "2"
            ),
            PaletteCommand("Movers: quote filter", "Cycle the quote asset", self.action_quote, "f"),
            PaletteCommand("Add mover to watchlist", "Watch the highlighted market", self.action_add, "a"),
            PaletteCommand("Refresh movers", "Read every market's ticker now", self.action_refresh, "r"),
        ]
