"""The spread and imbalance of every watched book over time, for the full order book's history charts.

Sampled at a fixed cadence (`[book] sample_s`) rather than per depth diff: a book changes thousands of times a
minute and the chart shows minutes. Each symbol keeps a fixed-size ring (`[book] history` samples), so memory is
bounded. A sample reads the feed's own book (an out-of-sync book is skipped, never sampled half-built) and costs
what one depth-ladder repaint costs.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from typing import NamedTuple, Protocol

from cryptoterm.domain.orderbook import Level


class BookSample(NamedTuple):
    """One moment of a book: the spread in basis points of the mid, and the top-N imbalance (0..1)."""

    ts: int
    spread_bps: float
    imbalance: float


class SampledBook(Protocol):
    def top(self, n: int) -> tuple[list[Level], list[Level]]: ...

    @property
    def spread(self) -> float: ...

    @property
    def mid(self) -> float: ...


class BookSource(Protocol):
    def get(self, symbol: str) -> SampledBook | None: ...


#: Levels per side the imbalance samples (the depth ladder's default).
IMBALANCE_LEVELS = 10


class BookHistory:
    """Per-symbol rings of `BookSample`s."""

    def __init__(self, capacity: int = 900, levels: int = IMBALANCE_LEVELS) -> None:
        if capacity < 2:
            raise ValueError(f"book history must keep at least 2 samples, got {capacity}")
        self.capacity = capacity
        self.levels = levels
        self._rings: dict[str, deque[BookSample]] = {}
        self.samples_taken = 0

    def sample(self, books: BookSource, symbols: Iterable[str], ts: int) -> int:
        """Sample every synced book of `symbols` at `ts`; returns how many were sampled."""
        taken = 0
        for symbol in symbols:
            book = books.get(symbol)
            if book is None:
                continue
            mid = book.mid
            if not math.isfinite(mid) or mid <= 0:
                continue
            bids, asks = book.top(self.levels)
            bid_qty = sum(q for _, q in bids)
            total = bid_qty + sum(q for _, q in asks)
            imbalance = bid_qty / total if total else float("nan")
            ring = self._rings.get(symbol)
            if ring is None:
                ring = self._rings[symbol] = deque(maxlen=self.capacity)
            if ring and ring[-1].ts >= ts:
                continue  # the market clock did not move (a paused replay): nothing new to record
            ring.append(BookSample(ts, book.spread / mid * 10_000.0, imbalance))
            taken += 1
        self.samples_taken += taken
        return taken

    def series(self, symbol: str) -> list[BookSample]:
        """`symbol`'s samples, oldest first."""
        return list(self._rings.get(symbol, ()))

    def clear(self) -> None:
        self._rings.clear()
