"""Opening the SQLite file: pragmas, migrations, schema, and the errors a user sees for a bad path or file."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

from cryptoterm.adapters.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Migration,
    SqliteStore,
    StoreError,
    default_db_path,
    migrate_schema,
    open_database,
    schema_version,
)
from cryptoterm.config.schema import StoreConfig

EXPECTED_COLUMNS = {
    "symbols": ["exchange", "symbol", "base", "quote", "exchange_id", "active", "updated_ms"],
    "candles": [
        "exchange",
        "symbol",
        "timeframe",
        "open_time",
        "open",
        "high",
        "low",
        "close",
        "volume",
        "quote_volume",
        "trades",
    ],
    "trades": ["exchange", "symbol", "trade_id", "ts", "price", "qty", "side"],
    "quality_metrics": [
        "exchange",
        "symbol",
        "timeframe",
        "checked_ms",
        "bars",
        "gaps",
        "missing_bars",
        "outages",
        "duplicates",
        "out_of_order",
        "ohlc_violations",
        "spikes",
        "stale_s",
        "score",
        "detail_json",
    ],
    "strategies": ["name", "source", "toml", "hash", "enabled", "updated_ms"],
    "scan_runs": [
        "id",
        "started_ms",
        "finished_ms",
        "duration_ms",
        "origin",
        "strategies",
        "symbols",
        "hits",
        "new_setups",
        "errors",
        "errors_json",
        "notes_json",
    ],
    "setups": [
        "id",
        "strategy",
        "symbol",
        "timeframe",
        "direction",
        "state",
        "entry",
        "stop",
        "targets_json",
        "rr",
        "size",
        "risk",
        "bar_time",
        "created_ms",
        "updated_ms",
        "expires_ms",
        "triggered_ms",
        "closed_ms",
        "exit_price",
        "r_multiple",
        "conditions_json",
        "scan_run_id",
    ],
    "setup_events": ["id", "setup_id", "ts", "from_state", "to_state", "price", "note"],
    "notifications": ["id", "ts", "event", "title", "body", "delivered", "attempts", "error"],
}

EXPECTED_PKS = {
    "symbols": ["exchange", "symbol"],
    "candles": ["exchange", "symbol", "timeframe", "open_time"],
    "trades": ["rowid"],  # unique by (exchange, symbol, trade_id) only when a trade has an id (schema v3)
    "quality_metrics": ["exchange", "symbol", "timeframe"],
    "strategies": ["name"],
    "scan_runs": ["id"],
    "setups": ["id"],
    "setup_events": ["id"],
    "notifications": ["id"],
    "alerts": ["id"],
    "alert_events": ["id"],
    "backtests": ["id"],
    "backtest_trades": ["id"],
}


def test_open_creates_parent_dirs_and_sets_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "cryptoterm.db"
    db = open_database(path)
    try:
        assert path.is_file()
        assert db.journal_mode == "wal"
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
        assert schema_version(db) == SCHEMA_VERSION == MIGRATIONS[-1].version
    finally:
        db.close()


def test_default_db_path_is_in_the_user_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = default_db_path()
    assert path.name == "cryptoterm.db"
    assert "cryptoterm" in path.parent.name.lower()
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
        assert default_db_path() == tmp_path / "xdg" / "cryptoterm" / "cryptoterm.db"
        with SqliteStore.from_config(StoreConfig(path="")) as store:
            assert store.path == tmp_path / "xdg" / "cryptoterm" / "cryptoterm.db"
        assert (tmp_path / "xdg" / "cryptoterm" / "cryptoterm.db").is_file()


def test_migrations_create_every_table_with_its_columns_and_keys(tmp_path: Path) -> None:
    db = open_database(tmp_path / "c.db")
    try:
        names = set(db.table_names())
        assert set(EXPECTED_PKS) <= names
        for table, columns in EXPECTED_COLUMNS.items():
            assert [c.name for c in db.table(table).columns] == columns, table
        for table, pks in EXPECTED_PKS.items():
            assert db.table(table).pks == pks, table
        for table in ("alerts", "alert_events"):
            assert len(db.table(table).columns) >= 5
        setup_indexes = {tuple(ix.columns) for ix in db.table("setups").indexes}
        assert ("strategy", "symbol", "direction", "state") in setup_indexes
        candles_sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'candles'").fetchone()[0]
        assert "WITHOUT ROWID" in candles_sql.upper()
        assert "AUTOINCREMENT" in db.table("scan_runs").schema.upper()
        fks = {(fk.column, fk.other_table) for fk in db.table("setup_events").foreign_keys}
        assert ("setup_id", "setups") in fks
        fks = {(fk.column, fk.other_table) for fk in db.table("backtest_trades").foreign_keys}
        assert ("backtest_id", "backtests") in fks
    finally:
        db.close()


def test_migrations_are_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    db = open_database(path)
    db.table("strategies").insert({"name": "breakout", "source": "x.toml"})
    schema_before = db.schema
    assert migrate_schema(db, str(path)) == []
    db.close()
    again = open_database(path)
    try:
        assert again.schema == schema_before
        assert schema_version(again) == SCHEMA_VERSION
        assert again["strategies"].count == 1
        assert migrate_schema(again, str(path)) == []
    finally:
        again.close()


def test_a_failing_migration_rolls_back_whole(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    db = open_database(path)
    broken = (
        *MIGRATIONS,
        Migration(len(MIGRATIONS) + 1, "half-done", "CREATE TABLE extra (x INTEGER); INSERT INTO nowhere VALUES (1);"),
    )
    try:
        with pytest.raises(StoreError) as err:
            migrate_schema(db, str(path), broken)
        assert str(path) in str(err.value)
        assert "half-done" in str(err.value)
        assert "extra" not in db.table_names()
        assert schema_version(db) == SCHEMA_VERSION
    finally:
        db.close()


def test_later_migration_applies_in_order(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    db = open_database(path)
    newer = (*MIGRATIONS, Migration(len(MIGRATIONS) + 1, "notes", "CREATE TABLE later_notes (id INTEGER PRIMARY KEY);"))
    try:
        assert migrate_schema(db, str(path), newer) == [len(MIGRATIONS) + 1]
        assert "later_notes" in db.table_names()
        assert schema_version(db) == len(MIGRATIONS) + 1
    finally:
        db.close()


def test_unordered_migrations_are_rejected(tmp_path: Path) -> None:
    db = open_database(tmp_path / "c.db")
    try:
        with pytest.raises(ValueError, match="numbered"):
            migrate_schema(db, "c.db", (Migration(2, "gap", "SELECT 1"),))
    finally:
        db.close()


def test_newer_schema_version_is_refused_naming_the_path(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    for migrate in (True, False):
        with pytest.raises(StoreError) as err:
            open_database(path, migrate=migrate)
        message = str(err.value)
        assert str(path) in message
        assert f"version {SCHEMA_VERSION + 5}" in message
        assert "newer" in message


def test_directory_as_db_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as err:
        open_database(tmp_path)
    assert str(tmp_path) in str(err.value)
    assert "directory" in str(err.value)


def test_path_under_a_file_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("plain file")
    target = blocker / "sub" / "c.db"
    with pytest.raises(StoreError) as err:
        open_database(target)
    assert str(target) in str(err.value)
    assert "not a directory" in str(err.value)


def test_non_sqlite_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are not the pages you are looking for\n" * 200)
    with pytest.raises(StoreError) as err:
        open_database(path)
    assert str(path) in str(err.value)
    assert "not a SQLite database" in str(err.value)
    assert path.read_bytes().startswith(b"these are not")  # left untouched


def test_reader_connections_refuse_writes(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    open_database(path).close()
    reader = open_database(path, migrate=False, query_only=True)
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            reader.execute("INSERT INTO strategies (name) VALUES ('x')")
        assert reader["strategies"].count == 0
    finally:
        reader.close()


def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    db = open_database(tmp_path / "c.db")
    try:
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            db.execute("INSERT INTO setup_events (setup_id, ts, to_state) VALUES (999, 1, 'open')")
        assert db["setup_events"].count == 0
    finally:
        db.close()


def test_in_memory_database_is_migrated() -> None:
    db = open_database(":memory:")
    try:
        assert schema_version(db) == SCHEMA_VERSION
        assert "candles" in db.table_names()
    finally:
        db.close()
