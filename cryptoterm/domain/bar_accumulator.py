"""The mutable accumulators behind `BarBuilder`: one forming bar (or a larger timeframe's partial) as plain
slots, folded and merged without allocating — the per-trade hot path touches nothing else. Kept apart so the
builder's bucket logic reads on its own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from cryptoterm.domain.market import Candle

#: Watermark of a symbol that has seen nothing yet: every bucket is at or after it.
NO_TIME: Final = -(2**62)


class BarAccumulator:
    """A mutable OHLCV accumulator: the forming base bar, or a larger timeframe's partial.

    `ots`/`cts` are the timestamps of the trades that set open/close, so out-of-order arrivals land right.
    `t`/`e` are the bucket bounds; an inactive base accumulator has t == e so the per-trade range test fails.
    """

    __slots__ = ("a", "c", "cts", "e", "h", "l", "n", "o", "ots", "q", "seeded", "t", "v")

    def __init__(self) -> None:
        self.t = 0
        self.e = 0
        self.o = self.h = self.l = self.c = 0.0
        self.v = self.q = 0.0
        self.n = 0
        self.ots = self.cts = 0
        self.a = False
        self.seeded = False

    def clear(self) -> None:
        """Forget the bar (after publishing it); t == e keeps the per-trade fast path from matching."""
        self.a = False
        self.seeded = False
        self.t = self.e = 0

    def start(self, ts: int, price: float, qty: float) -> None:
        """Begin the bar with its first trade (bucket bounds already set)."""
        self.o = self.h = self.l = self.c = price
        self.v = qty
        self.q = price * qty
        self.n = 1
        self.ots = self.cts = ts
        self.a = True
        self.seeded = False

    def add(self, ts: int, price: float, qty: float) -> None:
        """Apply one trade that belongs to this bucket (any arrival order)."""
        if not self.a:
            self.start(ts, price, qty)
            return
        if price > self.h:
            self.h = price
        if price < self.l:
            self.l = price
        if ts >= self.cts:
            self.c = price
            self.cts = ts
        elif ts < self.ots:
            self.o = price
            self.ots = ts
        self.v += qty
        self.q += price * qty
        self.n += 1

    def fold(self, other: BarAccumulator) -> None:
        """Merge a bar that arrived after everything already folded here (later arrival wins close ties)."""
        if not self.a:
            self.o, self.h, self.l, self.c = other.o, other.h, other.l, other.c
            self.v, self.q, self.n = other.v, other.q, other.n
            self.ots, self.cts = other.ots, other.cts
            self.a = True
            self.seeded = False
            return
        if other.h > self.h:
            self.h = other.h
        if other.l < self.l:
            self.l = other.l
        if other.ots < self.ots:
            self.o = other.o
            self.ots = other.ots
        if other.cts >= self.cts:
            self.c = other.c
            self.cts = other.cts
        self.v += other.v
        self.q += other.q
        self.n += other.n

    def set_candle(self, candle: Candle) -> None:
        """Load a forming bar from history. Its first/last trade times are unknown; taking the bucket start for
        both keeps the exchange's open and lets any newer trade set the close."""
        self.o, self.h, self.l, self.c = candle.open, candle.high, candle.low, candle.close
        self.v, self.q, self.n = candle.volume, candle.quote_volume, candle.trades
        self.ots = self.cts = candle.open_time
        self.a = True
        self.seeded = True

    def subtract_additive(self, other: BarAccumulator) -> None:
        """Remove `other`'s volume and count from a seeded bar that already includes them.

        A forming bar fetched from history already contains the trades of the forming base bar inside it;
        once both are loaded, the base bar would be counted twice when it closes. High/low/open/close are
        idempotent under that overlap, only the additive fields need correcting (clamped: the two snapshots
        may have been taken a moment apart)."""
        self.v = max(0.0, self.v - other.v)
        self.q = max(0.0, self.q - other.q)
        self.n = max(0, self.n - other.n)

    def candle(self, open_time: int, closed: bool) -> Candle:
        return Candle(open_time, self.o, self.h, self.l, self.c, self.v, self.q, self.n, closed)


def merged_forming(part: BarAccumulator, base: BarAccumulator, open_time: int) -> Candle:
    """The forming bar of a larger timeframe: its partial folded with the forming base bar (not mutated)."""
    o = base.o if base.ots < part.ots else part.o
    c = base.c if base.cts >= part.cts else part.c
    h = base.h if base.h > part.h else part.h
    low = base.l if base.l < part.l else part.l
    return Candle(open_time, o, h, low, c, part.v + base.v, part.q + base.q, part.n + base.n, False)


class SymbolBars:
    """All timeframes of one symbol: the forming base bar, one partial per larger timeframe, and the floors
    (open time of the one bucket per timeframe that still accepts trades, derived from the watermark)."""

    __slots__ = ("base", "floors", "parts", "symbol")

    def __init__(self, symbol: str, floors: list[int], lengths: Sequence[int]) -> None:
        self.symbol = symbol
        self.base = BarAccumulator()
        self.parts = [BarAccumulator() for _ in lengths[1:]]
        self.floors = floors
        for part, floor, length in zip(self.parts, floors[1:], lengths[1:], strict=True):
            part.t = floor
            part.e = floor + length


def check_seed(symbol: str, timeframe: str, length: int, candles: Sequence[Candle]) -> None:
    """Reject history the builder could not continue from, naming the candle and the field."""
    prev = NO_TIME
    last = len(candles) - 1
    for i, c in enumerate(candles):
        where = f"seed {symbol} {timeframe}: candle {i} (open_time {c.open_time})"
        if c.open_time % length:
            raise ValueError(f"{where}: open_time is not on a {timeframe} boundary")
        if c.open_time <= prev:
            raise ValueError(f"{where}: open_time is not after the previous candle's")
        if not c.closed and i != last:
            raise ValueError(f"{where}: closed=False is only allowed on the last candle")
        if not c.low <= min(c.open, c.close) <= max(c.open, c.close) <= c.high:
            raise ValueError(f"{where}: high/low do not bound open/close")
        if c.volume < 0 or c.quote_volume < 0 or c.trades < 0:
            raise ValueError(f"{where}: volume, quote_volume and trades must not be negative")
        prev = c.open_time
