"""Where the database file lives: `--db`, then `[store].path`, then the platform data dir."""

from __future__ import annotations

from pathlib import Path

import platformdirs

from cryptoterm.config import AppConfig
from cryptoterm.wiring.options import RunOptions


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir("cryptoterm")) / "cryptoterm.db"


def resolve_db_path(config: AppConfig, options: RunOptions) -> str:
    if options.db_path:
        return str(Path(options.db_path).expanduser())
    if config.store.path:
        return str(Path(config.store.path).expanduser())
    return str(default_db_path())
