"""A small pool of read-only connections, so UI, scanner threads and the CLI read while the writer writes.

In WAL mode each connection reads its own consistent snapshot and never blocks (or is blocked by) the writer.
A sqlite3 connection must not be used by two threads at once, so each borrower gets a connection of its own:
idle ones are reused, extra ones are opened on demand and closed when more than `max_idle` would sit idle.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from cryptoterm.adapters.store.database import StoreError, open_database


class ReaderPool:
    """Hands out query-only connections to `path`, one borrower at a time per connection."""

    def __init__(self, path: str | Path, *, max_idle: int = 4) -> None:
        self.path = Path(path)
        self.max_idle = max(0, max_idle)
        self._lock = threading.Lock()
        self._idle: list[Database] = []
        self._closed = False

    @contextmanager
    def connection(self) -> Iterator[Database]:
        """Borrow a connection for the duration of the `with` block."""
        with self._lock:
            if self._closed:
                raise StoreError(f"{self.path}: the store is closed")
            db = self._idle.pop() if self._idle else None
        if db is None:
            db = open_database(self.path, migrate=False, check_same_thread=False, query_only=True)
        try:
            yield db
        finally:
            with self._lock:
                keep = not self._closed and len(self._idle) < self.max_idle
                if keep:
                    self._idle.append(db)
            if not keep:
                db.close()

    def close(self) -> None:
        """Close idle connections; borrowed ones close when they are returned."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for db in idle:
            db.close()
