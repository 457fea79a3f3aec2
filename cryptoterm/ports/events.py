"""Market anomaly events as the store keeps them (`events`) and the screens and exports read them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptoterm.domain.anomaly import AnomalyEvent


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An anomaly event with where it was seen (exchange, timeframe) and its row id."""

    id: int
    exchange: str
    timeframe: str
    event: AnomalyEvent


class EventStore(Protocol):
    def record_events(self, exchange: str, timeframe: str, events: Sequence[AnomalyEvent]) -> None:
        """Store events (a bar already stored is not stored twice); may return before they are written."""
        ...

    def events(
        self, limit: int = 200, *, since_ms: int | None = None, until_ms: int | None = None
    ) -> list[StoredEvent]:
        """Stored events, newest first."""
        ...
