"""The bounded hand-off from a live stream's readers to its one consumer (the market feed).

A reader must never wait for the consumer in the common case, and a consumer that stalls or dies must never make
memory grow without bound (a stalled consumer once grew a stream's queue by 185 MB in 3 s). The policy:

* **Live snapshots are coalesced, newest wins.** A `BookTop`, `TickerStats`, `MarkPrice` or `DepthSnapshot`
  replaces the queued one of the same kind and symbol, in place: a screen only ever shows the latest, and a book
  loads the newest snapshot as well as an older one. Each replacement is counted in `coalesced`. A gap marker
  (`Reconnected`) ends the coalescing window, so no snapshot taken after a reconnect is moved before its marker.
* **Everything else is kept, in order** — trades, klines, depth diffs, gap markers: losing one would make a bar
  or a book wrong. When `max_events` of them are queued, `wait_for_room()` holds the reader until the consumer
  takes a batch: the reader stops reading its socket, the exchange's data waits in TCP buffers, and if that
  lasts long enough for the connection to drop, the normal reconnect path (gap marker, REST backfill) fills the
  hole. Nothing is dropped here. Waits are counted in `waits`.
* **The consumer is watched.** The task that takes batches is remembered; if it ends with an exception or is
  cancelled while the queue is open, `on_consumer_gone` is called and the stream stops instead of filling a queue
  nobody reads. (A consumer that returns normally has chosen to stop; whoever runs it closes the stream.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

from cryptoterm.domain.market import BookTop, DepthSnapshot, MarketEvent, MarkPrice, Reconnected, TickerStats

#: Kept (non-coalesced) events a queue holds before readers wait. A trade is ~100 bytes, a real BTCUSDT depth diff
#: ~3.5 kB, so the bound is 2 MB (trades) to 70 MB (only diffs) at worst; 20 symbols' trades and diffs take a
#: minute or more to fill it, far longer than any pause of a consumer that is alive.
DEFAULT_MAX_EVENTS = 20_000

_SNAPSHOT_KINDS = frozenset({BookTop, TickerStats, DepthSnapshot, MarkPrice})

ConsumerGone = Callable[[str], None]


class EventQueue:
    """See the module docstring. One consumer (`get`), any number of readers (`put` / `wait_for_room`)."""

    def __init__(self, max_events: int = DEFAULT_MAX_EVENTS, on_consumer_gone: ConsumerGone | None = None) -> None:
        if max_events < 1:
            raise ValueError(f"max_events must be >= 1, got {max_events}")
        self.max_events = max_events
        self._on_consumer_gone = on_consumer_gone
        self._events: list[MarketEvent] = []
        #: (kind, symbol) → index in `_events` of the queued snapshot a newer one replaces.
        self._slots: dict[tuple[type, str], int] = {}
        self._kept = 0
        self._ready = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._closed = False
        self._consumer: asyncio.Task[object] | None = None
        #: Snapshots replaced by newer ones before the consumer took them.
        self.coalesced = 0
        #: Times a reader had to wait for the consumer.
        self.waits = 0
        #: Most events ever queued at once.
        self.high_water = 0

    def __len__(self) -> int:
        """Events queued now (kept ones plus one per coalesced snapshot slot)."""
        return len(self._events)

    @property
    def full(self) -> bool:
        """True while readers should `wait_for_room()` before putting more."""
        return self._kept >= self.max_events and not self._closed

    @property
    def closed(self) -> bool:
        return self._closed

    def put(self, events: Iterable[MarketEvent]) -> None:
        """Queue events (never waits: readers call `wait_for_room()` first when `full`)."""
        if self._closed:
            return
        queued = self._events
        slots = self._slots
        for event in events:
            kind = type(event)
            if kind in _SNAPSHOT_KINDS:
                key = (kind, event.symbol)  # type: ignore[union-attr]
                index = slots.get(key)
                if index is not None:
                    queued[index] = event
                    self.coalesced += 1
                    continue
                slots[key] = len(queued)
            else:
                self._kept += 1
                if kind is Reconnected:
                    slots.clear()
            queued.append(event)
        if len(queued) > self.high_water:
            self.high_water = len(queued)
        if queued:
            self._ready.set()

    async def wait_for_room(self) -> None:
        """Return once fewer than `max_events` kept events are queued (or the queue is closed)."""
        while self.full:
            self.waits += 1
            self._room.clear()
            await self._room.wait()

    async def get(self) -> list[MarketEvent] | None:
        """Everything queued, in order, once there is something; None once closed and drained."""
        self._watch_consumer()
        while not self._events:
            if self._closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        batch = self._events
        self._events = []
        self._slots.clear()
        self._kept = 0
        self._room.set()
        return batch

    def close(self) -> None:
        """No more events: `get()` returns what is queued, then None; waiting readers are released."""
        self._closed = True
        self._ready.set()
        self._room.set()

    def _watch_consumer(self) -> None:
        task = asyncio.current_task()
        if task is None or task is self._consumer:
            return
        self._consumer = task
        task.add_done_callback(self._consumer_done)

    def _consumer_done(self, task: asyncio.Task[object]) -> None:
        if self._closed or task is not self._consumer or self._on_consumer_gone is None:
            return
        if task.cancelled():
            self._on_consumer_gone("its consumer was cancelled")
            return
        error = task.exception()
        if error is not None:
            self._on_consumer_gone(f"its consumer failed: {type(error).__name__}: {error}")
