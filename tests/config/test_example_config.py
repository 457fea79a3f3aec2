"""config.example.toml must load and must document every key of the schema."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import msgspec

from cryptoterm.config import AppConfig, load_config

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"
# Keys of a [[strategy]] that are optional per strategy and need not appear in every example.
_OPTIONAL_STRATEGY_KEYS = {"source"}


def _schema_keys(struct: type[msgspec.Struct], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for field in msgspec.structs.fields(struct):
        path = f"{prefix}{field.encode_name}"
        nested = field.type
        if isinstance(nested, type) and issubclass(nested, msgspec.Struct):
            keys |= _schema_keys(nested, path + ".")
        else:
            keys.add(path)
    return keys


def _file_keys(table: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            keys |= _file_keys(value, path + ".")
        else:
            keys.add(path)
    return keys


def test_example_loads() -> None:
    config = load_config(str(EXAMPLE))
    assert len(config.strategy) >= 5
    assert config.strategy[0].name == "rsi-pullback"


def test_example_documents_every_key() -> None:
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    strategies = raw.pop("strategy")
    expected = _schema_keys(AppConfig) - {"strategy", "source"}
    assert expected - _file_keys(raw) == set()
    documented = set().union(*(_file_keys(s) for s in strategies))
    from cryptoterm.config.schema import StrategyConfig, UniverseConfig

    strategy_keys = {k for k in _schema_keys(StrategyConfig) if not k.startswith("universe.")}
    universe_keys = {f"universe.{k}" for k in _schema_keys(UniverseConfig)}
    assert (strategy_keys | universe_keys) - documented - _OPTIONAL_STRATEGY_KEYS == set()


def test_example_strategies_compile() -> None:
    """Every strategy shipped in the example is valid in the strategy language (errors would name the term)."""
    from cryptoterm.domain.strategy import compile_strategy

    config = load_config(str(EXAMPLE))
    compiled = [compile_strategy(s) for s in config.strategy]
    assert {c.direction for c in compiled} == {"long", "short"}
    assert {"1h", "4h"} <= {c.timeframe for c in compiled}
