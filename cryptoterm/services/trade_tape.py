"""The recent trades of every watched symbol, for the time-and-sales tape.

A trade listener on the feed: each trade is written into its symbol's ring (`[tape] capacity` trades), so memory
stays fixed however long the app runs and however busy the market. The listener runs on the event loop for
every batch, so it does one write per trade and nothing else; grouping into prints happens when a screen
reads (`domain.tape.aggregate_prints`), at screen rate, for the one symbol on screen.

A ring is five flat arrays (time, price, size, id, side: 33 bytes a trade) rather than `Trade` tuples (about
220 bytes each with their numbers): full tapes of twenty symbols take 3 MB instead of 22. `Trade`s are rebuilt
when a screen reads, for the one symbol it shows.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

from cryptoterm.domain.market import Side, Trade

_SIDES: tuple[Side, Side] = ("sell", "buy")


class _Ring:
    """The last `capacity` trades of one symbol, in flat arrays written round and round."""

    __slots__ = ("capacity", "count", "head", "ids", "prices", "qtys", "sides", "times")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.times = array("q", bytes(8 * capacity))
        self.prices = array("d", bytes(8 * capacity))
        self.qtys = array("d", bytes(8 * capacity))
        self.ids = array("q", bytes(8 * capacity))
        self.sides = bytearray(capacity)
        #: Where the next trade goes, and how many are kept.
        self.head = 0
        self.count = 0

    def add(self, trade: Trade) -> None:
        i = self.head
        self.times[i] = trade.ts
        self.prices[i] = trade.price
        self.qtys[i] = trade.qty
        self.ids[i] = trade.trade_id
        self.sides[i] = trade.side == "buy"
        self.head = i + 1 if i + 1 < self.capacity else 0
        if self.count < self.capacity:
            self.count += 1

    def newest(self, symbol: str, limit: int) -> list[Trade]:
        """The newest `limit` trades, oldest first."""
        n = min(limit, self.count)
        start = (self.head - n) % self.capacity
        slots = [(start + k) % self.capacity for k in range(n)]
        times, prices, qtys, ids, sides = self.times, self.prices, self.qtys, self.ids, self.sides
        return [Trade(symbol, times[i], prices[i], qtys[i], _SIDES[sides[i]], ids[i]) for i in slots]

    def last(self, symbol: str) -> Trade:
        return self.newest(symbol, 1)[0]


class TradeTape:
    """Per-symbol rings of recent trades, oldest first."""

    def __init__(self, capacity: int = 5000) -> None:
        if capacity < 1:
            raise ValueError(f"tape capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self._rings: dict[str, _Ring] = {}
        #: Trades seen in all, and how many times the tapes were cleared (a replay going back).
        self.trades_seen = 0
        self.clears = 0

    def on_trades(self, trades: Sequence[Trade]) -> None:
        """The feed's trade listener."""
        rings = self._rings
        for trade in trades:
            ring = rings.get(trade.symbol)
            if ring is None:
                ring = rings[trade.symbol] = _Ring(self.capacity)
            ring.add(trade)
        self.trades_seen += len(trades)

    def recent(self, symbol: str, limit: int | None = None) -> list[Trade]:
        """Up to `limit` of `symbol`'s newest trades (all kept when None), oldest first."""
        ring = self._rings.get(symbol)
        if ring is None or not ring.count:
            return []
        return ring.newest(symbol, ring.count if limit is None else max(0, limit))

    def last(self, symbol: str) -> Trade | None:
        ring = self._rings.get(symbol)
        return ring.last(symbol) if ring is not None and ring.count else None

    def symbols(self) -> list[str]:
        return sorted(self._rings)

    def clear(self) -> None:
        """Forget every trade (the market went back in time)."""
        self._rings.clear()
        self.clears += 1
