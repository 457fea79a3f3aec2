"""A Binance spot account behind the loopback exchange: balances, orders, OCO lists and the account's trades.

It keeps the exchange's rules in the order it applies them: parameters, the symbol's filters from the real
exchangeInfo (`binance_filters`), then the balance (-2010). A buy locks quantity × limit price of the quote
asset, a sell the quantity of the base asset; an OCO locks once for both of its legs. Commission is 0.1 % of the
asset received, as on Binance without BNB.

Orders that can trade at once take liquidity from the real recorded order book of their symbol (walked level by
level; the snapshot is not consumed, every order sees the same book); the rest rests. `trade_at(symbol, price)`
stands for a trade printing on the exchange: it triggers the stops it crosses and fills the resting limit orders
it reaches, at their own price, as maker. When one leg of an OCO fills, the other expires.

`ApiError`s carry Binance's real codes and messages. The account's time comes from `now_ms`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from tests.loopback.binance_filters import Book, SymbolRules, check_filters
from tests.loopback.binance_orders import Lock, OrderList, SpotOrder, Trade, crosses, decimal_param, side_of, triggers
from tests.loopback.binance_signing import ApiError, mandatory

COMMISSION = Decimal("0.001")
ZERO = Decimal(0)
INSUFFICIENT = ApiError(-2010, "Account has insufficient balance for requested action.")
ORDER_TYPES = ("LIMIT", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT", "LIMIT_MAKER")
STOP_TYPES = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})
_REQUIRED = {
    "LIMIT": ("timeInForce", "quantity", "price"),
    "MARKET": ("quantity",),
    "STOP_LOSS": ("quantity", "stopPrice"),
    "STOP_LOSS_LIMIT": ("timeInForce", "quantity", "price", "stopPrice"),
    "TAKE_PROFIT": ("quantity", "stopPrice"),
    "TAKE_PROFIT_LIMIT": ("timeInForce", "quantity", "price", "stopPrice"),
    "LIMIT_MAKER": ("quantity", "price"),
}


@dataclass
class SpotAccount:
    rules: Mapping[str, SymbolRules]
    books: Mapping[str, Book]
    now_ms: Callable[[], int]
    balances: dict[str, list[Decimal]] = field(default_factory=dict)
    orders: list[SpotOrder] = field(default_factory=list)
    lists: list[OrderList] = field(default_factory=list)
    trades: list[Trade] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000001))
    _trade_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(5000001))

    # -- setup and inspection (tests) ----------------------------------------------------------------------

    def deposit(self, asset: str, amount: str | Decimal) -> None:
        self._balance(asset)[0] += Decimal(amount)

    def free(self, asset: str) -> Decimal:
        return self._balance(asset)[0]

    def locked(self, asset: str) -> Decimal:
        return self._balance(asset)[1]

    def orders_with_client_id(self, client_id: str) -> list[SpotOrder]:
        return [o for o in self.orders if o.client_id == client_id]

    # -- orders --------------------------------------------------------------------------------------------

    def place(self, params: Mapping[str, str]) -> tuple[SpotOrder, list[Trade]]:
        """A new order as POST /api/v3/order takes it; the trades it made at once."""
        rules = self._rules(params.get("symbol"))
        side = side_of(params)
        type_ = params.get("type", "")
        if not type_:
            raise mandatory("type")
        if type_ not in ORDER_TYPES:
            raise ApiError(-1116, "Invalid orderType.")
        if type_ not in rules.order_types:
            kind = "Stop loss" if type_.startswith("STOP") else "Take profit" if type_.startswith("TAKE") else "This"
            raise ApiError(-1013, f"{kind} orders are not supported for this symbol.")
        for name in _REQUIRED[type_]:
            if not params.get(name):
                raise mandatory(name)
        qty = decimal_param(params, "quantity")
        price = decimal_param(params, "price") if "price" in _REQUIRED[type_] else ZERO
        stop = decimal_param(params, "stopPrice") if "stopPrice" in _REQUIRED[type_] else ZERO
        tif = params.get("timeInForce", "GTC")
        if tif not in ("GTC", "IOC", "FOK"):
            raise ApiError(-1115, "Invalid timeInForce.")
        client_id = self._new_client_id(params.get("newClientOrderId", ""))
        book = self.books.get(rules.symbol)
        check_filters(rules, type_, qty, price, stop, book, self._open(rules.symbol))
        if type_ in STOP_TYPES and book is not None and triggers(type_, side, stop, book.mid):
            raise ApiError(-2010, "Order would trigger immediately.")
        if type_ == "LIMIT_MAKER" and book is not None and crosses(side, price, book):
            raise ApiError(-2010, "Order would immediately match and take.")
        if type_ == "MARKET":
            return self._market(rules, side, qty, client_id)
        lock = self._lock(rules, side, qty, price)
        order = self._new_order(rules, side, type_, tif, price, qty, stop, client_id, lock)
        order.working = type_ not in STOP_TYPES
        trades = self._take(order, book) if order.working else []
        if order.is_open and tif in ("IOC", "FOK"):
            self._end(order, "EXPIRED")
        return order, trades

    def place_oco(self, params: Mapping[str, str]) -> OrderList:
        """A one-cancels-the-other pair as POST /api/v3/orderList/oco takes it (both legs rest)."""
        rules = self._rules(params.get("symbol"))
        side = side_of(params)
        qty = decimal_param(params, "quantity")
        legs = []
        for where in ("above", "below"):
            type_ = params.get(f"{where}Type", "")
            if type_ not in ("LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"):
                raise ApiError(-1116, "Invalid orderType.") if type_ else mandatory(f"{where}Type")
            price = decimal_param(params, f"{where}Price")
            stop = decimal_param(params, f"{where}StopPrice") if type_ != "LIMIT_MAKER" else ZERO
            tif = params.get(f"{where}TimeInForce", "GTC") if type_ != "LIMIT_MAKER" else "GTC"
            legs.append((where, type_, price, stop, tif))
        book = self.books.get(rules.symbol)
        mid = book.mid if book is not None else None
        (_, above_type, above_price, above_stop, _), (_, below_type, below_price, below_stop, _) = legs
        above_level = above_stop if above_type != "LIMIT_MAKER" else above_price
        below_level = below_stop if below_type != "LIMIT_MAKER" else below_price
        wrong = (side == "SELL") != (above_type == "LIMIT_MAKER" or above_type.startswith("TAKE"))
        if wrong or (mid is not None and not (above_level > mid > below_level)):
            raise ApiError(-2010, "The relationship of the prices for the orders is not correct.")
        for _, type_, price, stop, _ in legs:
            check_filters(rules, type_, qty, price, stop, book, self._open(rules.symbol))
        lock = self._lock(rules, side, qty, max(above_price, below_price))
        list_id = next(self._ids)
        order_list = OrderList(list_id, params.get("listClientOrderId") or f"oco_{list_id}", rules.symbol, [], 0)
        for where, type_, price, stop, tif in legs:
            client_id = self._new_client_id(params.get(f"{where}ClientOrderId", ""))
            order = self._new_order(rules, side, type_, tif, price, qty, stop, client_id, lock)
            order.order_list_id = list_id
            order.working = type_ == "LIMIT_MAKER"
            order_list.orders.append(order)
        order_list.time = self.now_ms()
        self.lists.append(order_list)
        return order_list

    def find(self, symbol: str | None, params: Mapping[str, str]) -> SpotOrder:
        rules = self._rules(symbol)
        order_id, client_id = params.get("orderId"), params.get("origClientOrderId")
        if not order_id and not client_id:
            raise ApiError(-1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!")
        for order in reversed(self.orders):
            if order.symbol == rules.symbol and (str(order.order_id) == order_id or order.client_id == client_id):
                return order
        raise ApiError(-2013, "Order does not exist.")

    def cancel(self, symbol: str | None, params: Mapping[str, str]) -> list[SpotOrder]:
        """The order (with its OCO partner) cancelled; -2011 when it is not open."""
        try:
            order = self.find(symbol, params)
        except ApiError as exc:
            if exc.code == -2013:
                raise ApiError(-2011, "Unknown order sent.") from None
            raise
        if not order.is_open:
            raise ApiError(-2011, "Unknown order sent.")
        group = self._group(order)
        for member in group:
            if member.is_open:
                self._end(member, "CANCELED")
        return group

    def cancel_open(self, symbol: str | None) -> list[list[SpotOrder]]:
        """Every open order of the symbol cancelled, grouped by OCO list; -2011 when none is open."""
        rules = self._rules(symbol)
        groups: list[list[SpotOrder]] = []
        seen: set[int] = set()
        for order in self._open(rules.symbol):
            if order.order_id in seen:
                continue
            group = self._group(order)
            seen.update(o.order_id for o in group)
            for member in group:
                if member.is_open:
                    self._end(member, "CANCELED")
            groups.append(group)
        if not groups:
            raise ApiError(-2011, "Unknown order sent.")
        return groups

    def open_orders(self, symbol: str | None) -> list[SpotOrder]:
        if symbol is None:
            return [o for o in self.orders if o.is_open]
        return self._open(self._rules(symbol).symbol)

    def order_list(self, order: SpotOrder) -> OrderList | None:
        return next((lst for lst in self.lists if lst.order_list_id == order.order_list_id), None)

    # -- the market moving (tests) -------------------------------------------------------------------------

    def trade_at(self, symbol: str, price: str | Decimal) -> list[Trade]:
        """A trade at `price` prints: stops it crosses trigger, resting limits it reaches fill (as maker)."""
        level = Decimal(price)
        made: list[Trade] = []
        for order in [o for o in self.orders if o.symbol == symbol and o.is_open]:
            if not order.is_open:
                continue  # its OCO partner filled earlier in this loop
            triggered = not order.working
            if triggered:
                if not triggers(order.type, order.side, order.stop_price, level):
                    continue
                order.working = True
            reaches = level <= order.price if order.side == "BUY" else level >= order.price
            if reaches:
                # A resting limit fills at its own price (maker); one the trade just triggered takes the trade's.
                price = level if triggered else order.price
                made.append(self._fill(order, price, order.remaining, maker=not triggered))
        return made

    # -- internals -----------------------------------------------------------------------------------------

    def _rules(self, symbol: str | None) -> SymbolRules:
        if not symbol:
            raise mandatory("symbol")
        rules = self.rules.get(symbol)
        if rules is None:
            raise ApiError(-1121, "Invalid symbol.")
        return rules

    def _balance(self, asset: str) -> list[Decimal]:
        return self.balances.setdefault(asset, [ZERO, ZERO])

    def _open(self, symbol: str) -> list[SpotOrder]:
        return [o for o in self.orders if o.symbol == symbol and o.is_open]

    def _group(self, order: SpotOrder) -> list[SpotOrder]:
        order_list = self.order_list(order)
        return list(order_list.orders) if order_list is not None else [order]

    def _new_client_id(self, wanted: str) -> str:
        if wanted and any(o.client_id == wanted and o.is_open for o in self.orders):
            raise ApiError(-2010, "Duplicate order sent.")
        return wanted or f"web_{next(self._ids)}"

    def _new_order(
        self,
        rules: SymbolRules,
        side: str,
        type_: str,
        tif: str,
        price: Decimal,
        qty: Decimal,
        stop: Decimal,
        client_id: str,
        lock: Lock,
    ) -> SpotOrder:
        now = self.now_ms()
        order = SpotOrder(rules.symbol, next(self._ids), client_id, side, type_, tif, price, qty, stop, now, lock)
        order.update_time = now
        self.orders.append(order)
        return order

    def _lock(self, rules: SymbolRules, side: str, qty: Decimal, price: Decimal) -> Lock:
        asset, per_unit = (rules.quote, price) if side == "BUY" else (rules.base, Decimal(1))
        amount = qty * per_unit
        balance = self._balance(asset)
        if balance[0] < amount:
            raise INSUFFICIENT
        balance[0] -= amount
        balance[1] += amount
        return Lock(asset, amount, per_unit)

    def _market(self, rules: SymbolRules, side: str, qty: Decimal, client_id: str) -> tuple[SpotOrder, list[Trade]]:
        book = self.books.get(rules.symbol)
        if book is None:
            raise ApiError(-2010, "Market is closed.")
        levels = book.walk(side, qty, None)
        cost = sum((p * q for p, q in levels), ZERO)
        if (side == "BUY" and self.free(rules.quote) < cost) or (side == "SELL" and self.free(rules.base) < qty):
            raise INSUFFICIENT
        order = self._new_order(rules, side, "MARKET", "GTC", ZERO, qty, ZERO, client_id, Lock(rules.quote, ZERO, ZERO))
        trades = [self._fill(order, p, q, maker=False) for p, q in levels]
        if order.is_open:
            self._end(order, "EXPIRED")  # the book ran out before the quantity did
        return order, trades

    def _take(self, order: SpotOrder, book: Book | None) -> list[Trade]:
        if book is None:
            return []
        levels = book.walk(order.side, order.orig_qty, order.price)
        if order.time_in_force == "FOK" and sum((q for _, q in levels), ZERO) < order.orig_qty:
            return []
        return [self._fill(order, p, q, maker=False) for p, q in levels]

    def _fill(self, order: SpotOrder, price: Decimal, qty: Decimal, *, maker: bool) -> Trade:
        rules = self.rules[order.symbol]
        lock = order.lock
        used = min(lock.amount, qty * lock.per_unit)
        lock.amount -= used
        self._balance(lock.asset)[1] -= used
        self._balance(lock.asset)[0] += used
        if order.side == "BUY":
            self._balance(rules.quote)[0] -= price * qty
            commission, asset = qty * COMMISSION, rules.base
            self._balance(rules.base)[0] += qty - commission
        else:
            self._balance(rules.base)[0] -= qty
            commission, asset = price * qty * COMMISSION, rules.quote
            self._balance(rules.quote)[0] += price * qty - commission
        now = self.now_ms()
        trade = Trade(order.symbol, next(self._trade_ids), order, price, qty, commission, asset, now, maker)
        self.trades.append(trade)
        order.executed += qty
        order.quote_qty += price * qty
        order.update_time = now
        order.status = "FILLED" if order.remaining <= 0 else "PARTIALLY_FILLED"
        if order.status == "FILLED" and order.order_list_id >= 0:
            for other in self._group(order):
                if other is not order and other.is_open:
                    self._end(other, "EXPIRED")
        return trade

    def _end(self, order: SpotOrder, status: str) -> None:
        order.status = status
        order.update_time = self.now_ms()
        group = self._group(order)
        if all(not member.is_open for member in group):
            lock = order.lock
            self._balance(lock.asset)[1] -= lock.amount
            self._balance(lock.asset)[0] += lock.amount
            lock.amount = ZERO
            order_list = self.order_list(order)
            if order_list is not None:
                order_list.status = "ALL_DONE"
