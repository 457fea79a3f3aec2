"""`cryptoterm doctor`: where everything lives and whether it works, for a user setting up or reporting a bug.

It prints paths (config, database, logs), the versions of the libraries that matter, and checks that the
config loads and the database opens, passes SQLite's integrity check and has a schema this version understands.
Secrets in the config are never printed.

Exit codes: 0 everything checked is usable; 1 something is not (a corrupt or unreadable database, a schema
written by a newer cryptoterm, a directory that cannot be written, a missing library), each problem also named
in one line on stderr.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptoterm import __version__
from cryptoterm.config import AppConfig
from cryptoterm.config.loader import ENV_VAR, default_config_path
from cryptoterm.wiring.options import RunOptions
from cryptoterm.wiring.paths import resolve_db_path

_LIBRARIES = ("textual", "ccxt", "websockets", "numpy", "pandas", "ta", "msgspec", "sqlite-utils", "apprise")


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "missing"


@dataclass(frozen=True, slots=True)
class DatabaseCheck:
    """What `doctor` found about the database file; `problem` is "" when it is usable."""

    status: str
    problem: str = ""


#: Integrity problems quoted in the report; the rest are counted (a badly damaged file reports thousands).
_QUOTED_PROBLEMS = 1


def check_database(path: str) -> DatabaseCheck:
    """Open the database read-only if it exists (never creates or migrates it from here) and check it."""
    from cryptoterm.wiring.database_checks import SCHEMA_VERSION

    db = Path(path)
    if not db.exists():
        parent = db.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if parent.is_dir() and os.access(parent, os.W_OK):
            return DatabaseCheck("not created yet")
        status = f"not created yet (cannot write in {parent})"
        return DatabaseCheck(status, f"the database cannot be created: cannot write in {parent}")
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            problems = [str(row[0]) for row in conn.execute("PRAGMA quick_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        return DatabaseCheck(f"cannot open: {exc}", f"{db}: cannot open the database: {exc}")
    size = f"{db.stat().st_size / 1e6:.1f} MB"
    if problems != ["ok"]:
        lines = [line for text in problems for line in text.splitlines() if not line.startswith("***")]
        quoted = "; ".join(lines[:_QUOTED_PROBLEMS])
        more = f" (+{len(lines) - _QUOTED_PROBLEMS} more)" if len(lines) > _QUOTED_PROBLEMS else ""
        status = f"schema v{version}, integrity FAILED: {quoted}{more}, {size}"
        return DatabaseCheck(status, f"{db}: the database is corrupt (integrity check: {quoted}{more})")
    if version > SCHEMA_VERSION:
        status = f"schema v{version} (newer than this cryptoterm's v{SCHEMA_VERSION}), integrity ok, {size}"
        problem = (
            f"{db}: database schema v{version} was written by a newer cryptoterm (this one understands up to "
            f"v{SCHEMA_VERSION}); upgrade cryptoterm or use another --db"
        )
        return DatabaseCheck(status, problem)
    return DatabaseCheck(f"schema v{version}, integrity ok, {size}")


def run(config: AppConfig, args: argparse.Namespace, options: RunOptions) -> int:
    db_path = resolve_db_path(config, options)
    db_check = check_database(db_path)
    report = {
        "cryptoterm": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "config_file": config.source or f"(built-in defaults; would read {default_config_path()} or ${ENV_VAR})",
        "database": db_path,
        "database_status": db_check.status,
        "exchange": config.exchange.id,
        "api_key": "set" if config.exchange.api_key else "not set",
        "notify_channels": len(config.notify.urls),
        "strategies": [s.name for s in config.strategy],
        "libraries": {name: _version(name) for name in _LIBRARIES},
    }
    if getattr(args, "doctor_json", False) or getattr(args, "json", False):
        print(json.dumps(report, indent=2))
    else:
        width = max(len(k) for k in report)
        for key, value in report.items():
            shown = ", ".join(f"{k} {v}" for k, v in value.items()) if isinstance(value, dict) else value
            if isinstance(value, list):
                shown = ", ".join(value) or "(none)"
            print(f"{key.replace('_', ' '):<{width}}  {shown}")
    problems = [db_check.problem] if db_check.problem else []
    missing = [name for name, v in report["libraries"].items() if v == "missing"]  # type: ignore[union-attr]
    if missing:
        problems.append(f"missing libraries: {', '.join(missing)}")
    for problem in problems:
        print(f"cryptoterm doctor: {problem}", file=sys.stderr)
    return 1 if problems else 0
