"""The order model every broker speaks: what a trader asks for, what the broker made of it, what filled.

One model for paper and live orders, so a ticket, the kill switch, the journal and the positions screen never
care which broker is behind them. Requests carry a `client_id` chosen by the caller before placing: a placement
whose answer was lost (a network error) is resolved by asking the broker for that id, never by placing again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Side = Literal["buy", "sell"]
OrderType = Literal["market", "limit", "stop", "stop_limit"]
OrderStatus = Literal["pending", "open", "partially_filled", "filled", "cancelled", "rejected", "expired"]
TradingMode = Literal["paper", "live"]

#: Statuses after which an order never fills again.
FINAL_STATUSES: frozenset[OrderStatus] = frozenset({"filled", "cancelled", "rejected", "expired"})


class OrderRejected(Exception):
    """A broker refused an order; the message is one line a trader can act on (never a secret, never a trace)."""


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """An order as asked for. `price` is the limit price (limit, stop_limit); `stop_price` the trigger (stop,
    stop_limit). `bracket_id` ties an entry to its stop and targets; `setup_id` links it to the setup it took;
    `pair_id` makes it a leg of a pairs position (its fills build that leg, apart from the symbol's own position)."""

    client_id: str
    symbol: str
    side: Side
    type: OrderType
    qty: float
    price: float | None = None
    stop_price: float | None = None
    reduce_only: bool = False
    bracket_id: str | None = None
    setup_id: int | None = None
    pair_id: str | None = None

    def problem(self) -> str | None:
        """Why the request cannot be an order (one line), or None when it is well formed."""
        if not self.client_id:
            return "an order needs a client id"
        if not (math.isfinite(self.qty) and self.qty > 0):
            return f"quantity must be a positive number, got {self.qty}"
        needs_price = self.type in ("limit", "stop_limit")
        needs_stop = self.type in ("stop", "stop_limit")
        if needs_price and not _positive(self.price):
            return f"a {self.type} order needs a positive limit price, got {self.price}"
        if needs_stop and not _positive(self.stop_price):
            return f"a {self.type} order needs a positive stop price, got {self.stop_price}"
        if not needs_price and self.price is not None:
            return f"a {self.type} order takes no limit price"
        if not needs_stop and self.stop_price is not None:
            return f"a {self.type} order takes no stop price"
        return None


@dataclass(frozen=True, slots=True)
class BracketRequest:
    """An entry with its protective stop and targets: once the entry fills, a stop for the whole filled
    quantity and one take-profit per target (its share of the quantity) are placed; a fill of either side
    reduces the other (one cancels the other when the position is flat)."""

    entry: OrderRequest
    stop: float
    #: (price, share of the quantity) per target; the shares sum to at most 1.
    targets: tuple[tuple[float, float], ...] = ()

    def problem(self) -> str | None:
        """Why the bracket is inconsistent (stop on the wrong side, shares over 1), or None."""
        problem = self.entry.problem()
        if problem:
            return problem
        if not _positive(self.stop):
            return f"the stop must be a positive price, got {self.stop}"
        reference = self.entry.price if self.entry.price is not None else self.entry.stop_price
        long = self.entry.side == "buy"
        if reference is not None and (self.stop >= reference if long else self.stop <= reference):
            return f"the stop {self.stop} is on the wrong side of the entry {reference} for a {self.entry.side}"
        total = 0.0
        for price, share in self.targets:
            if not _positive(price) or not (0 < share <= 1):
                return f"a target needs a positive price and a share in (0, 1], got ({price}, {share})"
            if reference is not None and (price <= reference if long else price >= reference):
                return f"the target {price} is on the wrong side of the entry {reference} for a {self.entry.side}"
            total += share
        if total > 1 + 1e-9:
            return f"target shares add up to {total:g}, more than the whole quantity"
        return None


@dataclass(frozen=True, slots=True)
class Order:
    """An order as the broker holds it. `id` is the broker's id; `reason` says why it was rejected, cancelled
    or expired (one line). Times are epoch milliseconds of the market the broker trades on."""

    id: str
    request: OrderRequest
    status: OrderStatus
    mode: TradingMode
    created_ms: int
    updated_ms: int
    filled_qty: float = 0.0
    avg_fill_price: float | None = None
    fees: float = 0.0
    reason: str | None = None

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def remaining_qty(self) -> float:
        return max(self.request.qty - self.filled_qty, 0.0)


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of an order: its quantity, price, fee (in the quote asset) and the trade it matched."""

    order_id: str
    symbol: str
    side: Side
    qty: float
    price: float
    fee: float
    time_ms: int
    liquidity: Literal["maker", "taker"]
    trade_id: str | None = None


@dataclass(frozen=True, slots=True)
class Position:
    """A symbol's net position: `qty` is signed (short below zero), `avg_price` the average entry of what is
    held, `realized_pnl` what closing parts of it earned (after fees). `pair_id` groups the legs of one pairs
    trade."""

    symbol: str
    qty: float
    avg_price: float
    realized_pnl: float
    opened_ms: int
    mode: TradingMode
    pair_id: str | None = None

    def unrealized(self, mark: float) -> float:
        """Profit of what is held, marked at `mark` (before the fee of closing it)."""
        return (mark - self.avg_price) * self.qty

    def notional(self, mark: float) -> float:
        return abs(self.qty) * mark


@dataclass(frozen=True, slots=True)
class Balance:
    """One asset of the account: `free` can be spent, `locked` is held by open orders."""

    asset: str
    free: float
    locked: float

    @property
    def total(self) -> float:
        return self.free + self.locked


def _positive(value: float | None) -> bool:
    return value is not None and math.isfinite(value) and value > 0
