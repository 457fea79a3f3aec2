"""The full order book as a trader reads it: levels grouped by price, cumulative depth, a depth profile.

* **Tick size** is read from the book itself (the smallest gap between neighbouring prices, snapped to a power of
  ten times 1, 2 or 5), so grouping works on every market without the exchange's filters.
* **Grouping** by a multiple of the tick: bids fall to the bucket below (a bid at 100.07 in 0.1 buckets is a bid
  of at least 100.0), asks rise to the bucket above, so a grouped level never claims a better price than its
  orders and the spread can only widen.
* **Cumulative depth**: the quantity from the touch out to each level (what a market order of that size eats).
* **Depth profile**: cumulative depth sampled at evenly spaced prices either side of the mid, the columns of a
  depth chart.

Pure and float-safe: prices are bucketed on integer tick counts, then rounded to the tick's decimals.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate, pairwise

Level = tuple[float, float]
#: Multiples of the tick the book's grouping steps through.
GROUP_MULTIPLES: tuple[int, ...] = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10000)


def infer_tick(prices: Sequence[float]) -> float:
    """The book's price step: the smallest gap between sorted neighbours, snapped to 1, 2 or 5 × 10^k."""
    ordered = sorted(p for p in prices if math.isfinite(p))
    gaps = [b - a for a, b in pairwise(ordered) if b - a > 0]
    if not gaps:
        return 0.0
    gap = min(gaps)
    exponent = math.floor(math.log10(gap))
    scale = 10.0**exponent
    mantissa = gap / scale
    snapped = min((1.0, 2.0, 5.0, 10.0), key=lambda m: abs(m - mantissa))
    return round(snapped * scale, max(0, -exponent + 1))


def decimals_of(step: float) -> int:
    """Decimals needed to write multiples of `step` exactly (0.01 → 2, 5 → 0)."""
    if step <= 0 or not math.isfinite(step):
        return 2
    text = f"{step:.12f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def group_levels(levels: Sequence[Level], step: float, *, bids: bool) -> list[Level]:
    """`levels` (best first) summed into buckets of `step`: bids floored, asks ceiled; best bucket first."""
    if step <= 0:
        return list(levels)
    digits = decimals_of(step)
    grouped: dict[int, float] = {}
    order: list[int] = []
    for price, qty in levels:
        ticks = price / step
        bucket = math.floor(ticks + 1e-9) if bids else math.ceil(ticks - 1e-9)
        if bucket not in grouped:
            grouped[bucket] = 0.0
            order.append(bucket)
        grouped[bucket] += qty
    return [(round(bucket * step, digits), grouped[bucket]) for bucket in order]


@dataclass(frozen=True, slots=True)
class DepthRow:
    """One grouped level with the depth from the touch to it (quantity and quote notional)."""

    price: float
    qty: float
    cumulative: float
    cumulative_notional: float


def cumulative(levels: Sequence[Level]) -> list[DepthRow]:
    """Running totals from the touch outwards (`levels` best first)."""
    rows: list[DepthRow] = []
    qty_total = notional_total = 0.0
    for price, qty in levels:
        qty_total += qty
        notional_total += price * qty
        rows.append(DepthRow(price, qty, qty_total, notional_total))
    return rows


def depth_profile(bids: Sequence[Level], asks: Sequence[Level], columns: int, span: float) -> list[float]:
    """Cumulative depth at `columns` evenly spaced prices from mid − span to mid + span (bids left of the middle,
    asks right of it); each value is the quantity a market order would take to move the price there. Levels come
    best first; each column is a binary search into the running totals, so a deep book costs little per frame."""
    if columns < 2 or not bids or not asks or span <= 0:
        return []
    mid = (bids[0][0] + asks[0][0]) / 2.0
    half = columns // 2
    negated_bids = [-p for p, _ in bids]  # ascending, for bisect
    ask_prices = [p for p, _ in asks]
    bid_totals = list(accumulate(q for _, q in bids))
    ask_totals = list(accumulate(q for _, q in asks))
    profile: list[float] = []
    for column in range(columns):
        if column < half:
            reach = bisect_right(negated_bids, -(mid - span * (half - column) / half))
            profile.append(bid_totals[reach - 1] if reach else 0.0)
        else:
            reach = bisect_right(ask_prices, mid + span * (column - half + 1) / (columns - half))
            profile.append(ask_totals[reach - 1] if reach else 0.0)
    return profile


def imbalance(bids: Sequence[Level], asks: Sequence[Level]) -> float:
    """Bid quantity / (bid + ask quantity) of the levels given: 0.5 balanced, towards 1 bid-heavy; NaN if empty."""
    bid_qty = sum(q for _, q in bids)
    total = bid_qty + sum(q for _, q in asks)
    return bid_qty / total if total else float("nan")


def next_multiple(multiple: int, step: int) -> int:
    """The grouping multiple `step` places along `GROUP_MULTIPLES` from `multiple` (clamped to the ends)."""
    index = GROUP_MULTIPLES.index(multiple) if multiple in GROUP_MULTIPLES else 0
    return GROUP_MULTIPLES[max(0, min(len(GROUP_MULTIPLES) - 1, index + step))]
