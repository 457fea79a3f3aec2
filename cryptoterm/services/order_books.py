"""Per-symbol order books kept in sync with the depth events of the market stream: the one book per symbol.

The feed keeps the only book of each symbol (the depth ladder reads it); streams deliver snapshots and diffs and
apply none of them. A book says when it needs a snapshot — at the start, after a gap in the diffs, after a
reconnect, or when the snapshot it got was too old to join the diffs — and the books then call
`request_snapshot(symbol)`: the feed passes that on to a stream that fetches snapshots on request (Binance, over
REST: the `DepthResync` port). Streams that emit snapshots on their own (the simulated market, replays of
recordings) need no request; their books wait for the next one. A book out of sync is never shown.

A request is made once when a book falls out of sync and again after each snapshot that did not sync it; the
stream merges requests for a symbol whose fetch is under way. As a safety net (a snapshot lost to an
unsubscribe racing a fetch) an unsynced book asks again every `REQUEST_AGAIN_AFTER` diffs.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptoterm.domain.market import DepthSnapshot, DepthUpdate
from cryptoterm.domain.orderbook import OrderBook

#: An unsynced book asks for a snapshot again after this many more diffs (≈ 100 s of @100ms diffs).
REQUEST_AGAIN_AFTER = 1000

RequestSnapshot = Callable[[str], None]


class OrderBooks:
    """The books of every symbol that has sent depth events.

    Spot and USDⓈ-M diffs chain differently (consecutive ids vs `pu`); the diffs say which they are (only
    futures carry `pu`), so a book follows the rules of the events it receives, whatever the configured market.
    """

    def __init__(self, request_snapshot: RequestSnapshot | None = None) -> None:
        self._books: dict[str, OrderBook] = {}
        self._request = request_snapshot
        #: symbol → diffs received since its snapshot was last requested (absent: not requested since in sync).
        self._requested: dict[str, int] = {}
        #: Snapshots asked for.
        self.requests = 0

    def get(self, symbol: str) -> OrderBook | None:
        """The book for `symbol` if it is in sync, else None (a half-built book must never be shown)."""
        book = self._books.get(symbol)
        return book if book is not None and not book.needs_snapshot else None

    def book(self, symbol: str) -> OrderBook | None:
        """The book for `symbol` in whatever state it is (for health figures and tests)."""
        return self._books.get(symbol)

    def symbols(self) -> list[str]:
        return sorted(self._books)

    def apply(self, event: DepthSnapshot | DepthUpdate) -> None:
        symbol = event.symbol
        book = self._books.get(symbol)
        if book is None:
            book = self._books[symbol] = OrderBook(symbol)
        if isinstance(event, DepthSnapshot):
            self._requested.pop(symbol, None)
            book.on_snapshot(event)  # "stale": still unsynced, asked again below
        else:
            if event.prev_final_update_id >= 0 and not book.futures:
                # First futures diff: switch rules and rebuild from the next snapshot (nothing spot-chained is kept).
                if book.updates_applied:
                    book.reset()
                book.futures = True
            if book.on_update(event):
                return
        if book.needs_snapshot and self._request is not None:
            waited = self._requested.get(symbol)
            if waited is None or waited >= REQUEST_AGAIN_AFTER:
                self._requested[symbol] = 0
                self.requests += 1
                self._request(symbol)
            else:
                self._requested[symbol] = waited + 1

    def resync_all(self) -> None:
        """After a reconnect every book may have missed diffs: drop them all until fresh snapshots arrive."""
        for book in self._books.values():
            book.reset()
        self._requested.clear()
