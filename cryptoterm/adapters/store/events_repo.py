"""Market anomaly events in the SQLite store (`events`): one row per bar, metric and scope; a bar seen twice (a
restart re-reading history) is kept once (the unique key is exchange, scope, symbol, timeframe, kind and bar)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlite_utils import Database

from cryptoterm.adapters.store.sqlite_store import SqliteStore
from cryptoterm.domain.anomaly import AnomalyEvent
from cryptoterm.ports.events import StoredEvent


class EventsRepo:
    """The `EventStore` port over a `SqliteStore`."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    def record_events(self, exchange: str, timeframe: str, events: Sequence[AnomalyEvent]) -> None:
        rows = [
            (
                e.ts,
                exchange,
                e.scope,
                e.symbol,
                timeframe,
                e.kind,
                e.severity,
                e.zscore,
                e.value,
                json.dumps(list(e.members)),
                e.describe(),
            )
            for e in events
        ]
        if not rows:
            return

        def write(db: Database) -> None:
            db.conn.executemany(
                "INSERT OR IGNORE INTO events (ts, exchange, scope, symbol, timeframe, kind, severity, zscore, value,"
                " symbols_json, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

        self._store.writer.submit(write, rows=len(rows), what="market events")

    def events(
        self, limit: int = 200, *, since_ms: int | None = None, until_ms: int | None = None
    ) -> list[StoredEvent]:
        sql = (
            "SELECT id, ts, exchange, scope, symbol, timeframe, kind, severity, zscore, value, symbols_json"
            " FROM events WHERE 1 = 1"
        )
        args: list[Any] = []
        if since_ms is not None:
            sql += " AND ts >= ?"
            args.append(since_ms)
        if until_ms is not None:
            sql += " AND ts < ?"
            args.append(until_ms)
        sql += " ORDER BY ts DESC, id DESC LIMIT ?"
        args.append(limit)
        with self._store.reader() as db:
            rows = db.execute(sql, args).fetchall()
        out: list[StoredEvent] = []
        for row_id, ts, exchange, scope, symbol, timeframe, kind, severity, zscore, value, members in rows:
            event = AnomalyEvent(
                int(ts), scope, str(symbol), kind, severity, float(zscore),
                float("nan") if value is None else float(value), tuple(json.loads(members)),
            )  # fmt: skip
            out.append(StoredEvent(int(row_id), str(exchange), str(timeframe), event))
        return out
