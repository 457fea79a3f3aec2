"""A spot exchange account read back from its own trades: what a holding cost, and what the day made.

A spot account has no positions, only balances; a "position" in BASE/QUOTE is the BASE balance. Two questions
need the account's trades, and both are answered here, purely, from `SpotTrade`s the exchange reported:

* `average_cost`: the average entry of what is held — replaying the trades by average cost (fees included),
  restarting whenever the holding went flat — and what closing parts of it realized. A holding the trades do
  not explain (a deposit, trades older than the history fetched) has no known entry: NaN, never a guess.
* `day_pnl`: the day's profit by marking to market, which needs no entry price at all: the holding's value now
  minus its value at 00:00 UTC (the quantity then is the quantity now less what today's trades changed, valued at
  the day's open), plus the quote the day's trades brought in (sells) less what they spent (buys, fees).

Exchanges take the fee in the asset received (the base asset on a buy), so a trade carries its fee in two parts:
`base_fee` (in the base asset: it shrinks what a buy adds) and `quote_fee` (in the quote asset). A fee in a
third asset (BNB) is converted by the adapter or, when it cannot be, left out and said so there.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from cryptoterm.domain.trading.guards import QTY_EPSILON
from cryptoterm.domain.trading.orders import Side


@dataclass(frozen=True, slots=True)
class SpotTrade:
    """One of the account's trades on a spot market."""

    side: Side
    qty: float
    price: float
    time_ms: int
    quote_fee: float = 0.0
    base_fee: float = 0.0

    @property
    def base_change(self) -> float:
        """How the base balance moved."""
        return (self.qty if self.side == "buy" else -self.qty) - self.base_fee

    @property
    def quote_flow(self) -> float:
        """How the quote balance moved."""
        gross = self.qty * self.price
        return (gross if self.side == "sell" else -gross) - self.quote_fee

    @property
    def fee_in_quote(self) -> float:
        return self.quote_fee + self.base_fee * self.price


@dataclass(frozen=True, slots=True)
class HoldingCost:
    """`avg_price` of what the trades say is held (NaN when they explain none of `held`), `realized` profit of
    the sells (after fees), `opened_ms` the first buy of the current holding (0 when unknown)."""

    avg_price: float
    realized: float
    opened_ms: int


def average_cost(trades: Iterable[SpotTrade], held: float) -> HoldingCost:
    """The average entry of the holding built by `trades` (in time order), and what the sells realized."""
    qty = cost = realized = 0.0
    opened_ms = 0
    for trade in sorted(trades, key=lambda t: t.time_ms):
        if trade.side == "buy":
            if qty <= QTY_EPSILON:
                qty, cost, opened_ms = 0.0, 0.0, trade.time_ms
            qty += trade.qty - trade.base_fee
            cost += trade.qty * trade.price + trade.quote_fee
            continue
        if qty <= QTY_EPSILON:
            continue  # selling what the trades never bought (a deposit): no entry to realize against
        sold = min(trade.qty + trade.base_fee, qty)
        average = cost / qty
        realized += sold * trade.price - trade.fee_in_quote - sold * average
        cost -= average * sold
        qty -= sold
    if qty <= QTY_EPSILON or held <= QTY_EPSILON:
        return HoldingCost(math.nan, realized, 0)
    return HoldingCost(cost / qty, realized, opened_ms)


def day_pnl(held_now: float, mark: float, day_open: float, todays_trades: Iterable[SpotTrade]) -> float:
    """The day's profit of one symbol: value now − value at the day's start + the quote today's trades moved."""
    base_change = quote_flow = 0.0
    for trade in todays_trades:
        base_change += trade.base_change
        quote_flow += trade.quote_flow
    held_at_start = held_now - base_change
    return held_now * mark - held_at_start * day_open + quote_flow
