"""What happens to a firing: stored, delivered to its channels, every attempt recorded, the feed told.

Checks run on the event loop (trades) and in a worker thread (bar closes), so they never send: they `submit` a
finished `AlertFiring`, and one task on the event loop takes firings in order, writes each (`alert_events`, and
the rule's new state in the same transaction), delivers it through the channels (apprise: retries with backoff,
each attempt written to `alert_deliveries`) and tells the listeners — the dashboard's feed — about every change
of its status. `drain()` waits until everything submitted so far is stored and delivered (a headless run at the
end of a replay, a shutdown), so a firing is never lost to a fast exit.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace

from cryptoterm.domain.redaction import redact
from cryptoterm.ports.alerts import AlertChannels, AlertEvent, AlertFiring, AlertStore, DeliveryAttempt

log = logging.getLogger(__name__)

EventListener = Callable[[AlertEvent], None]


class AlertDelivery:
    """The ordered store-then-deliver queue of firings, and the newest events for the feed."""

    def __init__(
        self,
        store: AlertStore,
        channels: AlertChannels | None,
        *,
        keep: int = 200,
        secrets: Sequence[str] = (),
    ) -> None:
        self._store = store
        self._channels = channels
        self._secrets = tuple(s for s in secrets if s)
        self._queue: deque[AlertFiring] = deque()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self._listeners: list[EventListener] = []
        self._recent: deque[AlertEvent] = deque(maxlen=keep)
        self.delivered = 0
        self.failed = 0

    @property
    def has_channels(self) -> bool:
        return self._channels is not None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Deliver on `loop` from now on (call on the loop's thread)."""
        self._loop = loop
        self._idle = asyncio.Event()
        self._idle.set()

    def on_event(self, listener: EventListener) -> None:
        """Called on the event loop with every new event and every change of its delivery status."""
        self._listeners.append(listener)

    def load_recent(self, events: Sequence[AlertEvent]) -> None:
        """Seed the feed with stored events (newest first), so a restart shows what fired before."""
        with self._lock:
            for event in reversed(events):
                self._recent.append(event)

    def recent(self) -> list[AlertEvent]:
        """The newest events first."""
        with self._lock:
            return list(reversed(self._recent))

    def submit(self, firing: AlertFiring) -> None:
        """Queue a firing (any thread). Without a bound loop it waits for `drain()`."""
        clean = replace(
            firing, title=redact(firing.title, self._secrets), message=redact(firing.message, self._secrets)
        )
        with self._lock:
            self._queue.append(clean)
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._kick)

    def _kick(self) -> None:
        if self._task is None or self._task.done():
            self._idle.clear()
            self._task = asyncio.ensure_future(self._run())

    async def drain(self) -> None:
        """Store and deliver everything submitted so far (waits for a delivery under way)."""
        task = self._task
        if task is not None and not task.done():
            await asyncio.shield(task)
        await self._run()

    async def _run(self) -> None:
        try:
            while True:
                with self._lock:
                    if not self._queue:
                        return
                    firing = self._queue.popleft()
                try:
                    await self._handle(firing)
                except Exception:
                    log.exception("alert %r could not be stored or delivered", firing.rule_name)
        finally:
            self._idle.set()

    async def _handle(self, firing: AlertFiring) -> None:
        event_id = await asyncio.to_thread(self._store.record_firing, firing)
        event = AlertEvent(event_id, firing, "pending" if self._channels is not None else "no_channel", 0)
        self._publish(event)
        if self._channels is None:
            self._store.finish_event(event_id, "no_channel", 0, "")
            return
        attempts: list[DeliveryAttempt] = []

        def on_attempt(attempt: DeliveryAttempt) -> None:
            attempts.append(attempt)
            self._store.record_delivery(event_id, attempt)
            self._publish(replace(event, attempts=len(attempts), deliveries=tuple(attempts), error=attempt.error))

        status = await self._channels.send_alert(firing.tags, firing.title, firing.message, on_attempt)
        errors = [a.error for a in attempts if not a.delivered and a.error]
        error = errors[-1] if status == "failed" and errors else ""
        if status == "delivered":
            self.delivered += 1
        elif status == "failed":
            self.failed += 1
            log.warning("alert %s: delivery failed after %d attempt(s): %s", firing.rule_name, len(attempts), error)
        self._store.finish_event(event_id, status, len(attempts), error)
        self._publish(replace(event, status=status, attempts=len(attempts), deliveries=tuple(attempts), error=error))

    def _publish(self, event: AlertEvent) -> None:
        with self._lock:
            for index, known in enumerate(self._recent):
                if known.id == event.id:
                    self._recent[index] = event
                    break
            else:
                self._recent.append(event)
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:
                log.exception("alert event listener failed")

    def mark_read(self, event_ids: Sequence[int]) -> None:
        """Mark events read (the feed's unread count), in memory and in the store."""
        wanted = set(event_ids)
        with self._lock:
            for index, known in enumerate(self._recent):
                if known.id in wanted and not known.read:
                    self._recent[index] = replace(known, read=True)
        self._store.mark_read(sorted(wanted))

    def close(self) -> None:
        if self._channels is not None:
            self._channels.close()
