"""The paper account: orders, fills, positions and cash, moved only by the market it is shown.

It is pure and single-threaded: the paper broker service calls it on the engine's loop with each trade (or,
after a restart, each 1m candle of the gap), a book view and the market time, and stores the `Changes` each
call returns (orders as they are now, new fills, positions opened / changed / closed). Where an order fills is
`matching`'s job (driven by `paper_matching`); how a fill moves a position is `positions`'; what is free to
spend is `balances`'; whether an order is taken is `paper_checks`' (the guards among them); a bracket's children
are `bracket_book`'s. This class holds the state and applies them in order.

Only what can still change is kept in memory (open orders, open positions, live brackets, the latest final
orders for client-id look-ups); everything else is in the store.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Final, Literal

from cryptoterm.domain.trading.balances import PositionKey, key_of, order_locks, short_collateral
from cryptoterm.domain.trading.bracket_book import BracketBook
from cryptoterm.domain.trading.brackets import BracketPlan, bracket_id_of
from cryptoterm.domain.trading.guards import QTY_EPSILON, GuardLimits, day_start_ms
from cryptoterm.domain.trading.matching import MarketView, marketable_fills, walk_book
from cryptoterm.domain.trading.orders import (
    BracketRequest,
    Fill,
    Order,
    OrderRejected,
    OrderRequest,
    OrderStatus,
    Position,
)
from cryptoterm.domain.trading.paper_checks import check_placement
from cryptoterm.domain.trading.positions import apply_fill, reducible_qty

#: Final orders remembered for client-id look-ups and the orders screen (older ones are in the store).
RECENT_FINAL_ORDERS: Final = 500
Liquidity = Literal["maker", "taker"]


@dataclass(frozen=True, slots=True)
class PaperTerms:
    """The `[trading]` numbers a paper fill uses."""

    quote: str = "USDT"
    maker_fee_bps: float = 10.0
    taker_fee_bps: float = 10.0
    slippage_bps: float = 5.0


@dataclass(frozen=True, slots=True)
class PositionEvent:
    """A position as a fill at `time_ms` left it; `closed_ms` is set when the fill closed it (flat or flipped)."""

    position: Position
    closed_ms: int | None
    time_ms: int


@dataclass(slots=True)
class Changes:
    """What one call changed, for the store: the newest version of each touched order, the new fills, the
    positions as each fill left them, the stops that triggered and the brackets placed (entry id → plan)."""

    orders: dict[str, Order] = field(default_factory=dict)
    fills: list[Fill] = field(default_factory=list)
    positions: list[PositionEvent] = field(default_factory=list)
    triggered: set[str] = field(default_factory=set)
    brackets: dict[str, BracketPlan] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.orders or self.fills or self.positions)


class PaperAccount:
    """See the module docstring."""

    def __init__(self, terms: PaperTerms, limits: GuardLimits, cash: float, *, next_order: int = 1) -> None:
        self.terms = terms
        self.limits = limits
        self.cash = cash
        self.orders: dict[str, Order] = {}
        self.positions: dict[PositionKey, Position] = {}
        self.marks: dict[str, float] = {}
        self.triggered: set[str] = set()
        self.recent: deque[Order] = deque(maxlen=RECENT_FINAL_ORDERS)
        self.brackets = BracketBook()
        self._next = next_order
        self._by_client: dict[str, str] = {}
        self._by_symbol: dict[str, dict[str, None]] = {}
        self._day = -1
        self._day_start_equity = cash
        self._pending = Changes()

    @property
    def fee_rate(self) -> float:
        """The larger fee, as a fraction: what balance checks and locks count on."""
        return max(self.terms.maker_fee_bps, self.terms.taker_fee_bps) / 10_000.0

    # ----------------------------------------------------------------- restore
    def restore(
        self,
        positions: Iterable[Position],
        orders: Iterable[Order],
        plans: Iterable[BracketPlan],
        triggered: Iterable[str],
        *,
        marks: dict[str, float] | None = None,
        day_start: tuple[int, float] | None = None,
    ) -> None:
        """Load stored state: open positions, open orders plus every order of a live bracket (oldest first), the
        brackets, the stops already triggered, the last prices and the equity the day started with."""
        for position in positions:
            self.positions[(position.symbol, position.pair_id)] = position
        self.triggered.update(triggered)
        for plan in plans:
            self.brackets.add(plan)
        for order in orders:
            self._next = max(self._next, _order_number(order.id) + 1)
            self._by_client[order.request.client_id] = order.id
            self.brackets.track(order)
            if not order.is_final:
                self.orders[order.id] = order
                self._by_symbol.setdefault(order.request.symbol, {})[order.id] = None
        self.marks.update(marks or {})
        if day_start is not None:
            self._day, self._day_start_equity = day_start

    # ----------------------------------------------------------------- reads
    def mark(self, position: Position) -> float:
        return self.marks.get(position.symbol, position.avg_price)

    def unrealized(self) -> float:
        return sum(position.unrealized(self.mark(position)) for position in self.positions.values())

    def equity(self) -> float:
        return self.cash + sum(position.qty * self.mark(position) for position in self.positions.values())

    def locked_quote(self) -> float:
        held = order_locks(self.orders.values(), self.positions, self.fee_rate)
        return held + short_collateral(self.positions.values(), self.mark)

    def free_quote(self) -> float:
        return self.cash - self.locked_quote()

    def day_pnl(self, now_ms: int) -> float:
        """The day's (UTC) profit: equity now less equity when the day started — the realized profit since
        00:00 plus the unrealized profit's change since then (nothing else moves paper equity)."""
        self._roll_day(now_ms)
        return self.equity() - self._day_start_equity

    @property
    def day_start(self) -> tuple[int, float]:
        return self._day, self._day_start_equity

    def symbol_qty(self, symbol: str) -> float:
        return sum(p.qty for (sym, _pair), p in self.positions.items() if sym == symbol)

    def open_order_ids(self, symbol: str) -> list[str]:
        return list(self._by_symbol.get(symbol, ()))

    def open_qty(self, symbol: str) -> tuple[float, float]:
        """Unfilled (buy, sell) quantity of the symbol's open orders that may add to a position."""
        buy = sell = 0.0
        for order_id in self._by_symbol.get(symbol, ()):
            order = self.orders[order_id]
            if order.request.reduce_only:
                continue
            if order.request.side == "buy":
                buy += order.remaining_qty
            else:
                sell += order.remaining_qty
        return buy, sell

    def client_order_id(self, client_id: str) -> str | None:
        """The order id placed under `client_id` in this account's memory (the store knows older ones)."""
        return self._by_client.get(client_id)

    def find_client(self, client_id: str) -> Order | None:
        order_id = self._by_client.get(client_id)
        if order_id is None:
            return None
        if order_id in self.orders:
            return self.orders[order_id]
        return next((order for order in reversed(self.recent) if order.id == order_id), None)

    # ----------------------------------------------------------------- orders
    def place(self, request: OrderRequest, now_ms: int, market: MarketView) -> tuple[Order, Changes]:
        """Accept (and, for market and marketable orders, fill) `request`; `OrderRejected` with one line when
        the account cannot take it (`paper_checks`)."""
        self._begin_with(request.symbol, now_ms, market)
        check_placement(self, request, now_ms, market)
        order = self._execute_on_placement(self.new_order(request, now_ms), now_ms, market)
        return order, self._take()

    def place_bracket(self, bracket: BracketRequest, now_ms: int, market: MarketView) -> tuple[Order, Changes]:
        """The entry, checked and placed as `place` does; its stop and targets follow its fills (`brackets`)."""
        problem = bracket.problem()
        if problem is not None:
            raise OrderRejected(problem)
        if bracket.entry.reduce_only:
            raise OrderRejected("a bracket entry cannot be reduce-only")
        entry = replace(bracket.entry, bracket_id=bracket_id_of(bracket.entry))
        self._begin_with(entry.symbol, now_ms, market)
        check_placement(self, entry, now_ms, market)
        order = self.new_order(entry, now_ms)
        plan = BracketPlan.of(bracket, order.id)
        self.brackets.add(plan, order)
        self._pending.brackets[order.id] = plan
        order = self._execute_on_placement(order, now_ms, market)
        return order, self._take()

    def cancel(self, order_id: str, now_ms: int, reason: str = "cancelled by the trader") -> tuple[Order, Changes]:
        """The order after cancelling it; a final order comes back unchanged; `KeyError` for an unknown id."""
        self._pending = Changes()
        order = self.orders.get(order_id)
        if order is None:
            known = next((o for o in reversed(self.recent) if o.id == order_id), None)
            if known is None:
                raise KeyError(order_id)
            return known, self._take()
        self.brackets.detach(order)
        order = self.finish(order, "cancelled", reason, now_ms)
        return order, self._take()

    def cancel_all(self, now_ms: int, symbol: str | None = None) -> tuple[list[Order], Changes]:
        """Every open order (of `symbol`) cancelled, bracket children included."""
        self._pending = Changes()
        ended = []
        for order in list(self.orders.values()):
            if order.id in self.orders and (symbol is None or order.request.symbol == symbol):
                self.brackets.detach(order)
                ended.append(self.finish(self.orders[order.id], "cancelled", "cancelled with every open order", now_ms))
        return ended, self._take()

    def rest_from(self, now_ms: int) -> Changes:
        """The market's clock is behind the account's (a demo restarted after running faster than the wall):
        open orders placed "later" rest from `now_ms`, or no trade would ever reach them."""
        self._pending = Changes()
        for order in list(self.orders.values()):
            if order.created_ms > now_ms:
                self.store(replace(order, created_ms=now_ms, updated_ms=now_ms))
        return self._take()

    # ----------------------------------------------------------------- the desk (matching and brackets use it)
    def begin(self, now_ms: int) -> None:
        """Start a market-driven step (a trade or a candle): changes are collected from here until `take`."""
        self._pending = Changes()
        self._roll_day(now_ms)

    def take(self) -> Changes:
        return self._take()

    def fill(
        self, order: Order, price: float, qty: float, liquidity: Liquidity, time_ms: int, trade_id: str | None = None
    ) -> Order:
        """Book one execution of `order`: cash, fee, position, the order's fill state, its bracket."""
        request = order.request
        key = key_of(order)
        position = self.positions.get(key)
        if request.reduce_only:
            qty = min(qty, reducible_qty(position, request.side))
            if qty <= QTY_EPSILON:
                return self.finish(order, "cancelled", "reduce-only: no position left to reduce", time_ms)
        bps = self.terms.maker_fee_bps if liquidity == "maker" else self.terms.taker_fee_bps
        fee = qty * price * bps / 10_000.0
        self.cash += (-qty * price if request.side == "buy" else qty * price) - fee
        fill = Fill(order.id, request.symbol, request.side, qty, price, fee, time_ms, liquidity, trade_id)
        change = apply_fill(position, fill, "paper", request.pair_id)
        if change.closed is not None:
            self._pending.positions.append(PositionEvent(change.closed, time_ms, time_ms))
        if change.current is not None:
            self.positions[key] = change.current
            self._pending.positions.append(PositionEvent(change.current, None, time_ms))
        else:
            self.positions.pop(key, None)
        self._pending.fills.append(fill)
        filled = order.filled_qty + qty
        avg = ((order.avg_fill_price or 0.0) * order.filled_qty + price * qty) / filled
        status: OrderStatus = "filled" if request.qty - filled <= QTY_EPSILON else "partially_filled"
        order = replace(
            order, status=status, filled_qty=filled, avg_fill_price=avg, fees=order.fees + fee, updated_ms=time_ms
        )
        self.store(order)
        if request.bracket_id is not None:
            self.brackets.reconcile(request.bracket_id, self, time_ms)
        self._end_stranded_reduce_only(key, time_ms)
        return self._current(order)

    def _end_stranded_reduce_only(self, key: PositionKey, now_ms: int) -> None:
        """Reduce-only orders with nothing left to reduce on their side can never fill: cancel them."""
        position = self.positions.get(key)
        for order_id in list(self._by_symbol.get(key[0], ())):
            order = self.orders.get(order_id)
            if order is None or not order.request.reduce_only or key_of(order) != key:
                continue
            if reducible_qty(position, order.request.side) <= QTY_EPSILON:
                self.finish(order, "cancelled", "reduce-only: no position left to reduce", now_ms)

    def mark_triggered(self, order: Order, now_ms: int) -> Order:
        self.triggered.add(order.id)
        self._pending.triggered.add(order.id)
        order = replace(order, updated_ms=now_ms)
        self.store(order)
        return order

    def new_order(self, request: OrderRequest, now_ms: int) -> Order:
        order = Order(f"P{self._next}", request, "open", "paper", now_ms, now_ms)
        self._next += 1
        self._by_client[request.client_id] = order.id
        self._by_symbol.setdefault(request.symbol, {})[order.id] = None
        self.store(order)
        return order

    def finish(self, order: Order, status: OrderStatus, reason: str, now_ms: int) -> Order:
        order = replace(order, status=status, reason=reason, updated_ms=now_ms)
        self.store(order)
        bracket_id = order.request.bracket_id
        if bracket_id is not None:
            self.brackets.reconcile(bracket_id, self, now_ms)
        return order

    def store(self, order: Order) -> None:
        self._pending.orders[order.id] = order
        self.brackets.track(order)
        if order.is_final:
            self.orders.pop(order.id, None)
            self.triggered.discard(order.id)
            symbol_orders = self._by_symbol.get(order.request.symbol)
            if symbol_orders is not None:
                symbol_orders.pop(order.id, None)
            self.recent.append(order)
        else:
            self.orders[order.id] = order

    # ----------------------------------------------------------------- internals
    def _begin_with(self, symbol: str, now_ms: int, market: MarketView) -> None:
        self.begin(now_ms)
        if market.last is not None:
            self.marks[symbol] = market.last

    def _current(self, order: Order) -> Order:
        if order.id in self.orders:
            return self.orders[order.id]
        return self._pending.orders.get(order.id, order)

    def _execute_on_placement(self, order: Order, now_ms: int, market: MarketView) -> Order:
        request = order.request
        slippage = self.terms.slippage_bps
        if request.type == "market":
            levels = walk_book(request.side, request.qty, market, slippage)
        elif request.type == "limit":
            levels = marketable_fills(request.side, request.qty, request.price or 0.0, market, slippage)
        else:
            return order
        for price, qty in levels:
            order = self.fill(order, price, qty, "taker", now_ms)
            if order.is_final:
                break
        return order

    def _roll_day(self, now_ms: int) -> None:
        day = day_start_ms(now_ms)
        if day > self._day:
            self._day = day
            self._day_start_equity = self.equity()

    def _take(self) -> Changes:
        changes, self._pending = self._pending, Changes()
        return changes


def _order_number(order_id: str) -> int:
    digits = order_id.lstrip("P")
    return int(digits) if digits.isdigit() else 0
