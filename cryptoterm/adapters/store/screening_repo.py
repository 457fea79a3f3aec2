"""Pair screens in the SQLite store (`screening_sessions`, `pair_results`).

A session and all of its pairs (44,850 for a 300-symbol universe) are written in one transaction through the
store's single writer, so a killed process never leaves a session with part of its pairs. Every field of
`PairResult` has a column of the same name: a stored pair reads back equal to the one screened (SQLite stores
NaN as NULL, read back as NaN; infinities round-trip as they are).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
from sqlite_utils import Database

from cryptoterm.adapters.store.sqlite_store import SqliteStore
from cryptoterm.domain.pairs import PairResult
from cryptoterm.ports.screening import ScreeningSession

#: `PairResult`'s fields in its order: also the `pair_results` columns after `session_id`.
PAIR_COLUMNS: tuple[str, ...] = tuple(f.name for f in msgspec.structs.fields(PairResult))
_FLOAT_COLUMNS = frozenset(f.name for f in msgspec.structs.fields(PairResult) if f.type is float)
_SESSION_COLUMNS = (
    "id, created_ms, exchange, timeframe, since_ms, until_ms, first_ms, last_ms, n_bars, symbols_json,"
    " requested_json, dropped_json, params_json, pair_count, executor, duration_ms, errors_json"
)


def _json(value: object) -> str:
    """JSON with non-finite numbers as null (SQLite JSON and most readers refuse NaN / inf)."""

    def clean(item: Any) -> Any:
        if isinstance(item, float) and not math.isfinite(item):
            return None
        if isinstance(item, dict):
            return {k: clean(v) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return [clean(v) for v in item]
        return item

    return json.dumps(clean(value), ensure_ascii=False, allow_nan=False)


def _session(row: Sequence[Any]) -> ScreeningSession:
    return ScreeningSession(
        id=int(row[0]),
        created_ms=int(row[1]),
        exchange=str(row[2]),
        timeframe=str(row[3]),
        since_ms=row[4],
        until_ms=row[5],
        first_ms=int(row[6]),
        last_ms=int(row[7]),
        n_bars=int(row[8]),
        symbols=json.loads(row[9]),
        requested=json.loads(row[10]),
        dropped=json.loads(row[11]),
        params=json.loads(row[12]),
        pair_count=int(row[13]),
        executor=str(row[14]),
        duration_ms=int(row[15]),
        errors=json.loads(row[16]),
    )


def _pair(row: Sequence[Any]) -> PairResult:
    values: dict[str, Any] = {
        name: (math.nan if value is None else float(value)) if name in _FLOAT_COLUMNS else value
        for name, value in zip(PAIR_COLUMNS, row, strict=True)
    }
    return PairResult(**values)


class ScreeningRepo:
    """Repository over `screening_sessions` and `pair_results` (the `ScreeningArchive` port)."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    def save_screening(
        self,
        *,
        created_ms: int,
        exchange: str,
        timeframe: str,
        since_ms: int | None,
        until_ms: int | None,
        first_ms: int,
        last_ms: int,
        n_bars: int,
        symbols: Sequence[str],
        requested: Sequence[str],
        dropped: Sequence[Mapping[str, str]],
        params: Mapping[str, object],
        executor: str,
        duration_ms: int,
        errors: Sequence[str],
        results: Sequence[PairResult],
    ) -> int:
        session = (
            created_ms, exchange, timeframe, since_ms, until_ms, first_ms, last_ms, n_bars, _json(list(symbols)),
            _json(list(requested)), _json([dict(d) for d in dropped]), _json(dict(params)), len(results), executor,
            duration_ms, _json(list(errors)),
        )  # fmt: skip
        rows = [msgspec.structs.astuple(result) for result in results]
        columns = ", ".join(PAIR_COLUMNS)
        marks = ", ".join("?" for _ in PAIR_COLUMNS)

        def write(db: Database) -> int:
            cur = db.execute(
                f"INSERT INTO screening_sessions ({_SESSION_COLUMNS.removeprefix('id, ')})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                session,
            )
            session_id = int(cur.lastrowid or 0)
            db.conn.executemany(
                f"INSERT INTO pair_results (session_id, {columns}) VALUES (?, {marks})",
                [(session_id, *row) for row in rows],
            )
            return session_id

        return self._store.writer.call(write, what="screening session")

    def screening_sessions(self, limit: int = 50) -> list[ScreeningSession]:
        with self._store.reader() as db:
            rows = db.execute(
                f"SELECT {_SESSION_COLUMNS} FROM screening_sessions ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
        return [_session(row) for row in rows]

    def screening_session(self, session_id: int) -> ScreeningSession | None:
        with self._store.reader() as db:
            row = db.execute(
                f"SELECT {_SESSION_COLUMNS} FROM screening_sessions WHERE id = ?", (session_id,)
            ).fetchone()
        return None if row is None else _session(row)

    def pair_results(self, session_id: int) -> list[PairResult]:
        with self._store.reader() as db:
            rows = db.execute(
                f"SELECT {', '.join(PAIR_COLUMNS)} FROM pair_results WHERE session_id = ?"
                " ORDER BY p_adj IS NULL, p_adj, eg_p IS NULL, eg_p, y, x",
                (session_id,),
            ).fetchall()
        return [_pair(row) for row in rows]
