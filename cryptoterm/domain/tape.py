"""Time and sales: trades grouped into the prints a tape shows, and which of them are large.

An exchange reports one trade per maker order a taker filled, so one market order sweeping five levels is five
trades at the same millisecond: the tape shows it as one print. And a busy book prints hundreds of tiny trades a
second that bury the ones that matter, so small trades are aggregated: consecutive trades on the same side
accumulate into one print until its notional (price × size, in the quote asset) reaches the minimum, and a trade
on the other side ends the run (the unfinished run is shown as it is, so no volume is hidden). With a minimum of
0 only the trades of one taker order (same side, same millisecond) are merged. A print's price is the run's
volume-weighted average, its time the last trade's. Prints at or above the large notional are flagged.
Pure: trades in, prints out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from cryptoterm.domain.market import Side, Trade


class Print(NamedTuple):
    """One line of the tape: the run's last time, VWAP, summed size and notional, side and trade count."""

    ts: int
    price: float
    qty: float
    notional: float
    side: Side
    trades: int
    large: bool = False


def aggregate_prints(trades: Iterable[Trade], *, min_notional: float = 0.0, large_notional: float = 0.0) -> list[Print]:
    """Prints of `trades` (oldest first, as they arrived), oldest first; see the module docstring."""
    prints: list[Print] = []
    side: Side | None = None
    last_ts = 0
    qty = notional = 0.0
    count = 0
    for trade in trades:
        value = trade.price * trade.qty
        same_order = trade.side == side and trade.ts == last_ts
        if side is not None and (trade.side != side or (notional >= min_notional and not same_order)):
            prints.append(_print(last_ts, qty, notional, side, count, large_notional))
            qty = notional = 0.0
            count = 0
        side = trade.side
        last_ts = trade.ts
        qty += trade.qty
        notional += value
        count += 1
    if side is not None:
        prints.append(_print(last_ts, qty, notional, side, count, large_notional))
    return prints


def _print(ts: int, qty: float, notional: float, side: Side, count: int, large_notional: float) -> Print:
    price = notional / qty if qty else 0.0
    return Print(ts, price, qty, notional, side, count, large_notional > 0 and notional >= large_notional)


def tape_summary(prints: Iterable[Print]) -> tuple[float, float]:
    """(bought, sold) notional of `prints`: the taker flow the tape shows."""
    bought = sold = 0.0
    for item in prints:
        if item.side == "buy":
            bought += item.notional
        else:
            sold += item.notional
    return bought, sold
