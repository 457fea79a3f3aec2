"""Outgoing notifications (apprise in production, a recorder in tests)."""

from __future__ import annotations

from typing import Protocol


class Notifier(Protocol):
    """Delivers a message to every configured channel whose tags match `event`."""

    async def send(self, event: str, title: str, body: str) -> bool: ...
