"""The limits every order passes before any broker — paper or live — takes it.

Three limits from `[trading]`, checked in this order, each refusal one line naming the limit and both values:

* `max_order_notional`: the order's quantity × its reference price (the limit price of a limit order, the stop
  price of a stop, the price the market order would pay — the best ask for a buy, the best bid for a sell, or
  the last trade).
* `max_position_notional`: the symbol's position *after* the order — its signed quantity, plus every open order
  of the symbol on the same side (they may all fill), plus this one — × the reference price.
* `daily_loss_limit`: the day's (UTC) profit — realized since 00:00 UTC (after fees) plus the change of the
  unrealized profit since then — at or below minus the limit refuses new risk for the rest of the day.

A reduce-only order (the broker never lets it grow a position), and an order that only reduces the position
(the opposite side, at most what is held less what the other open orders of that side already cover), pass
every limit: the limits cap risk taken, and closing risk must never be refused — the kill switch flattens
through the same path. The functions are pure: the caller passes the position, the open orders and the day's
profit as they stand, and the time (`day_start_ms`) as an argument.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from cryptoterm.domain.trading.orders import Order, OrderRejected, OrderRequest, Side

DAY_MS: Final = 86_400_000
#: Quantities this close to zero are treated as zero (float dust from partial fills).
QTY_EPSILON: Final = 1e-12


@dataclass(frozen=True, slots=True)
class GuardLimits:
    """The `[trading]` limits, in the quote asset."""

    max_order_notional: float
    max_position_notional: float
    daily_loss_limit: float
    quote: str = "USDT"


@dataclass(frozen=True, slots=True)
class GuardContext:
    """What the guards need to know about the account when an order arrives.

    `position_qty` is the symbol's signed position; `open_buy_qty` / `open_sell_qty` the unfilled quantity of
    the symbol's open orders on each side (reduce-only orders excluded: they never add to the position);
    `day_pnl` the day's profit (negative: a loss), as `day_pnl` computes it."""

    position_qty: float = 0.0
    open_buy_qty: float = 0.0
    open_sell_qty: float = 0.0
    day_pnl: float = 0.0


def day_start_ms(now_ms: int) -> int:
    """00:00 UTC of the day `now_ms` falls in: when the daily loss limit starts counting again."""
    return now_ms - now_ms % DAY_MS


def day_pnl(realized_since_day_start: float, unrealized_now: float, unrealized_at_day_start: float) -> float:
    """The day's profit: what was realized since 00:00 UTC (after fees) plus how much the unrealized profit of
    what is held moved since then. A position opened yesterday counts only today's move, not yesterday's."""
    return realized_since_day_start + unrealized_now - unrealized_at_day_start


def open_qty_by_side(orders: Iterable[Order], symbol: str) -> tuple[float, float]:
    """Unfilled (buy, sell) quantity of the symbol's open orders that may add to a position."""
    buy = sell = 0.0
    for order in orders:
        request = order.request
        if order.is_final or request.symbol != symbol or request.reduce_only:
            continue
        if request.side == "buy":
            buy += order.remaining_qty
        else:
            sell += order.remaining_qty
    return buy, sell


def reference_price(
    request: OrderRequest, best_bid: float | None, best_ask: float | None, last: float | None
) -> float | None:
    """The price an order is valued at: its limit price, else its stop price, else what a market order would
    pay (the best ask for a buy, the best bid for a sell), else the last trade; None when nothing is known."""
    if request.price is not None:
        return request.price
    if request.stop_price is not None:
        return request.stop_price
    touch = best_ask if request.side == "buy" else best_bid
    if touch is not None and math.isfinite(touch) and touch > 0:
        return touch
    return last


def reduces_only(side: Side, qty: float, context: GuardContext) -> bool:
    """Whether an order of `side` and `qty` can only bring the position closer to flat, even if every other open
    order on its side fills first."""
    held = context.position_qty
    if side == "sell":
        return held > QTY_EPSILON and qty + context.open_sell_qty <= held + QTY_EPSILON
    return held < -QTY_EPSILON and qty + context.open_buy_qty <= -held + QTY_EPSILON


def guard_problem(
    request: OrderRequest, reference_price: float, context: GuardContext, limits: GuardLimits
) -> str | None:
    """Why the order breaks a limit (one line naming the limit and the values), or None when it passes."""
    if not (math.isfinite(reference_price) and reference_price > 0):
        return f"no price to value the {request.symbol} order against (got {reference_price})"
    if request.reduce_only or reduces_only(request.side, request.qty, context):
        return None
    quote = limits.quote
    notional = request.qty * reference_price
    if notional > limits.max_order_notional * (1 + 1e-9):
        return (
            f"order notional {_money(notional)} {quote} exceeds [trading].max_order_notional "
            f"{_money(limits.max_order_notional)} {quote}"
        )
    after = position_after(request.side, request.qty, context)
    after_notional = abs(after) * reference_price
    if after_notional > limits.max_position_notional * (1 + 1e-9):
        return (
            f"{request.symbol} position would reach {_money(after_notional)} {quote} with open orders, above "
            f"[trading].max_position_notional {_money(limits.max_position_notional)} {quote}"
        )
    if context.day_pnl <= -limits.daily_loss_limit:
        return (
            f"today's loss {_money(-context.day_pnl)} {quote} has reached [trading].daily_loss_limit "
            f"{_money(limits.daily_loss_limit)} {quote}: only orders that reduce a position are taken until 00:00 UTC"
        )
    return None


def check_order(request: OrderRequest, reference_price: float, context: GuardContext, limits: GuardLimits) -> None:
    """Raise `OrderRejected` with the guard's line when the order breaks a limit."""
    problem = guard_problem(request, reference_price, context, limits)
    if problem is not None:
        raise OrderRejected(problem)


def position_after(side: Side, qty: float, context: GuardContext) -> float:
    """The signed position if this order and every open order on its side filled."""
    if side == "buy":
        return context.position_qty + context.open_buy_qty + qty
    return context.position_qty - context.open_sell_qty - qty


def max_qty(side: Side, reference_price: float, context: GuardContext, limits: GuardLimits) -> float:
    """The largest quantity an order of `side` may have at `reference_price` under the notional limits (0 when
    none may); a ticket sizes itself with it (the smaller of this and the setup's risk-based size)."""
    if not (math.isfinite(reference_price) and reference_price > 0):
        return 0.0
    by_order = limits.max_order_notional / reference_price
    room = limits.max_position_notional / reference_price
    if side == "buy":
        by_position = room - (context.position_qty + context.open_buy_qty)
    else:
        by_position = room + (context.position_qty - context.open_sell_qty)
    return max(min(by_order, by_position), 0.0)


def _money(value: float) -> str:
    return f"{value:,.2f}"
