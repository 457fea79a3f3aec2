"""Orders, positions, fills and pairs positions of the account, with the keys that act on them.

Four tabs (`1`–`4`): open positions marked to the last trade with their unrealized and realized profit, open
orders (a bracket's stop and targets among them), the fills (read from the store, newest last), and the pairs
positions with their live z-score. `x` cancels the highlighted order, `X` every open order, `f` flattens the
highlighted position, `e` writes a journal entry for the highlighted position or order, `S` stops the
highlighted pair's bot, `Z` trades the watched pair (`z` on the screener) as a pairs position, `N` opens the
order ticket. The tables repaint after each change of the account and at most once a second with the market.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane

from cryptoterm.domain.trading.order_text import number
from cryptoterm.domain.trading.orders import Fill, Order, Position
from cryptoterm.domain.trading.positions import position_key
from cryptoterm.services.market_snapshot import MarketSnapshot
from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.context import TuiSession
from cryptoterm.tui.formatting import fmt_clock, fmt_price
from cryptoterm.tui.screens.base import LiveScreen
from cryptoterm.tui.trading_actions import cancel_all, cancel_order, close_position, journal_entry
from cryptoterm.tui.trading_pairs import stop_pair, trade_watched_pair
from cryptoterm.tui.widgets.positions_panel import signed
from cryptoterm.tui.widgets.status_bar import StatusBar

TABS = ("tab-positions", "tab-orders", "tab-fills", "tab-pairs")
REPAINT_EVERY_S = 1.0
FILLS_SHOWN = 500

COLUMNS: dict[str, tuple[str, ...]] = {
    "positions": ("Symbol", "Pair", "Side", "Qty", "Avg", "Mark", "Unrealized", "Realized", "Opened"),
    "orders": ("Id", "Symbol", "Side", "Type", "Qty", "Filled", "Price", "Stop", "Status", "Bracket"),
    "fills": ("Time", "Order", "Symbol", "Side", "Qty", "Price", "Fee", "Liq"),
    "pairs": ("Pair", "Legs", "State", "Dir", "z", "Entry", "Exit", "Stop", "Trades", "Last"),
}


class PositionsScreen(LiveScreen):
    """See the module docstring."""

    DEFAULT_CSS = """
    PositionsScreen #account { height: auto; padding: 0 1; }
    PositionsScreen TabbedContent { height: 1fr; }
    PositionsScreen DataTable { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(str(i + 1), f"tab({i})", name, show=False, tooltip=f"Show the {name.lower()} tab")
          for i, name in enumerate(("Positions", "Orders", "Fills", "Pairs"))),
        Binding("N", "order_ticket", "Order", tooltip="Order ticket for the selected symbol"),
        Binding("x", "cancel_order", "Cancel", tooltip="Cancel the highlighted open order"),
        Binding("X", "cancel_all", "Cancel all", show=False, tooltip="Cancel every open order"),
        Binding("f", "flatten", "Flatten", tooltip="Close the highlighted position with a market order"),
        Binding("e", "journal", "Journal", tooltip="Write a journal entry for the highlighted position or order"),
        Binding("S", "stop_pair", "Stop pair", show=False, tooltip="Stop the highlighted pair's bot (closes its legs)"),
        Binding("Z", "trade_pair", "Trade pair", show=False, tooltip="Trade the watched pair as a pairs position"),
        Binding("escape", "app.switch_mode('dashboard')", "Back", show=False, tooltip="Back to the dashboard"),
    ]  # fmt: skip

    def __init__(self, session: TuiSession) -> None:
        super().__init__(session, name="positions", id="positions")
        self.fills: list[Fill] = []
        self.loads = 0
        self._painted_at = 0.0
        self._listening: object = None
        self._loading = False
        self._load_again = False

    def compose(self) -> ComposeResult:
        yield Static("", id="account")
        with TabbedContent(id="positions-tabs"):
            for tab, name in zip(TABS, COLUMNS, strict=True):
                with TabPane(name.capitalize(), id=tab):
                    table: DataTable[Any] = DataTable(id=f"{name}-table", cursor_type="row", zebra_stripes=True)
                    table.add_columns(*COLUMNS[name])
                    yield table
        yield StatusBar(self.session.runtime.mode, self.session.runtime.exchange, id="status")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#positions-table", DataTable).focus()
        self.repaint()
        self.load_fills()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.repaint()
        self.load_fills()

    # ----------------------------------------------------------------- data
    def _listen(self) -> None:
        broker = self.session.broker
        if broker is not None and self._listening is not broker:
            self._listening = broker
            broker.on_update(self._account_changed)

    def _account_changed(self) -> None:
        if self.is_mounted:
            self.repaint()
            self.load_fills()

    def apply_snapshot(self, snapshot: MarketSnapshot) -> None:
        super().apply_snapshot(snapshot)
        self._listen()
        if time.monotonic() - self._painted_at >= REPAINT_EVERY_S:
            self.repaint()

    def load_fills(self) -> None:
        """Read the fills (from the store) in one worker at a time: a load asked for meanwhile runs after it.

        A load is never cancelled for a newer one: the broker's read waits on its pending store write, and
        a cancelled wait must not reach the write itself.
        """
        broker = self.session.broker
        if broker is None:
            return
        if self._loading:
            self._load_again = True
            return
        self._loading = True

        async def load() -> None:
            try:
                while True:
                    self._load_again = False
                    fills = list(await broker.fills())
                    self.fills = fills[-FILLS_SHOWN:]
                    self.loads += 1
                    self._paint_fills()
                    if not self._load_again:
                        return
            finally:
                self._loading = False

        self.run_worker(load(), name="fills", group="fills", exit_on_error=False)

    def repaint(self) -> None:
        self._painted_at = time.monotonic()
        broker = self.session.broker
        account = self.query_one("#account", Static)
        if broker is None:
            account.update("the account opens once the market has started")
            return
        view = broker.view()
        line = Text(f"{broker.mode}  equity {view.equity:,.2f} {view.quote}  cash {view.cash:,.2f}  ")
        line.append(f"free {view.free:,.2f}  locked {view.locked:,.2f}  unrealized ")
        line.append_text(signed(view.unrealized))
        line.append("  day ")
        line.append_text(signed(view.day_pnl))
        account.update(line)
        self._fill_table("positions", [(position_key(p), _position_row(p, m)) for p, m in view.positions])
        self._fill_table("orders", [(o.id, _order_row(o)) for o in view.orders])
        pairs = broker.pairs
        rows = [] if pairs is None else [(v.spec.pair_id, _pair_row(v)) for v in pairs.views()]
        self._fill_table("pairs", rows)

    def _paint_fills(self) -> None:
        rows = [(f"{i}", _fill_row(f)) for i, f in enumerate(self.fills)]
        self._fill_table("fills", rows[::-1])

    def _fill_table(self, name: str, rows: list[tuple[str, tuple[object, ...]]]) -> None:
        table: DataTable[Any] = self.query_one(f"#{name}-table", DataTable)
        keys = [key for key, _row in rows]
        current = [str(row.key.value) for row in table.ordered_rows]
        if current == keys:
            for key, row in rows:
                for column, value in zip(table.ordered_columns, row, strict=True):
                    table.update_cell(key, column.key, value)
            return
        cursor = table.cursor_row
        table.clear()
        for key, row in rows:
            table.add_row(*row, key=key)
        if rows:
            table.move_cursor(row=min(cursor, len(rows) - 1))

    def _highlighted(self, name: str) -> str | None:
        table: DataTable[Any] = self.query_one(f"#{name}-table", DataTable)
        if table.row_count == 0:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def _active(self) -> str:
        return str(self.query_one(TabbedContent).active)

    # ----------------------------------------------------------------- actions
    def action_tab(self, index: int) -> None:
        self.query_one(TabbedContent).active = TABS[index]
        self.query_one(f"#{TABS[index].removeprefix('tab-')}-table", DataTable).focus()

    def action_cancel_order(self) -> None:
        order_id = self._highlighted("orders")
        if order_id is None:
            self.notify("no open order to cancel")
            return
        cancel_order(self, self.session, order_id)

    def action_cancel_all(self) -> None:
        cancel_all(self, self.session)

    def action_flatten(self) -> None:
        key = self._highlighted("positions")
        if key is None:
            self.notify("no position to flatten")
            return
        symbol, pair, _opened = key.split("|")
        close_position(self, self.session, symbol, pair or None)

    def action_journal(self) -> None:
        journal = self.session.journal
        if journal is None:
            return
        now = self.session.snapshot.ts if self.session.snapshot is not None else 0
        if self._active() == "tab-orders" and (order_id := self._highlighted("orders")) is not None:
            journal_entry(self, self.session, lambda: journal.draft_for_order(order_id, now))
            return
        key = self._highlighted("positions")
        if key is None:
            self.notify("highlight a position or an order to write about")
            return
        mark = _mark_of(self.session, key)
        journal_entry(self, self.session, lambda: journal.draft_for_position(key, now, mark))

    def action_stop_pair(self) -> None:
        pair_id = self._highlighted("pairs")
        if pair_id is not None:
            stop_pair(self, self.session, pair_id)

    def action_trade_pair(self) -> None:
        trade_watched_pair(self, self.session)

    def palette_commands(self) -> list[PaletteCommand]:
        entries = (
            ("Cancel the highlighted order", "Cancel the open order under the cursor", self.action_cancel_order, "x"),
            ("Cancel every open order", "Cancel all open orders of the account", self.action_cancel_all, "X"),
            ("Flatten the highlighted position", "Close it with a market order", self.action_flatten, "f"),
            ("Journal entry", "Write about the highlighted position or order", self.action_journal, "e"),
            ("Stop the highlighted pair", "Stop its bot and close its legs", self.action_stop_pair, "S"),
            ("Trade the watched pair", "The watched pair as a pairs position (a bot)", self.action_trade_pair, "Z"),
        )
        return [PaletteCommand(title, help, callback, key) for title, help, callback, key in entries]


def _mark_of(session: TuiSession, key: str) -> float | None:
    broker = session.broker
    if broker is None:
        return None
    return next((mark for p, mark in broker.view().positions if position_key(p) == key), None)


def _position_row(position: Position, mark: float) -> tuple[object, ...]:
    return (
        position.symbol,
        position.pair_id or "",
        Text("long", style="green") if position.qty > 0 else Text("short", style="red"),
        number(abs(position.qty)),
        fmt_price(position.avg_price),
        fmt_price(mark),
        signed(position.unrealized(mark)),
        signed(position.realized_pnl),
        fmt_clock(position.opened_ms),
    )


def _order_row(order: Order) -> tuple[object, ...]:
    r = order.request
    return (
        order.id,
        r.symbol,
        Text(r.side, style="green" if r.side == "buy" else "red"),
        r.type.replace("_", "-") + (" RO" if r.reduce_only else ""),
        number(r.qty),
        number(order.filled_qty),
        number(r.price) if r.price is not None else "",
        number(r.stop_price) if r.stop_price is not None else "",
        order.status,
        r.bracket_id or r.pair_id or "",
    )


def _fill_row(fill: Fill) -> tuple[object, ...]:
    return (
        fmt_clock(fill.time_ms),
        fill.order_id,
        fill.symbol,
        Text(fill.side, style="green" if fill.side == "buy" else "red"),
        number(fill.qty),
        fmt_price(fill.price),
        f"{fill.fee:,.4f}",
        fill.liquidity,
    )


def _pair_row(view: Any) -> tuple[object, ...]:
    spec, status = view.spec, view.status
    direction = {1: "long", -1: "short"}.get(status.direction, "")
    z = f"{view.z:+.2f}" if view.z == view.z else "–"
    return (
        spec.pair_id,
        spec.label,
        status.state,
        direction,
        z,
        f"±{spec.entry_z:g}",
        f"±{spec.exit_z:g}",
        f"±{spec.stop_z:g}",
        str(status.trades),
        status.exit_reason,
    )
