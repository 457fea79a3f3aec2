"""Whether the paper account takes an order: well formed, its own client id, a symbol in the account's quote,
something to reduce for a reduce-only order, a stop that would not trigger at once, the guards, and the free
balance (`balances`). Each refusal is one `OrderRejected` line, checked in that order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cryptoterm.domain.trading.balances import key_of, needed_quote
from cryptoterm.domain.trading.guards import QTY_EPSILON, GuardContext, check_order, reference_price
from cryptoterm.domain.trading.matching import MarketView, stop_triggered, walk_book
from cryptoterm.domain.trading.orders import OrderRejected, OrderRequest
from cryptoterm.domain.trading.positions import reducible_qty

if TYPE_CHECKING:
    from cryptoterm.domain.trading.paper_account import PaperAccount


def check_placement(account: PaperAccount, request: OrderRequest, now_ms: int, market: MarketView) -> None:
    """Raise `OrderRejected` when the account cannot take `request` now (see the module docstring)."""
    problem = request.problem()
    if problem is not None:
        raise OrderRejected(problem)
    taken = account.client_order_id(request.client_id)
    if taken is not None:
        raise OrderRejected(f"client id {request.client_id!r} was already used by order {taken}")
    quote = account.terms.quote
    if not request.symbol.endswith(f"/{quote}"):
        raise OrderRejected(f"{request.symbol}: the paper account counts in {quote} and trades only */{quote}")
    position = account.positions.get((request.symbol, request.pair_id))
    reducible = reducible_qty(position, request.side)
    if request.reduce_only and reducible <= QTY_EPSILON:
        raise OrderRejected(f"reduce-only {request.side}: no {request.symbol} position to reduce")
    stop = request.stop_price
    if stop is not None and market.last is not None and stop_triggered(request.side, stop, market.last):
        where = "at or below" if request.side == "buy" else "at or above"
        raise OrderRejected(
            f"a {request.side} stop at {stop:g} is {where} the last trade {market.last:g}: it would trigger at once"
        )
    price = reference_price(request, market.best_bid(), market.best_ask(), market.last)
    if price is None:
        raise OrderRejected(f"no price for {request.symbol} yet: wait for its first trade")
    buy, sell = account.open_qty(request.symbol)
    context = GuardContext(account.symbol_qty(request.symbol), buy, sell, account.day_pnl(now_ms))
    check_order(request, price, context, account.limits)
    if request.reduce_only:
        return
    if request.type == "market":
        walked = walk_book(request.side, request.qty, market, account.terms.slippage_bps)
        price = sum(p * q for p, q in walked) / sum(q for _p, q in walked)
    key = (request.symbol, request.pair_id)
    closing_already = sum(
        order.remaining_qty
        for order in account.orders.values()
        if key_of(order) == key and order.request.side == request.side and not order.request.reduce_only
    )
    adding = request.qty - max(reducible - closing_already, 0.0)
    need = needed_quote(adding, price, account.fee_rate)
    free = account.free_quote()
    if need > free + 1e-9:
        raise OrderRejected(f"insufficient balance: the order needs {need:,.2f} {quote}, {free:,.2f} {quote} is free")
