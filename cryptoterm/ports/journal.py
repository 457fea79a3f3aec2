"""Where journal entries are kept (`adapters.store`: the `journal` table)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from cryptoterm.domain.journal.entries import JournalEntry


class JournalStore(Protocol):
    def add_entry(self, entry: JournalEntry) -> JournalEntry:
        """Store a new entry (waits for the commit); returns it with its id."""
        ...

    def update_entry(self, entry: JournalEntry) -> JournalEntry:
        """Replace the stored entry of `entry.id` (waits); `KeyError` for an unknown id."""
        ...

    def get_entry(self, entry_id: int) -> JournalEntry | None: ...

    def entries(
        self,
        *,
        strategies: Sequence[str] = (),
        tag: str | None = None,
        symbol: str | None = None,
        since_ms: int | None = None,
        limit: int = 10_000,
    ) -> list[JournalEntry]:
        """Oldest first (the newest `limit`); `strategies`: entries of any of them (all when empty)."""
        ...
