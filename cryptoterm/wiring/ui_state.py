"""Which store keeps the TUI's remembered state: a JSON file beside the database the run uses.

Beside the database, so each database (the live one, the demo's own `…-demo.db`, one given with `--db`) has
its own watchlist and choices: the simulated market's symbols never replace a live watchlist. An in-memory
database (`:memory:`) and replays (their watchlist is the recording's) remember nothing across runs.
"""

from __future__ import annotations

from pathlib import Path

from cryptoterm.adapters.ui_state import JsonUiStateFile
from cryptoterm.config import AppConfig
from cryptoterm.ports.ui_state import MemoryUiState, UiStateStore
from cryptoterm.wiring.options import RunOptions
from cryptoterm.wiring.paths import resolve_db_path


def ui_state_path(db_path: str) -> Path:
    """cryptoterm.db → cryptoterm.ui.json, in the same directory."""
    path = Path(db_path)
    return path.with_name(f"{path.stem}.ui.json")


def open_ui_state(config: AppConfig, options: RunOptions) -> UiStateStore:
    """The state store for this run (constructing it reads nothing; `load()` does)."""
    db_path = resolve_db_path(config, options)
    if options.mode == "replay" or db_path == ":memory:":
        return MemoryUiState()
    return JsonUiStateFile(ui_state_path(db_path))
