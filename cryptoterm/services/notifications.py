"""What setups say when they notify: message templates, event filtering, redaction and a thread-safe outbox.

The scanner and the setup tracker run in worker threads (the TUI) or in a plain script (`--scan-once`), while
delivery is async (apprise). They therefore never send: they `emit` finished messages into a
`NotificationOutbox`, which filters them by `[notify].events` and either delivers them on the event loop it is
bound to (the TUI binds it once at startup) or keeps them until someone awaits `drain()` (`--scan-once`).

Every text passes through redaction before it is queued: error messages can carry exchange URLs with keys or
signatures in them (ccxt puts the full request URL into its exceptions).
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from cryptoterm.domain.redaction import redact, redact_url
from cryptoterm.domain.setups import Setup, Transition
from cryptoterm.ports.notify import Notifier

__all__ = [
    "EVENTS",
    "NotificationEvent",
    "NotificationOutbox",
    "error_message",
    "format_price",
    "redact_url",
    "setup_message",
    "transition_message",
]

log = logging.getLogger(__name__)

#: Every event a setup or a scan can emit; `[notify].events` picks from these.
EVENTS: Final = ("new", "active", "triggered", "closed", "expired", "invalidated", "error")

_ARROW: Final = {"long": "▲", "short": "▼"}
_LABEL: Final = {
    "active": "in entry zone",
    "triggered": "entry hit",
    "closed_target": "target hit",
    "closed_stop": "stopped out",
    "closed_exit": "exit conditions met",
    "expired": "expired",
    "invalidated": "invalidated",
}


@dataclass(frozen=True, slots=True)
class NotificationEvent:
    """One message ready to deliver: `event` selects channels (apprise tags), title and body are final."""

    event: str
    title: str
    body: str


def format_price(value: float | None) -> str:
    """Prices at a precision that suits their size: 27,123.45 · 1.2345 · 0.00012345."""
    if value is None or not math.isfinite(value):
        return "—"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.2f}"
    if magnitude >= 1:
        return f"{value:.4f}"
    return f"{value:.8g}"


def _utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def setup_title(setup: Setup, label: str = "") -> str:
    """ "▲ LONG BTC/USDT — rsi-pullback", with " · entry hit" etc. for later events."""
    title = f"{_ARROW.get(setup.direction, '•')} {setup.direction.upper()} {setup.symbol} — {setup.strategy}"
    return f"{title} · {label}" if label else title


def _levels_body(setup: Setup) -> list[str]:
    targets = ", ".join(format_price(t) for t in setup.targets)
    zone = f"{format_price(setup.zone_low)} – {format_price(setup.zone_high)}"
    return [
        f"Entry    {format_price(setup.entry)}  (zone {zone})",
        f"Stop     {format_price(setup.stop)}",
        f"Targets  {targets}",
        f"R:R      {setup.rr:.2f}",
        f"Size     {setup.size:.6g}  (risk {setup.risk:,.2f})",
        f"Bar      {_utc(setup.bar_time)} ({setup.timeframe})",
    ]


def setup_message(setup: Setup) -> NotificationEvent:
    """The "new" message: levels, R:R, size and the signal bar's time, then the conditions that fired."""
    lines = _levels_body(setup)
    if setup.conditions:
        lines.append("")
        lines.extend(
            f"{'✓' if c.passed else '✗'} {c.text}" + (f"  [{c.values}]" if c.values else "") for c in setup.conditions
        )
    return NotificationEvent("new", setup_title(setup), "\n".join(lines))


def transition_message(setup: Setup, transition: Transition) -> NotificationEvent:
    """A lifecycle message: what happened, at what price and when, then the levels for reference."""
    label = _LABEL.get(transition.to_state, transition.to_state)
    if transition.to_state in ("closed_target", "closed_stop", "closed_exit") and setup.r_multiple is not None:
        label = f"{label} {setup.r_multiple:+.2f}R"
    lines = [
        f"{label.capitalize()} at {format_price(transition.price)} — {transition.note}",
        f"Time     {_utc(transition.ts)}",
        "",
        *_levels_body(setup),
    ]
    return NotificationEvent(transition.event, setup_title(setup, label), "\n".join(lines))


def error_message(origin: str, errors: Sequence[dict[str, str]], secrets: Sequence[str] = ()) -> NotificationEvent:
    """One message for all the per-symbol errors of a scan (at most 20 lines, then a count)."""
    shown = [f"{e.get('strategy', '?')} {e.get('symbol', '?')}: {e.get('error', '')}" for e in errors[:20]]
    if len(errors) > 20:
        shown.append(f"… and {len(errors) - 20} more")
    body = redact("\n".join(shown), tuple(secrets))
    count = len(errors)
    return NotificationEvent("error", f"⚠ {origin} scan: {count} error{'s' if count != 1 else ''}", body)


class NotificationOutbox:
    """Collects messages from any thread and delivers them through a `Notifier`, in order, one at a time.

    `events` is the enabled set (`[notify].events`); others are dropped at `emit`. With a bound loop delivery
    starts by itself; otherwise `await drain()` delivers what is queued. A `None` notifier only keeps a record
    of what would have been sent (`sent`), which `--scan-once` without URLs and tests use.
    """

    def __init__(
        self, notifier: Notifier | None, events: Iterable[str] = EVENTS, *, secrets: Sequence[str] = ()
    ) -> None:
        self._notifier = notifier
        self._events = frozenset(events)
        self._secrets = tuple(secrets)
        self._queue: deque[NotificationEvent] = deque()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[list[bool]] | None = None
        self.sent: list[tuple[NotificationEvent, bool]] = []

    def wants(self, event: str) -> bool:
        return event in self._events

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Deliver automatically on `loop` from now on (call from the loop's thread at startup)."""
        self._loop = loop

    def emit(self, message: NotificationEvent) -> bool:
        """Queue a message if its event is enabled; thread-safe. Returns whether it was queued."""
        if message.event not in self._events:
            return False
        clean = NotificationEvent(
            message.event, redact(message.title, self._secrets), redact(message.body, self._secrets)
        )
        with self._lock:
            self._queue.append(clean)
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._kick)
        return True

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def _kick(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self.drain())

    async def flush(self) -> list[bool]:
        """Wait for the delivery under way (bound mode), then deliver what is still queued: a process about to
        exit calls this so nothing emitted is lost. Returns the results of the deliveries it made itself."""
        task = self._task
        if task is not None and not task.done():
            await asyncio.shield(task)
        return await self.drain()

    async def drain(self) -> list[bool]:
        """Deliver everything queued, oldest first; returns each delivery's result. Never raises."""
        results: list[bool] = []
        while True:
            with self._lock:
                if not self._queue:
                    return results
                message = self._queue.popleft()
            ok = False
            if self._notifier is not None:
                try:
                    ok = await self._notifier.send(message.event, message.title, message.body)
                except Exception:
                    log.exception("notification %r could not be delivered", message.event)
            self.sent.append((message, ok))
            results.append(ok)
