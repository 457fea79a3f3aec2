"""Where finished backtests are kept (`backtests`, `backtest_trades`), so runs can be listed, reopened and
compared later, each with the exact strategy TOML that produced it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptoterm.domain.backtest.trades import Trade


@dataclass(frozen=True, slots=True)
class BacktestRecord:
    """One stored backtest (without its trades)."""

    id: int
    created_ms: int
    kind: str
    label: str
    strategy: str
    strategy_hash: str
    timeframe: str
    symbols: list[str]
    since_ms: int | None
    until_ms: int | None
    metrics: dict[str, object]


class BacktestArchive(Protocol):
    """Saves a backtest with its trades in one transaction; lists and reads them back."""

    def save_backtest(
        self,
        *,
        created_ms: int,
        kind: str,
        label: str,
        strategy: str,
        toml: str,
        digest: str,
        exchange: str,
        timeframe: str,
        symbols: Sequence[str],
        since_ms: int | None,
        until_ms: int | None,
        rules: Mapping[str, object],
        metrics: Mapping[str, object],
        equity: Sequence[tuple[int, float]],
        errors: Sequence[str],
        trades: Sequence[Trade],
    ) -> int: ...

    def backtests(self, limit: int = 50, strategy: str | None = None) -> list[BacktestRecord]: ...

    def backtest_trades(self, backtest_id: int) -> list[Trade]: ...

    def backtest_equity(self, backtest_id: int) -> list[tuple[int, float]]:
        """The stored (downsampled) equity curve: (bar open time, equity) pairs; empty for sweeps."""
        ...
