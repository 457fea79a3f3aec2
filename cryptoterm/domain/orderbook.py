"""A local order book kept in step with Binance's diff-depth stream.

Binance publishes only *changes* to the book (`depthUpdate`), numbered by update ids, plus a REST snapshot
carrying the id it reflects (`lastUpdateId`). Rebuilding a correct book means following Binance's documented
procedure exactly, because a book built from diffs that silently skipped one is wrong at some price forever:

1. buffer diffs while no snapshot is loaded;
2. load a snapshot; if the first buffered diff starts after the snapshot, the snapshot is too old: fetch again;
3. drop buffered diffs already contained in the snapshot (spot: `u <= lastUpdateId`; futures: `u < lastUpdateId`);
4. the first diff applied must straddle the snapshot (spot: `U <= lastUpdateId + 1 <= u`;
   futures: `U <= lastUpdateId <= u`);
5. every later diff must chain onto the previous one (spot: `U == previous u + 1`; futures: `pu == previous u`);
   a diff entirely older than the book (`u <= last applied u`) is a duplicate and is ignored;
6. on any break in the chain the book is out of sync: it is cleared and waits for a fresh snapshot.

This module is pure: the caller fetches snapshots (the adapter does, with an injected REST call) and feeds
both snapshots and diffs in; the book only says whether it needs one (`needs_snapshot`).

Each side is a dict price → qty plus a lazily rebuilt sorted view of its prices. Applying a diff is only dict
writes (Binance sends ~60 levels per diff, many far from the touch, so keeping a sorted structure current on
every write cost more than everything else on the hot path); the sorted view is rebuilt on the first query
after a change. CPython sorts a list of floats with a specialised compare (~70 µs for 5,000 levels, faster
than filtering the old order in Python), and queries come at screen rate (≤ 10 Hz) while diffs come at up
to thousands per second.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Literal

from cryptoterm.domain.market import DepthSnapshot, DepthUpdate

BookState = Literal["unsynced", "synced"]
SnapshotResult = Literal["synced", "stale"]
Level = tuple[float, float]


def _apply_side(qtys: dict[float, float], levels: Iterable[Level]) -> None:
    """Set absolute quantities on one side; qty 0 removes the level (Binance sends absolute, not deltas)."""
    for price, qty in levels:
        if qty:
            qtys[price] = qty
        else:
            qtys.pop(price, None)


class OrderBook:
    """One symbol's book, synchronised from a snapshot plus diff-depth updates.

    `futures=True` selects the USDⓈ-M rules (`pu` chaining) instead of spot's consecutive ids.
    `max_buffer` bounds the diffs held while waiting for a snapshot; older ones are dropped, which at worst
    makes the next snapshot look stale and triggers another fetch.
    """

    __slots__ = (
        "_ask_prices",
        "_asks",
        "_bid_prices",
        "_bids",
        "_buffer",
        "_dirty",
        "_first_pending",
        "futures",
        "gaps",
        "last_update_id",
        "resyncs",
        "snapshots_loaded",
        "state",
        "symbol",
        "ts",
        "updates_applied",
        "updates_ignored",
    )

    def __init__(self, symbol: str, *, futures: bool = False, max_buffer: int = 10_000) -> None:
        self.symbol = symbol
        self.futures = futures
        self.state: BookState = "unsynced"
        #: Update id the book reflects (the snapshot's `lastUpdateId`, then each applied diff's `u`).
        self.last_update_id = -1
        #: Event time (ms) of the last snapshot or diff applied.
        self.ts = 0
        #: Times a chain break was detected on a synced book (each needs a fresh snapshot).
        self.gaps = 0
        #: Times a snapshot was loaded after the book had been synced before.
        self.resyncs = 0
        self.snapshots_loaded = 0
        self.updates_applied = 0
        self.updates_ignored = 0
        self._bids: dict[float, float] = {}
        self._asks: dict[float, float] = {}
        self._bid_prices: list[float] = []  # ascending: best bid is the last element
        self._ask_prices: list[float] = []  # ascending: best ask is the first element
        self._dirty = False  # the sorted views lag the dicts until the next query
        self._buffer: deque[DepthUpdate] = deque(maxlen=max_buffer)
        self._first_pending = False

    # ------------------------------------------------------------------ synchronisation

    @property
    def needs_snapshot(self) -> bool:
        """True until a snapshot has been loaded and chained onto, and again after any gap."""
        return self.state != "synced"

    @property
    def buffered(self) -> int:
        """Diffs held while waiting for a snapshot."""
        return len(self._buffer)

    def on_update(self, update: DepthUpdate) -> bool:
        """Feed one diff. Returns True when it was applied to a synced book.

        While unsynced the diff is buffered. On a synced book a diff that does not chain onto the last one
        marks the book out of sync (counted in `gaps`), clears it and starts buffering from this diff.
        """
        if self.state != "synced":
            self._buffer.append(update)
            return False
        if self._first_pending and self.futures:
            already_in_book = update.final_update_id < self.last_update_id
        else:
            already_in_book = update.final_update_id <= self.last_update_id
        if already_in_book:
            self.updates_ignored += 1
            return False
        if not self._chains(update):
            self._lose_sync(update)
            return False
        self._apply(update)
        return True

    def on_snapshot(self, snapshot: DepthSnapshot) -> SnapshotResult:
        """Load a REST snapshot and replay the buffered diffs onto it.

        Returns "synced" when the book is usable, or "stale" when the snapshot cannot be joined to the diffs
        (it is older than the first buffered diff, or the buffer itself has a gap); the book then stays
        unsynced and the caller fetches another snapshot.
        """
        lid = snapshot.last_update_id
        if self.futures:
            pending = [u for u in self._buffer if u.final_update_id >= lid]
        else:
            pending = [u for u in self._buffer if u.final_update_id > lid]
        if pending and not self._straddles(pending[0], lid):
            # The snapshot predates the oldest diff we still hold: changes in between are unknown.
            self._buffer = deque(pending, maxlen=self._buffer.maxlen)
            return "stale"
        hole = self._first_break(pending)
        if hole is not None:
            # A hole inside the buffer: keep the diffs from the hole on and ask for a newer snapshot. The
            # snapshot is never loaded, so no counter says it was.
            self._buffer = deque(pending[hole:], maxlen=self._buffer.maxlen)
            return "stale"
        if self.snapshots_loaded:
            self.resyncs += 1
        self.snapshots_loaded += 1
        self._load(snapshot)
        self.state = "synced"
        self._first_pending = True
        self._buffer.clear()
        for update in pending:
            self._apply(update)
        return "synced"

    def _first_break(self, pending: list[DepthUpdate]) -> int | None:
        """Index of the first buffered diff that does not chain onto the one before it, or None."""
        for i in range(1, len(pending)):
            previous, update = pending[i - 1], pending[i]
            if self.futures:
                chained = update.prev_final_update_id == previous.final_update_id
            else:
                chained = update.first_update_id == previous.final_update_id + 1
            if not chained:
                return i
        return None

    def reset(self) -> None:
        """Forget everything (e.g. after unsubscribing): empty, unsynced, no buffered diffs."""
        self._clear_levels()
        self._buffer.clear()
        self.state = "unsynced"
        self.last_update_id = -1
        self._first_pending = False

    def _straddles(self, update: DepthUpdate, lid: int) -> bool:
        if self.futures:
            return update.first_update_id <= lid <= update.final_update_id
        return update.first_update_id <= lid + 1 <= update.final_update_id

    def _chains(self, update: DepthUpdate) -> bool:
        if self._first_pending:
            return self._straddles(update, self.last_update_id)
        if self.futures:
            return update.prev_final_update_id == self.last_update_id
        return update.first_update_id == self.last_update_id + 1

    def _lose_sync(self, update: DepthUpdate) -> None:
        self.gaps += 1
        self.state = "unsynced"
        self._first_pending = False
        self._clear_levels()
        self._buffer.clear()
        self._buffer.append(update)

    def _apply(self, update: DepthUpdate) -> None:
        _apply_side(self._bids, update.bids)
        _apply_side(self._asks, update.asks)
        self._dirty = True
        self.last_update_id = update.final_update_id
        self.ts = update.ts
        self._first_pending = False
        self.updates_applied += 1

    def _load(self, snapshot: DepthSnapshot) -> None:
        self._bids = {p: q for p, q in snapshot.bids if q != 0.0}
        self._asks = {p: q for p, q in snapshot.asks if q != 0.0}
        self._bid_prices = sorted(self._bids)
        self._ask_prices = sorted(self._asks)
        self._dirty = False
        self.last_update_id = snapshot.last_update_id
        self.ts = snapshot.ts

    def _clear_levels(self) -> None:
        self._bids.clear()
        self._asks.clear()
        self._bid_prices.clear()
        self._ask_prices.clear()
        self._dirty = False

    def _views(self) -> tuple[list[float], list[float]]:
        if self._dirty:
            self._bid_prices = sorted(self._bids)
            self._ask_prices = sorted(self._asks)
            self._dirty = False
        return self._bid_prices, self._ask_prices

    # ------------------------------------------------------------------ queries

    @property
    def bid_levels(self) -> int:
        return len(self._bids)

    @property
    def ask_levels(self) -> int:
        return len(self._asks)

    def best_bid(self) -> Level | None:
        """(price, qty) of the highest bid, or None on an empty side."""
        bid_prices = self._views()[0]
        if not bid_prices:
            return None
        price = bid_prices[-1]
        return price, self._bids[price]

    def best_ask(self) -> Level | None:
        """(price, qty) of the lowest ask, or None on an empty side."""
        ask_prices = self._views()[1]
        if not ask_prices:
            return None
        price = ask_prices[0]
        return price, self._asks[price]

    def top(self, n: int) -> tuple[list[Level], list[Level]]:
        """The best `n` levels of each side, best first: (bids descending, asks ascending)."""
        if n <= 0:
            return [], []
        bid_view, ask_view = self._views()
        bids = self._bids
        asks = self._asks
        bid_prices = bid_view[-n:]
        bid_prices.reverse()
        return [(p, bids[p]) for p in bid_prices], [(p, asks[p]) for p in ask_view[:n]]

    @property
    def spread(self) -> float:
        """Best ask minus best bid; NaN when a side is empty."""
        bid_prices, ask_prices = self._views()
        if not bid_prices or not ask_prices:
            return float("nan")
        return ask_prices[0] - bid_prices[-1]

    @property
    def mid(self) -> float:
        """Midpoint of best bid and ask; NaN when a side is empty."""
        bid_prices, ask_prices = self._views()
        if not bid_prices or not ask_prices:
            return float("nan")
        return (ask_prices[0] + bid_prices[-1]) / 2.0

    def imbalance(self, n: int = 10) -> float:
        """Bid quantity / (bid + ask quantity) over the top `n` levels: 0.5 balanced, → 1 bid-heavy.

        NaN when both sides are empty.
        """
        bids, asks = self.top(n)
        bid_qty = sum(q for _, q in bids)
        total = bid_qty + sum(q for _, q in asks)
        return bid_qty / total if total else float("nan")

    def snapshot(self, depth: int | None = None) -> DepthSnapshot:
        """The current book as an immutable `DepthSnapshot` (best first), e.g. for the UI or a store."""
        n = max(len(self._bids), len(self._asks)) if depth is None else depth
        bids, asks = self.top(n)
        return DepthSnapshot(self.symbol, self.ts, self.last_update_id, tuple(bids), tuple(asks))
