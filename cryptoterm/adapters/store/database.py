"""Opening the SQLite file: location, pragmas, schema migration and errors phrased for the user.

Every connection in cryptoterm comes from `open_database`, so every connection gets the same pragmas: WAL (readers
never block the writer and a killed process leaves a consistent file), `synchronous=NORMAL` (in WAL mode this
survives any process crash; only a power cut can lose the last commits, never corrupt the file), foreign keys on
(SQLite's default is off) and a busy timeout so two processes sharing one file wait for each other instead of
failing at once. Connections run with `isolation_level=None`: every transaction in the store is an explicit
`BEGIN … COMMIT`, so nothing opens a transaction behind the code's back.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import platformdirs
from sqlite_utils import Database

from cryptoterm.adapters.store.errors import StoreError
from cryptoterm.adapters.store.migrations import check_version, migrate_schema

__all__ = [
    "BUSY_TIMEOUT_MS",
    "StoreError",
    "check_database_path",
    "database_file_size",
    "default_db_path",
    "open_database",
]

APP_NAME = "cryptoterm"
DB_FILENAME = "cryptoterm.db"
#: How long a connection waits for another connection's write lock before giving up.
BUSY_TIMEOUT_MS = 10_000
_MEMORY = ":memory:"


def default_db_path() -> Path:
    """The platform's per-user data directory / cryptoterm.db (e.g. ~/.local/share/cryptoterm/cryptoterm.db)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / DB_FILENAME


def open_database(
    path: str | Path,
    *,
    migrate: bool = True,
    check_same_thread: bool = True,
    query_only: bool = False,
) -> Database:
    """Open (creating if needed) the database at `path`, set the pragmas and bring the schema up to date.

    `migrate=False` opens without writing anything (reader connections); the schema version is still checked,
    so a file written by a newer cryptoterm is refused either way. `check_same_thread=False` is for connections
    handed between threads (the store's reader pool); the caller must then use it from one thread at a time.
    `query_only=True` makes SQLite itself refuse writes on this connection.

    Raises `StoreError` naming the path when it is a directory, cannot be created or written, is not a SQLite
    file, or carries a schema version newer than this code knows.
    """
    target = _prepare_path(path)
    try:
        conn = sqlite3.connect(
            target, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=check_same_thread, isolation_level=None
        )
    except sqlite3.Error as exc:
        raise StoreError(f"{target}: cannot open database: {exc}") from exc
    db = Database(conn, execute_plugins=False)
    try:
        _apply_pragmas(db, target)
        if migrate:
            migrate_schema(db, target)
        else:
            check_version(db, target)
        if query_only:
            db.execute("PRAGMA query_only = ON")
    except StoreError:
        conn.close()
        raise
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"{target}: {_describe(exc)}") from exc
    return db


def database_file_size(path: str | Path) -> int:
    """Bytes on disk for the database, counting its WAL and shared-memory files (what the health screen shows)."""
    base = Path(path)
    total = 0
    for suffix in ("", "-wal", "-shm"):
        part = base.with_name(base.name + suffix)
        if part.is_file():
            total += part.stat().st_size
    return total


def check_database_path(path: str | Path) -> Path:
    """Raise `StoreError` (one line naming the path) if no database could be opened or created at `path`.

    Creates nothing, so a command can refuse a bad `--db` before it does any work: `path` must not be a
    directory, the nearest existing parent must be a directory (not a file), and the file (or, for a new one,
    that directory: WAL adds files beside the database) must be writable. Root passes permission checks, so
    for root a read-only place is still only found when SQLite tries it.
    """
    target = Path(path).expanduser()
    if target.is_dir():
        raise StoreError(f"{target}: is a directory, expected a database file path")
    existing = target.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise StoreError(f"{target}: cannot create the database here: {existing} is a file, not a directory")
    if target.exists() and not os.access(target, os.R_OK | os.W_OK):
        raise StoreError(f"{target}: cannot open the database: no permission to read and write it")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise StoreError(f"{target}: cannot use the database here: no permission to write in {existing}")
    return target


def _prepare_path(path: str | Path) -> str:
    """Validate `path` and create its parent directories; returns the string sqlite3 should open."""
    if str(path) == _MEMORY:
        return _MEMORY
    target = check_database_path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise StoreError(f"{target}: cannot create the database here: {exc.filename} is not a directory") from exc
    except OSError as exc:
        raise StoreError(f"{target}: cannot create its directory: {exc.strerror or exc}") from exc
    if not target.parent.is_dir():
        raise StoreError(f"{target}: cannot create the database here: {target.parent} is not a directory")
    return str(target)


def _apply_pragmas(db: Database, target: str) -> None:
    # Reading the schema first turns "not a database" into an error here, before any pragma writes.
    db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA foreign_keys = ON")
    if target != _MEMORY:
        db.enable_wal()
        if db.journal_mode != "wal":
            raise StoreError(f"{target}: could not switch the database to WAL journal mode")
    db.execute("PRAGMA synchronous = NORMAL")


def _describe(exc: sqlite3.DatabaseError) -> str:
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return f"not a SQLite database file ({text})"
    if "readonly" in text or "unable to open" in text:
        return f"cannot write the database file ({text})"
    return text
