"""What the Binance and ccxt.pro streams share: the counters behind `health()`, the bounded event queue behind
`batches()`, logging bad messages once per kind, trade de-duplication, and the stop of their tasks on `close()`.

One place for these, so the two `MarketStream`s report the same figures the same way (the health screen shows
them side by side) and cannot drift apart in how they end: `close()` cancels and awaits every task, ends
`batches()`, and a consumer that died takes the stream down with it (see `adapters/event_queue.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable

from cryptoterm.adapters.event_queue import EventQueue
from cryptoterm.adapters.trade_dedup import TradeDeduper
from cryptoterm.domain.market import MarketEvent
from cryptoterm.ports.market import BreakerState, ConnectionState, StreamHealth

log = logging.getLogger(__name__)


class LiveStream:
    """Base of the live exchange streams. Subclasses start their tasks in `_start()`, describe themselves in
    `_detail()`, report their breaker in `_breaker_state()`, and end `close()` with `_finish_close()`."""

    def __init__(self, name: str, *, max_queued_events: int) -> None:
        self.name = name
        self._state: ConnectionState = "disconnected"
        self._closed = False
        self.messages = 0
        self.errors = 0
        self.reconnects = 0
        #: Connections dropped because they went silent (see `adapters/stall_watchdog.py`).
        self.stalls = 0
        self._last_message_ms = 0
        self._lag_ms = float("nan")
        self._dedup = TradeDeduper(name)
        self._queue = EventQueue(max_queued_events, on_consumer_gone=self._consumer_gone)
        self._logged_kinds: set[str] = set()
        self._closing: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ for subclasses to fill in

    def _start(self) -> None:
        raise NotImplementedError

    def _breaker_state(self) -> BreakerState:
        raise NotImplementedError

    def _detail(self) -> str:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ MarketStream

    async def batches(self) -> AsyncIterator[list[MarketEvent]]:
        """Events in arrival order, everything queued since the previous batch in one list."""
        self._start()
        while (batch := await self._queue.get()) is not None:
            yield batch

    def health(self) -> list[StreamHealth]:
        queue = self._queue
        detail = self._detail()
        if self._dedup.duplicates:
            detail += f", {self._dedup.duplicates} duplicate trades dropped"
        if self._dedup.rebased:
            detail += f", trade-id watermark corrected {self._dedup.rebased}×"
        if queue.waits:
            detail += f", waited {queue.waits}× for the consumer"
        return [
            StreamHealth(
                name=self.name,
                state=self._state,
                messages=self.messages,
                reconnects=self.reconnects,
                errors=self.errors,
                last_message_ms=self._last_message_ms,
                last_event_lag_ms=self._lag_ms,
                breaker=self._breaker_state(),
                detail=detail,
                stalls=self.stalls,
                coalesced=queue.coalesced,
            )
        ]

    @property
    def queued_events(self) -> int:
        """Events waiting for the consumer now (bounded: see `adapters/event_queue.py`)."""
        return len(self._queue)

    @property
    def duplicates(self) -> int:
        """Trades dropped because the exchange sent them twice."""
        return self._dedup.duplicates

    # ------------------------------------------------------------------ shared helpers

    def _bad_message(self, kind: str, text: str) -> None:
        """Count a message that was skipped; log the first of each kind only (a broken feed must not flood)."""
        self.errors += 1
        if kind in self._logged_kinds:
            return
        self._logged_kinds.add(kind)
        log.warning("%s: skipped a message: %s (more of this kind are counted in health, not logged)", self.name, text)

    def _new_trades(self, trades: Iterable[MarketEvent]) -> list[MarketEvent]:
        """`trades` without the ones sent twice (see `adapters/trade_dedup.py`)."""
        is_new = self._dedup.is_new
        return [t for t in trades if is_new(t)]  # type: ignore[arg-type]

    def _consumer_gone(self, why: str) -> None:
        if self._closed or self._closing is not None:
            return
        log.error("%s: %s; the stream stops", self.name, why)
        self._closing = asyncio.get_running_loop().create_task(self.close(), name=f"{self.name}: close")

    @staticmethod
    async def _stop_tasks(tasks: Iterable[asyncio.Task[None] | None]) -> None:
        """Cancel `tasks` and wait for each to end (their errors were reported where they happened)."""
        running = [t for t in tasks if t is not None and t is not asyncio.current_task()]
        for task in running:
            task.cancel()
        for task in running:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _finish_close(self) -> None:
        """The last step of `close()`: state "closed", `batches()` ends once the queue is drained."""
        self._state = "closed"
        self._queue.close()
