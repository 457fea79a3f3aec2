"""Strategy snapshots: the TOML a scan ran with is stored, round-trips, and is rewritten only when it changes."""

from __future__ import annotations

import tomllib
from pathlib import Path

import msgspec

from cryptoterm.adapters.store import SqliteStore
from cryptoterm.adapters.store.setups_repo import SetupsRepo
from cryptoterm.config import load_config
from cryptoterm.config.schema import StrategyConfig
from cryptoterm.services.strategy_archive import snapshot_strategies, strategy_toml

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


def test_toml_round_trips_to_the_same_strategy() -> None:
    for strategy in load_config(str(EXAMPLE)).strategy:
        parsed = tomllib.loads(strategy_toml(strategy))["strategy"][0]
        assert msgspec.convert(parsed, StrategyConfig) == msgspec.structs.replace(strategy, source="")


def test_snapshots_are_stored_and_only_rewritten_on_change(tmp_path: Path) -> None:
    strategies = load_config(str(EXAMPLE)).strategy
    with SqliteStore(tmp_path / "s.db", batch_ms=0) as store:
        repo = SetupsRepo(store)
        assert snapshot_strategies(repo, strategies, now_ms=1_000) == len(strategies)
        snapshot_strategies(repo, strategies, now_ms=2_000)
        changed = msgspec.structs.replace(strategies[0], when=["rsi(14) < 25"])
        snapshot_strategies(repo, [changed], now_ms=3_000)
        store.flush()
        with store.reader() as db:
            rows = {r[0]: r for r in db.execute("SELECT name, toml, hash, updated_ms, source FROM strategies")}
    assert set(rows) == {s.name for s in strategies}
    assert rows[strategies[1].name][3] == 1_000  # unchanged: not rewritten
    first = rows[strategies[0].name]
    assert first[3] == 3_000 and "rsi(14) < 25" in first[1]
    assert first[4].endswith("config.example.toml")
