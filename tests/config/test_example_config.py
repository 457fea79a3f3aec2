"""config.example.toml must load and must document every key of the schema."""

from __future__ import annotations

import tomllib
import types
import typing
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
        if typing.get_origin(nested) in (typing.Union, types.UnionType):
            options = [t for t in typing.get_args(nested) if t is not type(None)]
            if len(options) == 1:  # an optional table (`LevelsConfig | None`) documents the table's keys
                nested = options[0]
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
    documented |= {key.split(".")[0] for key in documented}  # a free-form table (`params`) counts by its name
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


def _doc_blocks(text: str) -> tuple[dict[tuple[str, str], str], str]:
    """The comment documenting each `key = …` line, per table; and the comments of the strategy section.

    A key's comment is the run of comment lines right above it; a key written right under another key shares
    that key's comment (`backoff_initial_s` and `backoff_max_s` are documented together).
    """
    blocks: dict[tuple[str, str], str] = {}
    table = ""
    comment: list[str] = []
    last = ""
    strategy_notes: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            comment.append(stripped.lstrip("# "))
            if stripped.startswith("# Strategies.") or strategy_notes:
                strategy_notes.append(comment[-1])
            continue
        if stripped.startswith("["):
            table = stripped.strip("[]")
            comment, last = [], ""
            continue
        if "=" in stripped and table != "strategy":
            key = stripped.split("=", 1)[0].strip()
            last = " ".join(comment) if comment else last
            blocks[(table, key)] = last
            comment = []
            continue
        comment, last = [], ""
    return blocks, " ".join(strategy_notes)


def test_example_documents_every_range_beside_its_key() -> None:
    """Each numeric key's comment states its range in the words errors use (`1 to 20`)."""
    from cryptoterm.config.ranges import range_of_type

    blocks, strategy_notes = _doc_blocks(EXAMPLE.read_text(encoding="utf-8"))
    undocumented: list[str] = []

    def walk(info: object, path: tuple[str, ...]) -> None:
        if isinstance(info, msgspec.inspect.StructType):
            for field in info.fields:
                walk(field.type, (*path, field.encode_name))
            return
        if isinstance(info, msgspec.inspect.ListType):
            walk(info.item_type, path)
            return
        allowed = range_of_type(info)
        if allowed is None:
            return
        *tables, key = path
        if tables[0] == "strategy":
            documented = f"{key}: {allowed.text}" in strategy_notes
        else:
            block = blocks.get((".".join(tables), key), "")
            named = f"{key}: " in block
            documented = f"{key}: {allowed.text}" in block if named else allowed.text in block
        if not documented:
            undocumented.append(".".join(path))

    walk(msgspec.inspect.type_info(AppConfig), ())
    assert undocumented == []
