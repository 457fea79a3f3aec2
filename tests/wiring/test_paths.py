"""Database location: explicit beats configured beats default, and the demo never shares a real database."""

from __future__ import annotations

from pathlib import Path

import msgspec

from cryptoterm.config import default_config
from cryptoterm.wiring.options import RunOptions
from cryptoterm.wiring.paths import default_db_path, resolve_db_path


def test_demo_gets_its_own_file_beside_the_default_and_the_configured_one(tmp_path: Path) -> None:
    config = default_config()
    assert resolve_db_path(config, RunOptions(mode="live")) == str(default_db_path())
    assert resolve_db_path(config, RunOptions(mode="demo")) == str(default_db_path().with_name("cryptoterm-demo.db"))
    configured = msgspec.structs.replace(
        config, store=msgspec.structs.replace(config.store, path=str(tmp_path / "t.db"))
    )
    assert resolve_db_path(configured, RunOptions(mode="live")) == str(tmp_path / "t.db")
    assert resolve_db_path(configured, RunOptions(mode="demo")) == str(tmp_path / "t-demo.db")


def test_explicit_db_is_used_as_given_in_every_mode(tmp_path: Path) -> None:
    for mode in ("live", "demo", "replay"):
        options = RunOptions(mode=mode, db_path=str(tmp_path / "x.sqlite"))  # type: ignore[arg-type]
        assert resolve_db_path(default_config(), options) == str(tmp_path / "x.sqlite")
