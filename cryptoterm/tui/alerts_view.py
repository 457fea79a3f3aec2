"""What the alert feed and the alerts screen use of the engine's alert engine and anomaly monitor, as protocols
(`services.alert_engine.AlertEngine` and `services.anomaly_monitor.AnomalyMonitor` satisfy them), the message that
tells screens something changed, and the feed's rows: alert firings and market events merged, newest first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from textual.message import Message

if TYPE_CHECKING:  # types only: the feed is drawn before the engine's stack is imported
    from cryptoterm.domain.alerts import AlertRule, RuleFields
    from cryptoterm.domain.anomaly import AnomalyEvent
    from cryptoterm.ports.alerts import AlertEvent
    from cryptoterm.services.alert_engine import RuleStatus


class AlertsView(Protocol):
    """The alert engine as screens use it (management calls block on the store: run them in a worker)."""

    def recent(self) -> list[AlertEvent]: ...

    def statuses(self) -> list[RuleStatus]: ...

    def on_event(self, listener: Callable[[AlertEvent], None]) -> None: ...

    def on_rules_changed(self, listener: Callable[[list[RuleStatus]], None]) -> None: ...

    def add_rule(self, fields: RuleFields) -> AlertRule: ...

    def remove_rule(self, name: str) -> bool: ...

    def set_enabled(self, name: str, enabled: bool) -> AlertRule: ...

    def test_fire(self, name: str) -> None: ...

    def mark_read(self, event_ids: Sequence[int]) -> None: ...


class AnomaliesView(Protocol):
    """The anomaly monitor as screens use it."""

    timeframe: str

    def recent(self) -> list[AnomalyEvent]: ...

    def attention(self) -> dict[str, float]: ...

    def on_events(self, listener: Callable[[list[AnomalyEvent]], None]) -> None: ...


class AlertsChanged(Message, bubble=False):
    """An alert fired, a delivery moved on, or market events came in: the feed re-reads. Only the newest matters."""

    def __init__(self, fired: bool = False) -> None:
        super().__init__()
        #: A new firing (not only a delivery update): the bell may ring.
        self.fired = fired

    def can_replace(self, message: Message) -> bool:
        # Textual asks the queued (older) message whether `message`, queued after it, may take its place: a
        # newer one may, unless it would drop this one's news of a firing.
        return isinstance(message, AlertsChanged) and (message.fired or not self.fired)


FeedKind = Literal["alert", "event"]


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One row of the alert feed: a firing (with its delivery) or a market event."""

    key: str
    kind: FeedKind
    ts: int
    symbol: str
    text: str
    status: str
    severity: str
    unread: bool
    alert: AlertEvent | None = None
    event: AnomalyEvent | None = None


_STATUS = {"delivered": "✓ sent", "failed": "✗ failed", "pending": "… sending", "no_channel": "— kept"}


def delivery_text(event: AlertEvent) -> str:
    """`✓ sent` / `✗ failed ×3` (attempts) / `… retry 2` / `— kept` (no channel) — a delivery in a few columns."""
    if event.status == "pending" and event.attempts:
        return f"… retry {event.attempts + 1}"
    text = _STATUS.get(event.status, event.status)
    if event.attempts > 1 and event.status in ("delivered", "failed"):
        text += f" ×{event.attempts}"
    return text


def feed_items(alerts: Sequence[AlertEvent], events: Sequence[AnomalyEvent], limit: int = 200) -> list[FeedItem]:
    """Firings and market events, newest first (a firing before an event of the same moment)."""
    items = [
        FeedItem(
            key=f"a{a.id}",
            kind="alert",
            ts=a.firing.ts,
            symbol=a.firing.symbol,
            text=("test · " if a.firing.test else "") + a.firing.message,
            status=delivery_text(a),
            severity="alert",
            unread=not a.read,
            alert=a,
        )
        for a in alerts
    ]
    items += [
        FeedItem(
            key=f"e{e.ts}-{e.scope}-{e.symbol}-{e.kind}-{e.direction}",
            kind="event",
            ts=e.ts,
            symbol=e.symbol,
            text=e.describe(),
            status="",
            severity=e.severity,
            unread=False,
            event=e,
        )
        for e in events
    ]
    items.sort(key=lambda item: (item.ts, item.kind == "alert"), reverse=True)
    seen: set[str] = set()
    unique = [i for i in items if not (i.key in seen or seen.add(i.key))]  # type: ignore[func-returns-value]
    return unique[:limit]
