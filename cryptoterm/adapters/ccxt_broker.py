"""Live orders on a Binance spot account through ccxt: the `Broker` and `LiveAccount` ports.

Placing (`place`): the request is checked (well formed, on the symbol's lot step and tick, a type the symbol
takes, a reduce-only sell no larger than what is free — spot has no shorts, so a reduce-only buy is refused),
then sent once with `create_order`, its `client_id` as Binance's `newClientOrderId`. When the network fails
during the placement — a timeout, a reset connection, a gateway's 5xx: the order may or may not have reached
the exchange — it is never sent again. The order is looked up by its client id (`origClientOrderId`, retried
with backoff while the network keeps failing): found, it is returned as placed; "no such order" means it was
never received and the refusal says nothing was traded; a lookup that cannot complete says to check the open
orders for that client id before placing again. An exchange refusal is one line (`order_errors`).

Binance needs the symbol of every order query and cancel; the broker remembers the symbol of each order it
placed or saw, and otherwise finds the order among the open ones (one request covers every symbol), then among
the symbols of `watch_symbols` and of what the account holds.

A reduce-only order is a sell of at most the free balance, rounded down to the lot step (fees taken in the coin
bought leave balances off the step; flattening sells what it can and leaves the dust below one step).

Brackets (`place_bracket`): the entry is placed as any order; once it has filled, `follow_brackets` places the
exits (`ccxt_brackets`). Every error leaves here as `OrderRejected` with one redacted line, never a traceback,
never a key.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from cryptoterm.adapters.ccxt_account import SpotAccountReader
from cryptoterm.adapters.ccxt_brackets import BracketFollower
from cryptoterm.adapters.ccxt_orders import create_order_arguments, order_from_ccxt
from cryptoterm.adapters.ccxt_session import CcxtSession, ExchangeRefused
from cryptoterm.adapters.errors import RetryableError
from cryptoterm.adapters.order_errors import (
    CLOCK_SKEW,
    DUPLICATE_ORDER,
    NO_SUCH_ORDER,
    UNKNOWN_ORDER,
    exchange_answer,
)
from cryptoterm.domain.trading.guards import QTY_EPSILON
from cryptoterm.domain.trading.order_text import describe_request, number
from cryptoterm.domain.trading.orders import (
    Balance,
    BracketRequest,
    Fill,
    Order,
    OrderRejected,
    OrderRequest,
    Position,
    TradingMode,
)
from cryptoterm.ports.live_account import Quote

log = logging.getLogger(__name__)


class CcxtBroker:
    """A live spot account: orders, fills, balances and positions through one ccxt client."""

    def __init__(self, session: CcxtSession, *, quote: str, watch_symbols: Iterable[str] = ()) -> None:
        self.session = session
        self.account = SpotAccountReader(session, quote)
        self.watch_symbols = tuple(dict.fromkeys(watch_symbols))
        self.brackets = BracketFollower(self)
        self._requests: dict[str, OrderRequest] = {}
        self._symbols: dict[str, str] = {}
        self._created: dict[str, int] = {}
        self._traded: dict[str, None] = {}

    def __repr__(self) -> str:
        return f"CcxtBroker({self.session!r})"

    @property
    def mode(self) -> TradingMode:
        return "live"

    @property
    def exchange_id(self) -> str:
        return self.session.config.id

    # -- placing -------------------------------------------------------------------------------------------

    async def place(self, request: OrderRequest) -> Order:
        what = describe_request(request)
        problem = request.problem()
        if problem:
            raise OrderRejected(f"{what}: {problem}")
        market = await self.session.market(request.symbol, what)
        exchange = self.session.client()
        if request.reduce_only:
            request = await self._reduce_only(request, market, exchange)
        order_type, side, amount, price, params = create_order_arguments(request, market, exchange)
        self.remember(request)
        try:
            raw = await exchange.create_order(market["symbol"], order_type, side, amount, price, params)
        except Exception as exc:
            error = self.session.translate(exc)
            code, message = exchange_answer(exc)
            if isinstance(error, RetryableError) and code != CLOCK_SKEW:
                return await self._resolve_lost_answer(request, market, error)
            if message == DUPLICATE_ORDER:
                raise OrderRejected(
                    f"{what}: an order with client id {request.client_id} is already open on "
                    f"{self.exchange_id}; not placed again"
                ) from None
            reason = self.session.reason(exc, market, request.side)
            raise OrderRejected(f"{what}: refused by {self.exchange_id}: {reason}") from None
        return self.order_of(raw, market, request)

    async def place_bracket(self, bracket: BracketRequest) -> Order:
        """The entry, placed now; its exits go in once it has filled (`follow_brackets`)."""
        await self.brackets.check(bracket)
        entry = await self.place(bracket.entry)
        self.brackets.add(bracket)
        if entry.is_final:
            await self.brackets.follow()
        return entry

    async def follow_brackets(self) -> Sequence[Order]:
        return await self.brackets.follow()

    async def _reduce_only(self, request: OrderRequest, market: Mapping[str, Any], exchange: Any) -> OrderRequest:
        """A reduce-only sell no larger than the free balance, rounded down to the lot step (it may sell less than
        asked, never more: flattening a balance that fees left off the step leaves the dust below one step)."""
        what = describe_request(request)
        if request.side == "buy":
            raise OrderRejected(f"{what}: a spot account holds no short position for a reduce-only buy to reduce")
        balances = await self.account.balances()
        held = balances.get(str(market["base"]))
        free = held.free if held is not None else 0.0
        if request.qty > free + QTY_EPSILON:
            raise OrderRejected(f"{what}: reduce-only, but the account holds only {number(free)} {market['base']} free")
        try:
            rounded = float(exchange.amount_to_precision(market["symbol"], request.qty))
        except Exception:  # ccxt's InvalidOrder: less than one step
            rounded = 0.0
        if rounded <= 0:
            step = number(float(market.get("precision", {}).get("amount") or 0))
            raise OrderRejected(f"{what}: less than one lot step ({step}) of {request.symbol}: nothing to sell")
        return replace(request, qty=rounded)

    async def _resolve_lost_answer(self, request: OrderRequest, market: Mapping[str, Any], error: Exception) -> Order:
        """The placement's answer was lost: the order is whatever the exchange has under its client id."""
        what = describe_request(request)
        try:
            found = await self._lookup(market, request.client_id, request)
        except OrderRejected as lookup_error:
            raise OrderRejected(
                f"{what}: the exchange's answer was lost ({error}) and the order could not be looked up "
                f"({lookup_error}); check the open orders for client id {request.client_id} before placing again"
            ) from None
        if found is None:
            raise OrderRejected(f"{what}: not placed, the exchange never received it ({error}); nothing was traded")
        log.warning("%s: the answer was lost (%s); the exchange has it as order %s", what, error, found.id)
        return found

    # -- the order book of the account ---------------------------------------------------------------------

    def remember(self, request: OrderRequest) -> None:
        self._requests[request.client_id] = request
        self._traded[request.symbol] = None

    def order_of(self, raw: Mapping[str, Any], market: Mapping[str, Any], request: OrderRequest | None = None) -> Order:
        """A ccxt order (or an order report from a raw answer) as the project's order, remembered."""
        info = raw.get("info") or {}
        client_id = str(info.get("origClientOrderId") or raw.get("clientOrderId") or "")
        symbol = str(market["symbol"]).split(":", 1)[0]
        known = request if request is not None else self._requests.get(client_id)
        order = order_from_ccxt(raw, market, symbol, known, self.session.now_ms())
        self._symbols[order.id] = symbol
        # A cancel's answer carries the cancel's time only: the order keeps the creation time first seen.
        created = self._created.setdefault(order.id, order.created_ms)
        return replace(order, created_ms=created) if created != order.created_ms else order

    async def _lookup(
        self, market: Mapping[str, Any], client_id: str, request: OrderRequest | None = None
    ) -> Order | None:
        """The order placed under `client_id` on this market; None when the exchange has no such order."""
        exchange = self.session.client()
        try:
            raw = await self.session.read(
                f"looking up order {client_id}",
                lambda: exchange.fetch_order(None, market["symbol"], {"origClientOrderId": client_id}),
                market=market,
            )
        except ExchangeRefused as exc:
            if exc.code == NO_SUCH_ORDER:
                return None
            raise
        return self.order_of(raw, market, request)

    async def order_by_client_id(self, client_id: str) -> Order | None:
        request = self._requests.get(client_id)
        if request is not None:
            return await self._lookup(await self.session.market(request.symbol), client_id, request)
        for order in await self.open_orders():
            if order.request.client_id == client_id:
                return order
        for symbol in await self._account_symbols():
            found = await self._lookup(await self.session.market(symbol), client_id)
            if found is not None:
                return found
        return None

    async def _account_symbols(self) -> list[str]:
        """Symbols this account trades: watched, traded by this process, held."""
        markets = await self.session.markets()
        held = self.account.held_symbols(await self.account.balances(), markets)
        symbols = dict.fromkeys([*self.watch_symbols, *self._traded, *held])
        return [s for s in symbols if self.session.ccxt_symbol(s) in markets]

    async def open_orders(self, symbol: str | None = None) -> Sequence[Order]:
        exchange = self.session.client()
        markets = await self.session.markets()
        target = self.session.ccxt_symbol(symbol) if symbol is not None else None
        if symbol is not None:
            await self.session.market(symbol)
        raws = await self.session.read(
            f"{symbol or self.exchange_id} open orders", lambda: exchange.fetch_open_orders(target)
        )
        return [self.order_of(raw, markets[raw["symbol"]]) for raw in raws if raw.get("symbol") in markets]

    # -- cancelling ----------------------------------------------------------------------------------------

    async def cancel(self, order_id: str) -> Order:
        symbol = self._symbols.get(order_id)
        if symbol is None:
            opened = {o.id: o for o in await self.open_orders()}
            if order_id not in opened:
                raise OrderRejected(
                    f"order {order_id}: not among the open orders on {self.exchange_id}; nothing to cancel"
                )
            symbol = opened[order_id].request.symbol
        market = await self.session.market(symbol)
        exchange = self.session.client()
        try:
            raw = await self.session.read(
                f"cancel order {order_id}", lambda: exchange.cancel_order(order_id, market["symbol"]), market=market
            )
        except ExchangeRefused as exc:
            if exc.code != UNKNOWN_ORDER:
                raise
            # Already final (filled, cancelled, expired): the order as it ended.
            raw = await self.session.read(
                f"order {order_id}", lambda: exchange.fetch_order(order_id, market["symbol"]), market=market
            )
        return self.order_of(raw, market)

    async def cancel_all(self, symbol: str | None = None) -> Sequence[Order]:
        """Every open order (of `symbol`) cancelled, symbol by symbol; every symbol is tried before a failure is
        raised (naming each symbol that failed)."""
        opened = await self.open_orders(symbol)
        exchange = self.session.client()
        cancelled: list[Order] = []
        failures: list[str] = []
        for sym in sorted({o.request.symbol for o in opened}):
            market = await self.session.market(sym)
            try:
                raws = await self.session.read(
                    f"cancel every {sym} order",
                    functools.partial(exchange.cancel_all_orders, market["symbol"]),
                    market=market,
                )
            except ExchangeRefused as exc:
                if exc.code != UNKNOWN_ORDER:  # -2011: nothing was open any more
                    failures.append(str(exc))
                continue
            except OrderRejected as exc:
                failures.append(str(exc))
                continue
            for raw in raws:
                reports = (raw.get("info") or {}).get("orderReports")
                if reports:  # an OCO list: its legs, each an order
                    cancelled.extend(self.order_of(exchange.parse_order(r, market), market) for r in reports)
                else:
                    cancelled.append(self.order_of(raw, market))
        if failures:
            raise OrderRejected("; ".join(failures))
        return cancelled

    # -- the account ---------------------------------------------------------------------------------------

    async def fills(self, symbol: str | None = None, since_ms: int | None = None) -> Sequence[Fill]:
        symbols = [symbol] if symbol is not None else await self._account_symbols()
        return await self.account.fills(symbols, since_ms)

    async def balances(self) -> Mapping[str, Balance]:
        return await self.account.balances()

    async def positions(self) -> Sequence[Position]:
        return await self.account.positions()

    async def quote(self, symbol: str) -> Quote:
        return await self.account.quote(symbol)

    async def day_pnl(self, day_start_ms: int) -> float:
        return await self.account.day_pnl(day_start_ms, also=[*self._traded, *self.watch_symbols])

    async def close(self) -> None:
        await self.session.close()
