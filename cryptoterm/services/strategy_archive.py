"""The archive of strategy definitions scans ran with, so every setup traces back to its exact rules.

A strategy file changes over time; the `strategies` table keeps the TOML each strategy had when it was last
scanned (written only when its content hash or enabled flag changes), so a setup opened last month can still be
explained by the rules that opened it. Every scan archives its strategies, whichever face ran it (the TUI,
`--headless`, `--scan-once`); `StrategyArchiver` remembers what it wrote so an unchanged strategy costs no write.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Protocol

import msgspec
import tomli_w

from cryptoterm.config.schema import StrategyConfig


class StrategySnapshotSink(Protocol):
    def save_strategy(
        self, *, name: str, source: str, toml: str, digest: str, enabled: bool, updated_ms: int
    ) -> None: ...


def strategy_toml(strategy: StrategyConfig) -> str:
    """The strategy as a `[[strategy]]` TOML table, as a user would write it (defaults included)."""
    table = msgspec.to_builtins(strategy)
    table.pop("source", None)
    if table.get("levels") is None:  # TOML has no null: an absent table means the same
        table.pop("levels", None)
    return tomli_w.dumps({"strategy": [table]})


def snapshot_strategies(sink: StrategySnapshotSink, strategies: Iterable[StrategyConfig], now_ms: int) -> int:
    """Record each strategy's current definition; returns how many were offered to the store."""
    count = 0
    for strategy in strategies:
        text = strategy_toml(strategy)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        sink.save_strategy(
            name=strategy.name,
            source=strategy.source,
            toml=text,
            digest=digest,
            enabled=strategy.enabled,
            updated_ms=now_ms,
        )
        count += 1
    return count


class StrategyArchiver:
    """Archives strategies before each scan, writing only those whose definition or enabled flag changed
    since this process last archived them (the store also refuses unchanged rows; this saves the write)."""

    def __init__(self, sink: StrategySnapshotSink) -> None:
        self._sink = sink
        self._written: dict[str, tuple[str, bool]] = {}

    def archive(self, strategies: Iterable[StrategyConfig], now_ms: int) -> int:
        """Record the definitions that changed; returns how many were written."""
        changed = []
        for strategy in strategies:
            digest = hashlib.sha256(strategy_toml(strategy).encode("utf-8")).hexdigest()
            if self._written.get(strategy.name) != (digest, strategy.enabled):
                changed.append(strategy)
                self._written[strategy.name] = (digest, strategy.enabled)
        return snapshot_strategies(self._sink, changed, now_ms) if changed else 0
