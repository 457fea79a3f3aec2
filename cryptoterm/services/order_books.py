"""Per-symbol order books kept in sync with the depth events of the market stream.

Every stream that carries depth also delivers the snapshots a book is rebuilt from: Binance's stream fetches a
REST snapshot whenever a book needs one (start, gap, reconnect) and emits it ahead of the diffs that follow,
and the simulated market emits its own. So the feed's books only apply events; a book out of sync is simply not
shown until the next snapshot arrives.
"""

from __future__ import annotations

from cryptoterm.domain.market import DepthSnapshot, DepthUpdate
from cryptoterm.domain.orderbook import OrderBook


class OrderBooks:
    """The books of every symbol that has sent depth events.

    Spot and USDⓈ-M diffs chain differently (consecutive ids vs `pu`); the diffs say which they are (only
    futures carry `pu`), so a book follows the rules of the events it receives, whatever the configured market.
    """

    def __init__(self) -> None:
        self._books: dict[str, OrderBook] = {}

    def get(self, symbol: str) -> OrderBook | None:
        """The book for `symbol` if it is in sync, else None (a half-built book must never be shown)."""
        book = self._books.get(symbol)
        return book if book is not None and not book.needs_snapshot else None

    def symbols(self) -> list[str]:
        return sorted(self._books)

    def apply(self, event: DepthSnapshot | DepthUpdate) -> None:
        book = self._books.get(event.symbol)
        if book is None:
            book = self._books[event.symbol] = OrderBook(event.symbol)
        if isinstance(event, DepthSnapshot):
            book.on_snapshot(event)
            return
        if event.prev_final_update_id >= 0 and not book.futures:
            # First futures diff: switch rules and rebuild from the next snapshot (nothing spot-chained is kept).
            if book.updates_applied:
                book.reset()
            book.futures = True
        book.on_update(event)

    def resync_all(self) -> None:
        """After a reconnect every book may have missed diffs: drop them all until fresh snapshots arrive."""
        for book in self._books.values():
            book.reset()
