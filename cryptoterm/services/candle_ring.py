"""The feed's in-memory candle history of one series, kept as columns instead of `Candle` tuples.

Charts, the scanner and tickers read the newest bars of every watched symbol on every timeframe from memory; with
twenty symbols and six timeframes that is over a hundred thousand bars. As `Candle` tuples (a tuple and six boxed
floats and two ints each) they took about 320 bytes a bar, some 40 MB; as flat columns they take 65. Reads
rebuild `Candle`s for the bars asked for — a chart's width, a strategy's depth — which costs well under a
millisecond per read, at screen or scan rate.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator

from cryptoterm.domain.market import Candle


class CandleRing:
    """The newest `capacity` candles of a series, oldest first, written round and round."""

    __slots__ = (
        "_close",
        "_closed",
        "_high",
        "_low",
        "_open",
        "_quote",
        "_times",
        "_trades",
        "_volume",
        "capacity",
        "count",
        "head",
    )

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"candle history must keep at least 1 bar, got {capacity}")
        self.capacity = capacity
        zeros = bytes(8 * capacity)
        self._times = array("q", zeros)
        self._open = array("d", zeros)
        self._high = array("d", zeros)
        self._low = array("d", zeros)
        self._close = array("d", zeros)
        self._volume = array("d", zeros)
        self._quote = array("d", zeros)
        self._trades = array("q", zeros)
        self._closed = bytearray(capacity)
        #: Where the next bar goes, and how many are kept.
        self.head = 0
        self.count = 0

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0

    def append(self, candle: Candle) -> None:
        i = self.head
        self._times[i] = candle.open_time
        self._open[i] = candle.open
        self._high[i] = candle.high
        self._low[i] = candle.low
        self._close[i] = candle.close
        self._volume[i] = candle.volume
        self._quote[i] = candle.quote_volume
        self._trades[i] = candle.trades
        self._closed[i] = candle.closed
        self.head = i + 1 if i + 1 < self.capacity else 0
        if self.count < self.capacity:
            self.count += 1

    def extend(self, candles: Iterable[Candle]) -> None:
        for candle in candles:
            self.append(candle)

    def clear(self) -> None:
        self.head = self.count = 0

    def _candle(self, i: int) -> Candle:
        return Candle(
            self._times[i],
            self._open[i],
            self._high[i],
            self._low[i],
            self._close[i],
            self._volume[i],
            self._quote[i],
            self._trades[i],
            bool(self._closed[i]),
        )

    def newest(self, limit: int) -> list[Candle]:
        """The newest `limit` bars (all when `limit` is at least the count), oldest first."""
        n = min(max(limit, 0), self.count)
        start = (self.head - n) % self.capacity
        return [self._candle((start + k) % self.capacity) for k in range(n)]

    def last(self) -> Candle:
        """The newest bar (IndexError when empty, as a deque's [-1])."""
        if not self.count:
            raise IndexError("no candles kept")
        return self._candle((self.head - 1) % self.capacity)

    def last_open_time(self) -> int:
        if not self.count:
            raise IndexError("no candles kept")
        return int(self._times[(self.head - 1) % self.capacity])

    def __iter__(self) -> Iterator[Candle]:
        return iter(self.newest(self.count))
