"""The live broker every face trades through: each order passes the guards, then the trader's confirmation.

`GuardedLiveBroker` wraps a live exchange account (the `LiveExchange` port, implemented by the ccxt adapter) and
is itself a `Broker`. For every new order (and bracket entry) it

1. values the order at the exchange's book now (`guards.reference_price`: the limit or stop price, else the
   best ask for a buy and the best bid for a sell);
2. checks `[trading]`'s limits (`guards.guard_problem`): the order's notional, the symbol's position after it
   with the open orders on its side, and the day's (UTC) loss, marked to market from the exchange's own account;
   reduce-only and position-reducing orders always pass (closing risk is never refused);
3. asks `confirm(request, reference_price)` — the TUI's dialog, the CLI's prompt — and sends nothing unless it
   answers True.

Each refusal is `OrderRejected` with one line. Cancels and reads pass straight through: they add no risk.
`with_confirm` gives the same broker with another confirmation: the kill switch, confirmed once as a whole,
flattens through `with_confirm(already_confirmed)`. `follow_brackets` places the exits of filled bracket entries
(the engine's live account runs it at each refresh).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence

from cryptoterm.domain.trading.guards import (
    GuardContext,
    GuardLimits,
    day_start_ms,
    guard_problem,
    open_qty_by_side,
    reference_price,
)
from cryptoterm.domain.trading.order_text import describe_request
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
from cryptoterm.ports.live_account import LiveExchange

#: Asked before each live order is sent: the request and the price the guards valued it at (its notional is
#: `request.qty * price`). True sends it; False (or an exception) sends nothing.
Confirm = Callable[[OrderRequest, float], Awaitable[bool]]
log = logging.getLogger(__name__)


async def already_confirmed(request: OrderRequest, reference: float) -> bool:
    """The confirmation of orders the trader confirmed as a whole beforehand (the kill switch's flattening)."""
    return True


class GuardedLiveBroker:
    """A `Broker` over a live exchange account whose every order is guarded and confirmed."""

    def __init__(
        self, exchange: LiveExchange, limits: GuardLimits, confirm: Confirm, *, now_ms: Callable[[], int]
    ) -> None:
        self.exchange = exchange
        self.limits = limits
        self.confirm = confirm
        self.now_ms = now_ms

    @property
    def mode(self) -> TradingMode:
        return "live"

    def with_confirm(self, confirm: Confirm) -> GuardedLiveBroker:
        """The same account and limits behind another confirmation."""
        return GuardedLiveBroker(self.exchange, self.limits, confirm, now_ms=self.now_ms)

    async def guard(self, request: OrderRequest) -> float:
        """The price the order is valued at, once every limit passed; `OrderRejected` (one line) otherwise."""
        what = describe_request(request)
        problem = request.problem()
        if problem:
            raise OrderRejected(f"{what}: {problem}")
        quote = await self.exchange.quote(request.symbol)
        price = reference_price(request, quote.bid, quote.ask, quote.last)
        if price is None:
            raise OrderRejected(f"{what}: the exchange has no price for {request.symbol} to value it against")
        context = GuardContext() if request.reduce_only else await self._context(request.symbol)
        problem = guard_problem(request, price, context, self.limits)
        if problem:
            raise OrderRejected(f"{what}: {problem}")
        return price

    async def _context(self, symbol: str) -> GuardContext:
        positions = await self.exchange.positions()
        held = sum(p.qty for p in positions if p.symbol == symbol)
        buy, sell = open_qty_by_side(await self.exchange.open_orders(symbol), symbol)
        pnl = await self.exchange.day_pnl(day_start_ms(self.now_ms()))
        return GuardContext(position_qty=held, open_buy_qty=buy, open_sell_qty=sell, day_pnl=pnl)

    async def _confirmed(self, request: OrderRequest, price: float) -> None:
        what = describe_request(request)
        try:
            accepted = await self.confirm(request, price)
        except Exception as exc:  # a dialog that failed must not count as a yes
            raise OrderRejected(
                f"{what}: the confirmation failed ({type(exc).__name__}: {exc}); nothing was sent"
            ) from None
        if not accepted:
            raise OrderRejected(f"{what}: not confirmed; nothing was sent")

    async def place(self, request: OrderRequest) -> Order:
        price = await self.guard(request)
        await self._confirmed(request, price)
        return await self.exchange.place(request)

    async def place_bracket(self, bracket: BracketRequest) -> Order:
        problem = bracket.problem()
        if problem:
            raise OrderRejected(f"{describe_request(bracket.entry)} bracket: {problem}")
        price = await self.guard(bracket.entry)
        await self._confirmed(bracket.entry, price)
        return await self.exchange.place_bracket(bracket)

    async def follow_brackets(self) -> Sequence[Order]:
        return await self.exchange.follow_brackets()

    async def cancel(self, order_id: str) -> Order:
        return await self.exchange.cancel(order_id)

    async def cancel_all(self, symbol: str | None = None) -> Sequence[Order]:
        return await self.exchange.cancel_all(symbol)

    async def order_by_client_id(self, client_id: str) -> Order | None:
        return await self.exchange.order_by_client_id(client_id)

    async def open_orders(self, symbol: str | None = None) -> Sequence[Order]:
        return await self.exchange.open_orders(symbol)

    async def fills(self, symbol: str | None = None, since_ms: int | None = None) -> Sequence[Fill]:
        return await self.exchange.fills(symbol, since_ms)

    async def balances(self) -> Mapping[str, Balance]:
        return await self.exchange.balances()

    async def positions(self) -> Sequence[Position]:
        return await self.exchange.positions()

    async def close(self) -> None:
        await self.exchange.close()
