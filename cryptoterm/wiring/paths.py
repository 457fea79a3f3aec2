"""Where the database file lives: `--db`, then `[store].path`, then the platform data dir.

The simulated market gets a file of its own (`…-demo.db` beside the configured one): simulated BTC/USDT bars
must never advance a real BTC/USDT setup or mix into real candles. Only an explicit `--db` overrides that.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

from cryptoterm.config import AppConfig
from cryptoterm.wiring.options import RunOptions


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir("cryptoterm")) / "cryptoterm.db"


def demo_db_path(path: Path) -> Path:
    """The demo's database beside `path`: cryptoterm.db → cryptoterm-demo.db."""
    return path.with_name(f"{path.stem}-demo{path.suffix or '.db'}")


def resolve_db_path(config: AppConfig, options: RunOptions) -> str:
    if options.db_path:
        return str(Path(options.db_path).expanduser())
    path = Path(config.store.path).expanduser() if config.store.path else default_db_path()
    return str(demo_db_path(path) if options.mode == "demo" else path)
