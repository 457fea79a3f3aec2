"""A net position per symbol (or per leg of a pairs trade) built from fills by average cost.

The rules, chosen so that equity always equals the starting balance plus every position's realized and
unrealized profit (the identity the tests hold the account to):

* a fill on the side of the position (or from flat) adds to it at the volume-weighted average price;
* a fill against it closes part of it: the closed part realizes `(fill price − average) × closed quantity`
  (sign flipped for a short) and the average of what is left does not move;
* a fill larger than the position *flips* it: the old position closes in full and a new one opens on the other
  side with the rest of the fill at the fill price (a new `opened_ms`: it is a new trade);
* every fee is realized when it is paid, split between the closing and the opening part of a flip by quantity;
* a closed position keeps the quantity it held just before the fill that closed it (its side, and its size at
  the end, stay readable in the history).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cryptoterm.domain.trading.guards import QTY_EPSILON
from cryptoterm.domain.trading.orders import Fill, Position, TradingMode


@dataclass(frozen=True, slots=True)
class PositionChange:
    """What one fill did: the position as it is now (None when flat), the position it closed (a flip or a full
    close ends one and, for a flip, starts another), and the profit this fill realized (fees included)."""

    current: Position | None
    closed: Position | None
    realized: float


def signed_qty(fill: Fill) -> float:
    return fill.qty if fill.side == "buy" else -fill.qty


def apply_fill(position: Position | None, fill: Fill, mode: TradingMode, pair_id: str | None = None) -> PositionChange:
    """The position after `fill` (see the module docstring for the rules)."""
    delta = signed_qty(fill)
    if position is None or abs(position.qty) <= QTY_EPSILON:
        opened = Position(fill.symbol, delta, fill.price, -fill.fee, fill.time_ms, mode, pair_id)
        return PositionChange(opened, None, -fill.fee)
    held = position.qty
    if (held > 0) == (delta > 0):
        qty = held + delta
        avg = (position.avg_price * abs(held) + fill.price * abs(delta)) / abs(qty)
        grown = replace(position, qty=qty, avg_price=avg, realized_pnl=position.realized_pnl - fill.fee)
        return PositionChange(grown, None, -fill.fee)
    closing = min(abs(delta), abs(held))
    direction = 1.0 if held > 0 else -1.0
    close_fee = fill.fee * closing / abs(delta)
    gain = (fill.price - position.avg_price) * closing * direction - close_fee
    rest = held + delta
    if abs(rest) <= QTY_EPSILON:
        closed = replace(position, realized_pnl=position.realized_pnl + gain)
        return PositionChange(None, closed, gain)
    if (rest > 0) == (held > 0):
        reduced = replace(position, qty=rest, realized_pnl=position.realized_pnl + gain)
        return PositionChange(reduced, None, gain)
    closed = replace(position, realized_pnl=position.realized_pnl + gain)
    open_fee = fill.fee - close_fee
    flipped = Position(fill.symbol, rest, fill.price, -open_fee, fill.time_ms, mode, position.pair_id)
    return PositionChange(flipped, closed, gain - open_fee)


def reducible_qty(position: Position | None, side: str) -> float:
    """How much an order of `side` can take off `position` without flipping it (0 when it would only add)."""
    if position is None:
        return 0.0
    if side == "sell":
        return max(position.qty, 0.0)
    return max(-position.qty, 0.0)


def position_key(position: Position) -> str:
    """One position's life, as a journal entry links to it: `SYMBOL|pair id|opened_ms`."""
    return f"{position.symbol}|{position.pair_id or ''}|{position.opened_ms}"
