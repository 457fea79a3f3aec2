"""Journal entries in the SQLite store (`journal`, schema v6). Writes wait for their commit: an entry is typed
by a trader, and what they typed must be on disk when the form closes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlite_utils import Database

from cryptoterm.adapters.store.sqlite_store import SqliteStore
from cryptoterm.domain.journal.entries import JournalEntry

_COLUMNS = (
    "account, created_ms, updated_ms, strategy, symbol, direction, setup_id, order_id, position_key, notes,"
    " tags_json, outcome, pnl, risk, r_multiple, opened_ms, closed_ms"
)


class JournalRepo:
    """The `JournalStore` port over a `SqliteStore`."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    def add_entry(self, entry: JournalEntry) -> JournalEntry:
        def write(db: Database) -> int:
            cur = db.execute(f"INSERT INTO journal ({_COLUMNS}) VALUES ({', '.join('?' * 17)})", _values(entry))
            return int(cur.lastrowid or 0)

        return replace(entry, id=self._store.writer.call(write, what="journal entry"))

    def update_entry(self, entry: JournalEntry) -> JournalEntry:
        if entry.id is None:
            raise KeyError("a journal entry without an id")

        def write(db: Database) -> int:
            sets = ", ".join(f"{name.strip()} = ?" for name in _COLUMNS.split(","))
            cur = db.execute(f"UPDATE journal SET {sets} WHERE id = ?", (*_values(entry), entry.id))
            return int(cur.rowcount)

        if not self._store.writer.call(write, what="journal entry"):
            raise KeyError(entry.id)
        return entry

    def get_entry(self, entry_id: int) -> JournalEntry | None:
        with self._store.reader() as db:
            row = db.execute(f"SELECT id, {_COLUMNS} FROM journal WHERE id = ?", (entry_id,)).fetchone()
        return _entry(row) if row else None

    def entries(
        self,
        *,
        strategies: Sequence[str] = (),
        tag: str | None = None,
        symbol: str | None = None,
        since_ms: int | None = None,
        limit: int = 10_000,
    ) -> list[JournalEntry]:
        sql = f"SELECT id, {_COLUMNS} FROM journal WHERE 1 = 1"
        args: list[Any] = []
        if strategies:
            sql += f" AND strategy IN ({', '.join('?' for _ in strategies)})"
            args.extend(strategies)
        if symbol is not None:
            sql += " AND symbol = ?"
            args.append(symbol)
        if tag is not None:
            sql += " AND EXISTS (SELECT 1 FROM json_each(tags_json) WHERE value = ?)"
            args.append(tag)
        if since_ms is not None:
            sql += " AND created_ms >= ?"
            args.append(since_ms)
        with self._store.reader() as db:
            rows = db.execute(f"{sql} ORDER BY created_ms DESC, id DESC LIMIT ?", (*args, limit)).fetchall()
        return [_entry(row) for row in reversed(rows)]


def _values(e: JournalEntry) -> tuple[Any, ...]:
    return (
        e.account, e.created_ms, e.updated_ms or e.created_ms, e.strategy, e.symbol, e.direction, e.setup_id,
        e.order_id, e.position_key, e.notes, json.dumps(list(e.tags)), e.outcome, e.pnl, e.risk, e.r_multiple,
        e.opened_ms, e.closed_ms,
    )  # fmt: skip


def _entry(row: Sequence[Any]) -> JournalEntry:
    return JournalEntry(
        id=row[0], account=row[1], created_ms=row[2], updated_ms=row[3], strategy=row[4], symbol=row[5],
        direction=row[6], setup_id=row[7], order_id=row[8], position_key=row[9], notes=row[10],
        tags=tuple(json.loads(row[11] or "[]")), outcome=row[12], pnl=row[13], risk=row[14], r_multiple=row[15],
        opened_ms=row[16], closed_ms=row[17],
    )  # fmt: skip
