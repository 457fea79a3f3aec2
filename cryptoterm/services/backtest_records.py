"""How a finished backtest, sweep or walk-forward run is written to the archive (`backtests`, `backtest_trades`),
and how a sweep loads its candles: one place for the `backtest` command and the backtest screen, so a run stored
from either reads back the same.

A single run keeps its equity curve downsampled to at most `EQUITY_POINTS` points (charts need no more) and all
its trades; a sweep keeps every point's parameters and metrics (ranked) as its metrics, without trades.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence

import msgspec

from cryptoterm.config.schema import StrategyConfig
from cryptoterm.domain.backtest.rules import BacktestRules
from cryptoterm.domain.backtest.trades import Trade
from cryptoterm.domain.strategy import compile_strategy
from cryptoterm.ports.backtests import BacktestArchive
from cryptoterm.services.backtest_inputs import BacktestInputs
from cryptoterm.services.backtester import Backtester, BacktestRun
from cryptoterm.services.strategy_archive import strategy_toml
from cryptoterm.services.sweeps import Point, SweepPoint, with_params

#: Points of the equity curve kept with a stored run (charts do not need every bar).
EQUITY_POINTS = 2_000


def load_for(
    backtester: Backtester,
    config: StrategyConfig,
    points: Sequence[Point],
    symbols: Sequence[str],
    since: int | None,
    until: int | None,
) -> BacktestInputs:
    """The candles every point reads (the longest warm-up, every timeframe)."""
    strategies = [compile_strategy(with_params(config, p)) for p in (points or [{}])]
    return backtester.load(strategies, symbols, since, until)


def save_run(archive: BacktestArchive, run: BacktestRun, exchange: str, *, created_ms: int) -> int:
    """Store a single backtest with its trades and its (downsampled) equity curve; returns its id."""
    result = run.result
    stride = max(1, math.ceil(result.times.size / EQUITY_POINTS))
    equity = [(int(t), float(e)) for t, e in zip(result.times[::stride], result.equity[::stride], strict=True)]
    return int(
        archive.save_backtest(
            created_ms=created_ms,
            kind="single",
            label="",
            strategy=run.request.strategy.name,
            toml=run.toml,
            digest=run.digest,
            exchange=exchange,
            timeframe=run.request.strategy.timeframe,
            symbols=run.request.symbols,
            since_ms=run.request.since_ms,
            until_ms=run.request.until_ms,
            rules=msgspec.to_builtins(run.request.rules),
            metrics=run.metrics.as_dict(),
            equity=equity,
            errors=run.errors,
            trades=result.trades,
        )
    )


def save_analysis(
    archive: BacktestArchive,
    kind: str,
    label: str,
    config: StrategyConfig,
    inputs: BacktestInputs,
    rules: BacktestRules,
    exchange: str,
    metrics: Mapping[str, object],
    *,
    created_ms: int,
    trades: Sequence[Trade] = (),
) -> int:
    """Store a sweep or walk-forward run (`kind`), its summary as its metrics; returns its id."""
    toml = strategy_toml(config)
    return int(
        archive.save_backtest(
            created_ms=created_ms,
            kind=kind,
            label=label,
            strategy=config.name,
            toml=toml,
            digest=hashlib.sha256(toml.encode("utf-8")).hexdigest(),
            exchange=exchange,
            timeframe=config.timeframe,
            symbols=[s.symbol for s in inputs.symbols],
            since_ms=inputs.since_ms,
            until_ms=inputs.until_ms,
            rules=msgspec.to_builtins(rules),
            metrics=metrics,
            equity=[],
            errors=list(inputs.errors),
            trades=trades,
        )
    )


def sweep_summary(ranked: Sequence[SweepPoint], rank: str) -> dict[str, object]:
    """What a stored sweep keeps: the rank metric and every point, best first."""
    return {
        "rank": rank,
        "points": [
            {"params": p.params, "metrics": p.metrics.as_dict() if p.metrics else None, "error": p.error}
            for p in ranked
        ],
    }
