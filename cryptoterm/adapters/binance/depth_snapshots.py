"""REST order-book snapshots for the feed's books, fetched when a book asks for one.

Binance's diff-depth procedure needs a REST snapshot to start a book and again after any break in the chain of
diffs. The book itself lives in the market feed (`services/order_books.py`): one book per symbol, the one the
screens read; the stream keeps no copy and applies no diff. When the feed's book needs a snapshot (start, a gap,
a reconnect, a snapshot too old to join the diffs) the feed calls the stream's `request_resync(symbol)` (the
optional `DepthResync` port) and this module fetches one and emits it as a `DepthSnapshot` event, in order with
the diffs; the book then decides whether it joins them ("synced") or is too old ("stale": it asks again).

Why the feed calls back instead of the stream following the update-id chain (U / u / pu) to decide for itself:
whether a snapshot joins the diffs depends on everything the book holds (spot or USDⓈ-M chaining, the buffered
diffs, a hole among them). Deciding it in the adapter too meant the same rules twice, and two copies of them is
how the USDⓈ-M books once fell out of sync. Now the domain `OrderBook` is the only place that knows them.

* One fetch per symbol at a time: requests made while a fetch is under way are merged into it.
* A failed fetch is retried with backoff for as long as the symbol stays subscribed.
* A request that comes back soon after a snapshot was delivered (the book found it stale) waits a growing
  backoff first, so a REST endpoint that lags the stream is not hammered (Binance weighs a 1000-level depth call
  at 50 of the 6000 a minute allows).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from cryptoterm.adapters.errors import redact
from cryptoterm.domain.market import DepthSnapshot
from cryptoterm.domain.resilience import Backoff

log = logging.getLogger(__name__)

FetchDepth = Callable[[str], Awaitable[DepthSnapshot]]

#: A request within this many seconds of the previous delivery for the symbol waits a backoff first.
_QUIET_S = 5.0


class DepthSnapshots:
    """Fetches on request (see the module docstring). `emit` receives each snapshot; `failed` each error text."""

    def __init__(
        self,
        name: str,
        fetch: FetchDepth,
        emit: Callable[[DepthSnapshot], None],
        failed: Callable[[str], None],
        backoff_max_s: float,
        monotonic: Callable[[], float],
    ) -> None:
        self.name = name
        self._fetch = fetch
        self._emit = emit
        self._failed = failed
        self._backoff_max_s = max(0.05, backoff_max_s)
        self._monotonic = monotonic
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._delivered_at: dict[str, float] = {}
        self._backoffs: dict[str, Backoff] = {}
        #: Snapshots fetched and emitted.
        self.fetched = 0

    def request(self, symbol: str) -> None:
        """Fetch a snapshot of `symbol` soon (merged into a fetch already under way)."""
        task = self._tasks.get(symbol)
        if task is not None and not task.done():
            return
        self._tasks[symbol] = asyncio.get_running_loop().create_task(
            self._run(symbol), name=f"{self.name}: depth snapshot {symbol}"
        )

    def in_flight(self) -> int:
        return sum(1 for t in self._tasks.values() if not t.done())

    def cancel(self, symbol: str) -> None:
        """Forget `symbol` (unsubscribed): its fetch stops, its backoff starts over next time."""
        task = self._tasks.pop(symbol, None)
        if task is not None:
            task.cancel()
        self._delivered_at.pop(symbol, None)
        self._backoffs.pop(symbol, None)

    def tasks(self) -> list[asyncio.Task[None]]:
        return list(self._tasks.values())

    async def _run(self, symbol: str) -> None:
        backoff = self._backoffs.setdefault(symbol, Backoff(0.05, self._backoff_max_s))
        delivered = self._delivered_at.get(symbol)
        if delivered is not None and self._monotonic() - delivered < _QUIET_S:
            await asyncio.sleep(backoff.next_delay())  # asked again right away: the last one was stale
        else:
            backoff.reset()
        failures = Backoff(0.05, self._backoff_max_s)
        while True:
            try:
                snapshot = await self._fetch(symbol)
            except Exception as exc:
                self._failed(f"depth snapshot for {symbol} failed: {redact(str(exc)) or type(exc).__name__}")
                await asyncio.sleep(failures.next_delay())
                continue
            break
        self.fetched += 1
        self._delivered_at[symbol] = self._monotonic()
        self._emit(snapshot)
