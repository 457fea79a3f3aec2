"""Outgoing notifications (apprise in production, a recorder in tests) and the record of every attempt."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Notifier(Protocol):
    """Delivers a message to every configured channel whose tags match `event`."""

    async def send(self, event: str, title: str, body: str) -> bool: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class NotificationAttempt:
    """One delivery attempt to one channel, as recorded in the `notifications` table (already redacted)."""

    ts: int
    event: str
    title: str
    body: str
    delivered: bool
    attempts: int
    error: str


class NotificationLog(Protocol):
    """Where delivery attempts are recorded."""

    def record_notification(self, attempt: NotificationAttempt) -> None: ...

    def notifications(self, limit: int = 100) -> list[NotificationAttempt]: ...
