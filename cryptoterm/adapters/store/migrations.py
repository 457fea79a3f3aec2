"""Schema migrations, tracked with `PRAGMA user_version`.

The schema is an ordered list of migrations; migration N moves the file from version N-1 to N. Each runs in one
`BEGIN IMMEDIATE` transaction together with the `user_version` bump, so a crash mid-migration leaves the old
version intact and re-running is a no-op. IMMEDIATE takes the write lock before the version is re-read, so two
processes opening a fresh file at once cannot both apply the same migration.

Migrations are frozen SQL text rather than library calls: a migration must create exactly the same tables next
year as today, whatever a library upgrade changes. Each version's SQL is a module of `schema/`. To change the
schema, append a migration (and its module); never edit one.
Times are epoch milliseconds (UTC) in INTEGER columns named `*_ms` (or `ts`, `open_time`); prices are REAL;
`*_json` columns hold JSON text; booleans are INTEGER 0/1.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlite_utils import Database

from cryptoterm.adapters.store.errors import StoreError
from cryptoterm.adapters.store.schema import v1_initial, v2_backtests, v3_trades, v4_alerts, v5_pair_screens, v6_trading


class Migration(NamedTuple):
    """One step of the schema: `version` is the `user_version` the file has after `sql` ran."""

    version: int
    name: str
    sql: str


#: Every migration, oldest first. Append only.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", v1_initial.SQL),
    Migration(2, "backtests and scan notes", v2_backtests.SQL),
    Migration(3, "trades without an exchange id are kept", v3_trades.SQL),
    Migration(4, "alert rules, firings and deliveries; market events", v4_alerts.SQL),
    Migration(5, "pair screens", v5_pair_screens.SQL),
    Migration(6, "orders, fills, positions, equity, pairs positions and the journal", v6_trading.SQL),
)

#: The schema version this code writes and understands.
SCHEMA_VERSION: int = MIGRATIONS[-1].version


def schema_version(db: Database) -> int:
    """The file's `PRAGMA user_version` (0 for a new, empty file)."""
    row = db.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def check_version(db: Database, path: str, known: int = SCHEMA_VERSION) -> int:
    """Refuse a file written by a newer cryptoterm (its tables may mean something this code does not know)."""
    version = schema_version(db)
    if version > known:
        raise StoreError(
            f"{path}: database schema version {version} is newer than this cryptoterm understands "
            f"(version {known}); upgrade cryptoterm or point [store].path at another file"
        )
    return version


def migrate_schema(db: Database, path: str, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[int]:
    """Apply every migration the file has not seen yet; returns the versions applied (empty when current)."""
    _check_ordered(migrations)
    known = migrations[-1].version if migrations else 0
    applied: list[int] = []
    for migration in migrations:
        if schema_version(db) >= migration.version:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            # Re-read under the write lock: another process may have migrated while this one waited.
            current = check_version(db, path, known)
            if current < migration.version:
                db.executescript(migration.sql)
                db.execute(f"PRAGMA user_version = {int(migration.version)}")
                applied.append(migration.version)
            db.execute("COMMIT")
        except BaseException as exc:
            db.rollback()
            if isinstance(exc, StoreError):
                raise
            if isinstance(exc, Exception):
                raise StoreError(f"{path}: migration {migration.version} ({migration.name}) failed: {exc}") from exc
            raise
    check_version(db, path, known)
    return applied


def _check_ordered(migrations: tuple[Migration, ...]) -> None:
    expected = list(range(1, len(migrations) + 1))
    if [m.version for m in migrations] != expected:
        raise ValueError(f"migrations must be numbered 1..{len(migrations)} in order")
