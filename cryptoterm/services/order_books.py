"""Per-symbol order books kept in sync with the depth stream, fetching REST snapshots when a book needs one.

The pure `OrderBook` says *whether* it needs a snapshot (at start, after a gap, after a reconnect); this service
does the asynchronous part: one snapshot request in flight per symbol, a stale snapshot retried, failures
logged and retried on the next diff rather than crashing the feed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from cryptoterm.domain.market import DepthSnapshot, DepthUpdate
from cryptoterm.domain.orderbook import OrderBook

log = logging.getLogger(__name__)

FetchDepth = Callable[[str], Awaitable[DepthSnapshot]]


class OrderBooks:
    """The books of every streamed symbol. `fetch_depth` is None where snapshots arrive in the stream (demo)."""

    def __init__(self, *, futures: bool = False, fetch_depth: FetchDepth | None = None) -> None:
        self._futures = futures
        self._fetch_depth = fetch_depth
        self._books: dict[str, OrderBook] = {}
        self._pending: dict[str, asyncio.Task[None]] = {}
        self.snapshots_fetched = 0
        self.fetch_failures = 0

    def get(self, symbol: str) -> OrderBook | None:
        """The book for `symbol` if it is in sync, else None (a half-built book must never be shown)."""
        book = self._books.get(symbol)
        return book if book is not None and not book.needs_snapshot else None

    def symbols(self) -> list[str]:
        return sorted(self._books)

    def apply(self, event: DepthSnapshot | DepthUpdate) -> None:
        book = self._books.get(event.symbol)
        if book is None:
            book = self._books[event.symbol] = OrderBook(event.symbol, futures=self._futures)
        if isinstance(event, DepthSnapshot):
            if book.on_snapshot(event) == "stale":
                self._request_snapshot(event.symbol)
            return
        book.on_update(event)
        if book.needs_snapshot:
            self._request_snapshot(event.symbol)

    def resync_all(self) -> None:
        """After a reconnect every book may have missed diffs: drop them all and resnapshot on the next diff."""
        for book in self._books.values():
            book.reset()

    def _request_snapshot(self, symbol: str) -> None:
        if self._fetch_depth is None or symbol in self._pending:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(self._load_snapshot(symbol), name=f"depth-snapshot-{symbol}")
        self._pending[symbol] = task
        task.add_done_callback(self._forget_pending)

    def _forget_pending(self, task: asyncio.Task[None]) -> None:
        for symbol, pending in list(self._pending.items()):
            if pending is task:
                del self._pending[symbol]

    async def _load_snapshot(self, symbol: str) -> None:
        assert self._fetch_depth is not None
        try:
            snapshot = await self._fetch_depth(symbol)
        except Exception as exc:
            self.fetch_failures += 1
            log.warning("order book snapshot for %s failed: %s (will retry on the next update)", symbol, exc)
            return
        self.snapshots_fetched += 1
        book = self._books[symbol]
        if book.on_snapshot(snapshot) == "stale":
            log.info("order book snapshot for %s was older than the stream; fetching again", symbol)
