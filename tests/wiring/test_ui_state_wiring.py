"""Each database has its remembered-state file beside it; replays and in-memory databases remember nothing."""

from __future__ import annotations

from pathlib import Path

import msgspec

from cryptoterm.adapters.ui_state import JsonUiStateFile
from cryptoterm.config.schema import AppConfig
from cryptoterm.ports.ui_state import MemoryUiState
from cryptoterm.wiring.options import RunOptions
from cryptoterm.wiring.ui_state import open_ui_state


def config_with_db(path: Path) -> AppConfig:
    config = AppConfig()
    return msgspec.structs.replace(config, store=msgspec.structs.replace(config.store, path=str(path)))


def test_the_state_file_sits_beside_the_database(tmp_path: Path) -> None:
    config = config_with_db(tmp_path / "cryptoterm.db")
    live = open_ui_state(config, RunOptions(mode="live"))
    demo = open_ui_state(config, RunOptions(mode="demo"))
    given = open_ui_state(config, RunOptions(mode="live", db_path=str(tmp_path / "other.db")))
    assert isinstance(live, JsonUiStateFile) and live.location == tmp_path / "cryptoterm.ui.json"
    assert demo.location == tmp_path / "cryptoterm-demo.ui.json"
    assert given.location == tmp_path / "other.ui.json"
    assert list(tmp_path.iterdir()) == []  # opening reads and writes nothing


def test_replays_and_memory_databases_remember_nothing(tmp_path: Path) -> None:
    config = config_with_db(tmp_path / "cryptoterm.db")
    assert isinstance(open_ui_state(config, RunOptions(mode="replay", replay_path="x.jsonl")), MemoryUiState)
    assert isinstance(open_ui_state(config, RunOptions(mode="live", db_path=":memory:")), MemoryUiState)
