"""Alert rules, their firings and deliveries as the alert engine, the CLI and the screens share them.

The store keeps every rule (those of the config under their name, so their history and state survive a
restart; those created in the TUI or with `cryptoterm alerts add` in full), every firing (`alert_events`) and
every delivery attempt of a firing (`alert_deliveries`). Channels deliver a firing to the apprise URLs its rule's
tags select and report each attempt as it happens.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from cryptoterm.domain.alerts import AlertRule, AlertState

DeliveryStatus = Literal["pending", "delivered", "failed", "no_channel"]


@dataclass(frozen=True, slots=True)
class StoredRule:
    """A rule with the state it keeps between runs (fired count, last firing)."""

    rule: AlertRule
    state: AlertState
    updated_ms: int = 0


@dataclass(frozen=True, slots=True)
class AlertFiring:
    """One firing of a rule, with the values that made it fire; `test` firings come from "test-fire"."""

    rule_name: str
    rule_id: int
    ts: int
    symbol: str
    kind: str
    title: str
    message: str
    price: float | None = None
    value: float | None = None
    values: Mapping[str, float] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    test: bool = False


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """One attempt to deliver a firing to one channel (its redacted URL)."""

    ts: int
    channel: str
    attempt: int
    delivered: bool
    error: str = ""


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """A stored firing with its delivery status and attempts, as the feed and `alerts list` show it."""

    id: int
    firing: AlertFiring
    status: DeliveryStatus
    attempts: int
    error: str = ""
    read: bool = False
    deliveries: tuple[DeliveryAttempt, ...] = ()


class AlertStore(Protocol):
    """Where rules, firings and delivery attempts live (the SQLite store in production)."""

    def sync_config_rules(self, rules: Sequence[AlertRule], now_ms: int) -> None:
        """Store the config's rules under their names; config rules no longer in the config are retired."""
        ...

    def rules(self) -> list[StoredRule]:
        """Every rule that is not retired (config and user), oldest first."""
        ...

    def save_rule(self, rule: AlertRule, now_ms: int) -> AlertRule:
        """Insert or update a user rule by name; returns it with its id. `ValueError` if a config rule has it."""
        ...

    def delete_rule(self, name: str) -> bool:
        """Remove a user rule (its firings stay, unlinked); False when there is none of that name."""
        ...

    def record_firing(self, firing: AlertFiring) -> int:
        """Store a firing (and, unless it is a test, the rule's new state); returns the event id."""
        ...

    def record_delivery(self, event_id: int, attempt: DeliveryAttempt) -> None:
        """Store one delivery attempt (may return before it is written)."""
        ...

    def finish_event(self, event_id: int, status: DeliveryStatus, attempts: int, error: str) -> None:
        """Store the final delivery status of a firing (may return before it is written)."""
        ...

    def events(self, limit: int = 200, *, since_ms: int | None = None, until_ms: int | None = None) -> list[AlertEvent]:
        """Stored firings, newest first, with their delivery attempts."""
        ...

    def mark_read(self, event_ids: Sequence[int]) -> None: ...


AttemptListener = Callable[[DeliveryAttempt], None]


class AlertChannels(Protocol):
    """Delivers a firing to the channels its rule's tags select; reports each attempt to `on_attempt`."""

    async def send_alert(
        self, tags: Sequence[str], title: str, body: str, on_attempt: AttemptListener
    ) -> DeliveryStatus: ...

    def close(self) -> None: ...
