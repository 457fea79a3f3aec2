"""Checks of the database file that the faces run before they build anything: is the path usable, which schema
versions this cryptoterm reads.

They live here because the faces (cli, headless, tui) reach adapters only through wiring: `download` refuses a
bad `--db` before any network, and `doctor` compares a file's schema version with the one the store knows,
without either importing the store.
"""

from __future__ import annotations

from pathlib import Path

from cryptoterm.adapters.store.database import StoreError
from cryptoterm.adapters.store.database import check_database_path as _check_path
from cryptoterm.adapters.store.migrations import SCHEMA_VERSION
from cryptoterm.wiring.errors import StartupError

__all__ = ["SCHEMA_VERSION", "check_database_path"]


def check_database_path(path: str | Path) -> Path:
    """`path` if a database can be opened or created there; else `StartupError` naming it. Creates nothing."""
    try:
        return _check_path(path)
    except StoreError as exc:
        raise StartupError(str(exc)) from None
