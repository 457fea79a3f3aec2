"""Setups, their state history, scan runs and notification attempts in the SQLite store.

Writes go through the store's single writer (`SqliteStore.writer.call`), so a check-then-insert runs inside one
write transaction: "no second open setup for the same strategy + symbol + direction" holds even when a timed
scan and a `--scan-once` cron run share the file. Reads use the store's read-only pool and are thread-safe.
A setup and the history rows describing how it got there are always written in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from sqlite_utils import Database

from cryptoterm.adapters.store.sqlite_store import SqliteStore
from cryptoterm.domain.setups import OPEN_STATES, ConditionResult, Setup, Transition
from cryptoterm.ports.notify import NotificationAttempt
from cryptoterm.ports.setups import Occupancy, ScanRunRow, SetupEvent

_OPEN = tuple(sorted(OPEN_STATES))
_OPEN_SQL = ", ".join("?" for _ in _OPEN)
_SETUP_COLUMNS = (
    "strategy, symbol, timeframe, direction, state, entry, stop, targets_json, rr, size, risk, bar_time,"
    " created_ms, updated_ms, expires_ms, triggered_ms, closed_ms, exit_price, r_multiple, conditions_json,"
    " scan_run_id"
)


class SetupsRepo:
    """Repository over `setups`, `setup_events`, `scan_runs`, `notifications` and `strategies`."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    # -- scan runs -----------------------------------------------------------------------------------------

    def start_scan_run(self, started_ms: int, origin: str) -> int:
        def write(db: Database) -> int:
            cur = db.execute("INSERT INTO scan_runs (started_ms, origin) VALUES (?, ?)", (started_ms, origin))
            return int(cur.lastrowid or 0)

        return self._store.writer.call(write, what="scan run")

    def finish_scan_run(
        self,
        run_id: int,
        *,
        finished_ms: int,
        duration_ms: int,
        strategies: int,
        symbols: int,
        hits: int,
        new_setups: int,
        errors: Sequence[dict[str, str]],
        notes: Sequence[str] = (),
    ) -> None:
        payload = json.dumps(list(errors), ensure_ascii=False)
        said = json.dumps(list(notes), ensure_ascii=False)

        def write(db: Database) -> None:
            db.execute(
                "UPDATE scan_runs SET finished_ms = ?, duration_ms = ?, strategies = ?, symbols = ?, hits = ?,"
                " new_setups = ?, errors = ?, errors_json = ?, notes_json = ? WHERE id = ?",
                (finished_ms, duration_ms, strategies, symbols, hits, new_setups, len(errors), payload, said, run_id),
            )

        self._store.writer.call(write, what="scan run")

    def scan_runs(self, limit: int = 50) -> list[ScanRunRow]:
        """The newest scan runs first."""
        with self._store.reader() as db:
            rows = db.execute(
                "SELECT id, started_ms, finished_ms, duration_ms, origin, strategies, symbols, hits, new_setups,"
                " errors_json, notes_json FROM scan_runs ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [_scan_run_from_row(row) for row in rows]

    # -- setups --------------------------------------------------------------------------------------------

    def insert_setup(self, setup: Setup, *, scan_run_id: int | None = None) -> Setup | None:
        """Store a new setup and its creation event; None (nothing written) when an open duplicate exists."""

        def write(db: Database) -> Setup | None:
            dup = db.execute(
                f"SELECT 1 FROM setups WHERE strategy = ? AND symbol = ? AND direction = ? AND state IN ({_OPEN_SQL})"
                " LIMIT 1",
                (setup.strategy, setup.symbol, setup.direction, *_OPEN),
            ).fetchone()
            if dup is not None:
                return None
            cur = db.execute(
                f"INSERT INTO setups ({_SETUP_COLUMNS}) VALUES ({', '.join('?' for _ in range(21))})",
                _setup_values(setup, scan_run_id),
            )
            setup_id = int(cur.lastrowid or 0)
            _insert_events(db, setup_id, [(setup.created_ms, None, setup.state, setup.entry, "setup created")])
            return replace(setup, id=setup_id)

        return self._store.writer.call(write, what="setup")

    def save_transitions(self, setup: Setup, transitions: Sequence[Transition]) -> None:
        """Persist a setup's new state together with the transitions that led to it (one transaction).

        Also records the newest bar applied (`Setup.last_bar`), so it is saved even when a bar changed nothing.
        """
        if setup.id is None:
            raise ValueError(f"{setup.strategy} {setup.symbol}: setup has no id (insert it first)")
        setup_id = setup.id

        def write(db: Database) -> None:
            db.execute(
                "UPDATE setups SET state = ?, updated_ms = ?, triggered_ms = ?, closed_ms = ?, exit_price = ?,"
                " r_multiple = ?, conditions_json = json_set(conditions_json, '$.last_bar', ?) WHERE id = ?",
                (
                    setup.state,
                    setup.updated_ms,
                    setup.triggered_ms,
                    setup.closed_ms,
                    setup.exit_price,
                    setup.r_multiple,
                    setup.last_bar,
                    setup_id,
                ),
            )
            _insert_events(db, setup_id, [(t.ts, t.from_state, t.to_state, t.price, t.note) for t in transitions])

        self._store.writer.call(write, what="setup transition")

    def open_setups(self, *, symbol: str | None = None, timeframe: str | None = None) -> list[Setup]:
        """Setups in new / active / triggered, oldest first, optionally for one symbol and timeframe."""
        sql = f"SELECT id, {_SETUP_COLUMNS} FROM setups WHERE state IN ({_OPEN_SQL})"
        args: list[Any] = list(_OPEN)
        if symbol is not None:
            sql += " AND symbol = ?"
            args.append(symbol)
        if timeframe is not None:
            sql += " AND timeframe = ?"
            args.append(timeframe)
        with self._store.reader() as db:
            rows = db.execute(sql + " ORDER BY id", args).fetchall()
        return [_setup_from_row(row) for row in rows]

    def occupancy(self, strategy: str, symbol: str, direction: str, since_ms: int) -> list[Occupancy]:
        """The bars taken by stored setups of this strategy / symbol / direction that are still open or closed at
        or after `since_ms`: (signal bar, bar it closed on or None while open), oldest first.

        A scan that reviews recent bars skips signals inside these spans, whichever run opened the setup, so
        no signal opens a setup that overlaps one already stored.
        """
        with self._store.reader() as db:
            rows = db.execute(
                "SELECT bar_time, state, json_extract(conditions_json, '$.last_bar') FROM setups"
                f" WHERE strategy = ? AND symbol = ? AND direction = ? AND (state IN ({_OPEN_SQL})"
                " OR COALESCE(json_extract(conditions_json, '$.last_bar'), bar_time) >= ?) ORDER BY bar_time",
                (strategy, symbol, direction, *_OPEN, since_ms),
            ).fetchall()
        return [
            (int(bar_time), None if state in OPEN_STATES else int(last if last is not None else bar_time))
            for bar_time, state, last in rows
        ]

    def recent_setups(self, limit: int = 100, states: Iterable[str] | None = None) -> list[Setup]:
        """The newest setups first, in any state or only the given ones."""
        sql = f"SELECT id, {_SETUP_COLUMNS} FROM setups"
        args: list[Any] = []
        wanted = list(states) if states is not None else None
        if wanted:
            sql += f" WHERE state IN ({', '.join('?' for _ in wanted)})"
            args.extend(wanted)
        with self._store.reader() as db:
            rows = db.execute(sql + " ORDER BY id DESC LIMIT ?", [*args, limit]).fetchall()
        return [_setup_from_row(row) for row in rows]

    def get_setup(self, setup_id: int) -> Setup | None:
        with self._store.reader() as db:
            row = db.execute(f"SELECT id, {_SETUP_COLUMNS} FROM setups WHERE id = ?", (setup_id,)).fetchone()
        return None if row is None else _setup_from_row(row)

    def setup_events(self, setup_id: int) -> list[SetupEvent]:
        """A setup's history in the order it happened (insertion order, immune to clock steps)."""
        with self._store.reader() as db:
            rows = db.execute(
                "SELECT setup_id, ts, from_state, to_state, price, note FROM setup_events WHERE setup_id = ?"
                " ORDER BY id",
                (setup_id,),
            ).fetchall()
        return [SetupEvent(*row) for row in rows]

    # -- notifications and strategies ---------------------------------------------------------------------

    def record_notification(self, attempt: NotificationAttempt) -> None:
        """Store one delivery attempt (its texts are already redacted by the notifier)."""

        def write(db: Database) -> None:
            db.execute(
                "INSERT INTO notifications (ts, event, title, body, delivered, attempts, error)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    attempt.ts,
                    attempt.event,
                    attempt.title,
                    attempt.body,
                    int(attempt.delivered),
                    attempt.attempts,
                    attempt.error or None,
                ),
            )

        self._store.writer.call(write, what="notification")

    def notifications(self, limit: int = 100) -> list[NotificationAttempt]:
        """The newest recorded attempts first."""
        with self._store.reader() as db:
            rows = db.execute(
                "SELECT ts, event, title, body, delivered, attempts, error FROM notifications ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [NotificationAttempt(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6] or "") for r in rows]

    def save_strategy(self, *, name: str, source: str, toml: str, digest: str, enabled: bool, updated_ms: int) -> None:
        """Snapshot the strategy definition a scan used, so a setup can be traced to the exact rules."""

        def write(db: Database) -> None:
            db.execute(
                "INSERT INTO strategies (name, source, toml, hash, enabled, updated_ms) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(name) DO UPDATE SET source = excluded.source, toml = excluded.toml,"
                " hash = excluded.hash, enabled = excluded.enabled, updated_ms = excluded.updated_ms"
                " WHERE strategies.hash != excluded.hash OR strategies.enabled != excluded.enabled",
                (name, source, toml, digest, int(enabled), updated_ms),
            )

        self._store.writer.call(write, what="strategy")


def _insert_events(db: Database, setup_id: int, events: Sequence[tuple[int, str | None, str, float, str]]) -> None:
    db.conn.executemany(
        "INSERT INTO setup_events (setup_id, ts, from_state, to_state, price, note) VALUES (?, ?, ?, ?, ?, ?)",
        [(setup_id, *event) for event in events],
    )


def _scan_run_from_row(row: Sequence[Any]) -> ScanRunRow:
    return ScanRunRow(
        id=int(row[0]),
        started_ms=int(row[1]),
        finished_ms=row[2],
        duration_ms=row[3],
        origin=str(row[4]),
        strategies=int(row[5]),
        symbols=int(row[6]),
        hits=int(row[7]),
        new_setups=int(row[8]),
        errors=json.loads(row[9] or "[]"),
        notes=json.loads(row[10] or "[]"),
    )


def _setup_values(setup: Setup, scan_run_id: int | None) -> tuple[Any, ...]:
    conditions = {
        "zone": [setup.zone_low, setup.zone_high],
        "last_bar": setup.last_bar,
        "terms": [{"text": c.text, "passed": c.passed, "values": c.values} for c in setup.conditions],
    }
    return (
        setup.strategy,
        setup.symbol,
        setup.timeframe,
        setup.direction,
        setup.state,
        setup.entry,
        setup.stop,
        json.dumps(list(setup.targets)),
        setup.rr,
        setup.size,
        setup.risk,
        setup.bar_time,
        setup.created_ms,
        setup.updated_ms,
        setup.expires_ms,
        setup.triggered_ms,
        setup.closed_ms,
        setup.exit_price,
        setup.r_multiple,
        json.dumps(conditions, ensure_ascii=False),
        scan_run_id,
    )


def _setup_from_row(row: Sequence[Any]) -> Setup:
    (
        setup_id,
        strategy,
        symbol,
        timeframe,
        direction,
        state,
        entry,
        stop,
        targets_json,
        _rr,
        size,
        risk,
        bar_time,
        created_ms,
        updated_ms,
        expires_ms,
        triggered_ms,
        closed_ms,
        exit_price,
        r_multiple,
        conditions_json,
        _scan_run_id,
    ) = row
    extra = json.loads(conditions_json or "{}")
    zone = extra.get("zone") or [entry, entry]
    terms = tuple(
        ConditionResult(str(t.get("text", "")), bool(t.get("passed")), str(t.get("values", "")))
        for t in extra.get("terms", [])
    )
    return Setup(
        id=int(setup_id),
        strategy=strategy,
        symbol=symbol,
        timeframe=timeframe,
        direction=direction,
        state=state,
        entry=float(entry),
        stop=float(stop),
        targets=tuple(float(t) for t in json.loads(targets_json)),
        size=float(size),
        risk=float(risk),
        bar_time=int(bar_time),
        created_ms=int(created_ms),
        updated_ms=int(updated_ms),
        expires_ms=int(expires_ms),
        zone_low=float(zone[0]),
        zone_high=float(zone[1]),
        triggered_ms=triggered_ms,
        closed_ms=closed_ms,
        exit_price=exit_price,
        r_multiple=r_multiple,
        conditions=terms,
        last_bar=None if extra.get("last_bar") is None else int(extra["last_bar"]),
    )
