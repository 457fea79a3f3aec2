"""A simulated order book for one symbol, published the way Binance does: a snapshot, then numbered diffs.

Prices are kept as integer tick counts (exact keys, no float drift). Each side is a ladder: the best price,
then levels on a grid of `step` ticks away from it. After every batch the book is re-centred on the new best
bid / ask: levels that fell off are removed (qty 0), new ones appear, and some resting quantities change.
Each diff covers update ids `U = previous u + 1 .. u = previous u + number of changes`, exactly as
Binance numbers them, so the same book-synchronisation code consumes live and simulated depth.
"""

from __future__ import annotations

import math

import numpy as np

from cryptoterm.domain.market import DepthSnapshot, DepthUpdate

Level = tuple[float, float]


def _ladder(best: int, step: int, count: int, *, downward: bool) -> list[int]:
    """`count` price levels (in ticks): the best, then grid levels away from it."""
    if downward:
        grid = (best // step) * step
        if grid >= best:
            grid -= step
        return [best, *range(grid, grid - step * (count - 1), -step)][:count]
    grid = -((-best) // step) * step
    if grid <= best:
        grid += step
    return [best, *range(grid, grid + step * (count - 1), step)][:count]


class SimBook:
    """One symbol's simulated book. `levels` per side; `size` is the typical quantity at the top."""

    def __init__(
        self,
        symbol: str,
        tick: float,
        step: int,
        size: float,
        lot: float,
        rng: np.random.Generator,
        *,
        levels: int = 100,
        first_update_id: int = 1,
    ) -> None:
        self.symbol = symbol
        self.tick = tick
        self.step = max(1, step)
        self.size = size
        self.lot = lot
        self.levels = levels
        self.last_update_id = first_update_id - 1
        self._rng = rng
        self.bids: dict[int, float] = {}
        self.asks: dict[int, float] = {}
        one_side = np.full(levels, 0.08)
        one_side[0] = 0.5
        self._requote_p = np.concatenate([one_side, one_side])

    def _price(self, ticks: int) -> float:
        return round(ticks * self.tick, 10)

    def _side_changes(
        self, side: dict[int, float], ladder: list[int], normal: list[float], requote: list[int]
    ) -> list[Level]:
        """Make `side` hold exactly the `ladder` levels; returns the (price, qty) changes, qty 0 = removed.

        New levels, and the re-quoted positions `requote`, get a fresh lognormal quantity growing away from
        the top. Only touched levels cost Python work, which keeps a 100-level diff cheap.
        """
        wanted = set(ladder)
        removed = [t for t in side if t not in wanted]
        changes: list[Level] = [(self._price(t), 0.0) for t in removed]
        for ticks in removed:
            del side[ticks]
        touched = {ladder.index(t) for t in wanted - side.keys()}
        touched.update(requote)
        size, lot = self.size, self.lot
        for k in sorted(touched):
            ticks = ladder[k]
            raw = size * (1.0 + 0.08 * k) * math.exp(0.8 * normal[k])
            qty = round(max(lot, round(raw / lot) * lot), 10)
            if side.get(ticks) != qty:
                side[ticks] = qty
                changes.append((self._price(ticks), qty))
        return changes

    def move(self, ts: int, bid: int, ask: int) -> DepthUpdate | None:
        """Re-centre on best `bid` / `ask` (ticks) and return the diff, or None when nothing changed.

        About 8% of resting levels (half of the best ones) are re-quoted per call; randomness for both sides
        is drawn in one go.
        """
        n = self.levels
        normal = self._rng.standard_normal(2 * n).tolist()
        hits = np.flatnonzero(self._rng.random(2 * n) < self._requote_p).tolist()
        bid_changes = self._side_changes(
            self.bids, _ladder(bid, self.step, n, downward=True), normal[:n], [k for k in hits if k < n]
        )
        ask_changes = self._side_changes(
            self.asks, _ladder(ask, self.step, n, downward=False), normal[n:], [k - n for k in hits if k >= n]
        )
        changed = len(bid_changes) + len(ask_changes)
        if not changed:
            return None
        first = self.last_update_id + 1
        self.last_update_id += changed
        bids = tuple(sorted(bid_changes, reverse=True))
        asks = tuple(sorted(ask_changes))
        return DepthUpdate(self.symbol, ts, first, self.last_update_id, bids, asks)

    def snapshot(self, ts: int, limit: int | None = None) -> DepthSnapshot:
        """The whole book (or its best `limit` levels per side), best first, as of `last_update_id`."""
        bids = sorted(self.bids.items(), reverse=True)[:limit]
        asks = sorted(self.asks.items())[:limit]
        return DepthSnapshot(
            self.symbol,
            ts,
            self.last_update_id,
            tuple((self._price(t), q) for t, q in bids),
            tuple((self._price(t), q) for t, q in asks),
        )

    def top(self) -> tuple[float, float, float, float]:
        """(bid, bid_qty, ask, ask_qty) of the current book."""
        bid = max(self.bids)
        ask = min(self.asks)
        return self._price(bid), self.bids[bid], self._price(ask), self.asks[ask]
