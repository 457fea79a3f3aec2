"""What of the paper account's quote is free to spend, and what open orders and shorts hold.

* Cash is the quote held: the starting balance, less what buys cost, plus what sells brought, less every fee.
* An open order holds (locks) the quote it would spend on the part that *adds* to a position — its unfilled
  quantity beyond what it would close, at its limit (or stop) price, plus the fee. Orders that only close
  hold nothing, so an exit is never refused for want of balance.
* A short holds its sale proceeds and as much again as collateral, marked to the last price (no leverage):
  its total is what would buy it back twice over. Free = cash − locked.
* A buy needs its cost plus fee free; a sell that opens or grows a short needs its notional free (the second
  half of the collateral: the proceeds bring the first).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from cryptoterm.domain.trading.orders import Order, Position
from cryptoterm.domain.trading.positions import reducible_qty

PositionKey = tuple[str, str | None]


def key_of(order: Order) -> PositionKey:
    return order.request.symbol, order.request.pair_id


def order_locks(orders: Iterable[Order], positions: Mapping[PositionKey, Position], fee_rate: float) -> float:
    """Quote held by open orders for the quantity they would add to positions, in creation order (the first
    orders to close a position are the ones that use up what it can absorb)."""
    closable: dict[tuple[PositionKey, str], float] = {}
    locked = 0.0
    for order in orders:
        request = order.request
        if order.is_final or request.reduce_only:
            continue
        slot = (key_of(order), request.side)
        if slot not in closable:
            closable[slot] = reducible_qty(positions.get(slot[0]), request.side)
        remaining = order.remaining_qty
        closes = min(remaining, closable[slot])
        closable[slot] -= closes
        price = request.price if request.price is not None else request.stop_price
        if price is not None:
            locked += (remaining - closes) * price * (1.0 + fee_rate)
    return locked


def short_collateral(positions: Iterable[Position], mark: Callable[[Position], float]) -> float:
    """Quote held by shorts: twice what buying each back costs at its mark."""
    return sum(2.0 * -position.qty * mark(position) for position in positions if position.qty < 0)


def needed_quote(adding_qty: float, price: float, fee_rate: float) -> float:
    """Free quote an order adding `adding_qty` at `price` needs, buy or sell (see the module docstring)."""
    return max(adding_qty, 0.0) * price * (1.0 + fee_rate)
