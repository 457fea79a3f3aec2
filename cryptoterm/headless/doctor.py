"""`cryptoterm doctor`: where everything lives and whether it works, for a user setting up or reporting a bug.

It prints paths (config, database, logs), the versions of the libraries that matter, and checks that the
config loads and the database opens. Secrets in the config are never printed.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import sqlite3
import sys
from pathlib import Path

from cryptoterm import __version__
from cryptoterm.config import AppConfig
from cryptoterm.config.loader import ENV_VAR, default_config_path
from cryptoterm.wiring.options import RunOptions
from cryptoterm.wiring.paths import resolve_db_path

_LIBRARIES = ("textual", "ccxt", "websockets", "numpy", "pandas", "ta", "msgspec", "sqlite-utils", "apprise")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", dest="doctor_json", help="machine-readable output")


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "missing"


def _check_db(path: str) -> str:
    """Open the database read-only if it exists (never creates or migrates it from here)."""
    db = Path(path)
    if not db.exists():
        parent = db.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        writable = os.access(parent, os.W_OK)
        return "not created yet" + ("" if writable else f" (cannot write in {parent})")
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        return f"cannot open: {exc}"
    return f"schema v{version}, integrity {check}, {db.stat().st_size / 1e6:.1f} MB"


def run(config: AppConfig, args: argparse.Namespace, options: RunOptions) -> int:
    db_path = resolve_db_path(config, options)
    db_status = _check_db(db_path)
    report = {
        "cryptoterm": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "config_file": config.source or f"(built-in defaults; would read {default_config_path()} or ${ENV_VAR})",
        "database": db_path,
        "database_status": db_status,
        "exchange": config.exchange.id,
        "api_key": "set" if config.exchange.api_key else "not set",
        "notify_channels": len(config.notify.urls),
        "strategies": [s.name for s in config.strategy],
        "libraries": {name: _version(name) for name in _LIBRARIES},
    }
    if getattr(args, "doctor_json", False):
        print(json.dumps(report, indent=2))
    else:
        width = max(len(k) for k in report)
        for key, value in report.items():
            shown = ", ".join(f"{k} {v}" for k, v in value.items()) if isinstance(value, dict) else value
            if isinstance(value, list):
                shown = ", ".join(value) or "(none)"
            print(f"{key.replace('_', ' '):<{width}}  {shown}")
    healthy = not db_status.startswith("cannot") and "cannot write" not in db_status
    missing = [name for name, v in report["libraries"].items() if v == "missing"]  # type: ignore[union-attr]
    if missing:
        print(f"missing libraries: {', '.join(missing)}", file=sys.stderr)
    return 0 if healthy and not missing else 1
