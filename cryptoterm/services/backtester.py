"""Backtests of a configured strategy on stored history: the scanner's own evaluation and setup walk.

For each symbol the backtester reads the strategy's timeframe (and every `@tf` it names, and the regime
reference when it tests the regime) over the requested range plus a warm-up before it, evaluates the strategy
once over the whole series — the same compiled strategy, the same arrays the scanner reads the last element
of — and plans its trades with the configured fill (`levels`: the walk that opens the scanner's setups;
`next_open`: market orders). One account then sizes every symbol's trades (`domain.backtest.portfolio`) and
the metrics are computed. A timeframe that is not stored is derived exactly from a stored lower one; a symbol
without history is an error entry, never a failed run.

Synchronous and CPU-bound: the TUI runs it in a thread worker, the `backtest` command in its own thread.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cryptoterm.config.schema import ScannerConfig, StrategyConfig
from cryptoterm.domain.backtest.metrics import Metrics, compute_metrics
from cryptoterm.domain.backtest.plans import PlanTable, plans_from_walk, plans_next_open
from cryptoterm.domain.backtest.portfolio import PortfolioResult, SymbolSeries, simulate
from cryptoterm.domain.backtest.rules import BacktestRules
from cryptoterm.domain.redaction import redact
from cryptoterm.domain.setup_walk import OhlcvArrays, SetupRules, walk_setups
from cryptoterm.domain.strategy import CompiledStrategy, LevelSeries, StrategyError, TermResult, compile_strategy
from cryptoterm.domain.timeframes import timeframe_ms
from cryptoterm.ports.candles import CandleReader
from cryptoterm.services.backtest_inputs import BacktestInputs, SymbolInputs, first_index, load_inputs
from cryptoterm.services.scanner import ohlcv_arrays
from cryptoterm.services.strategy_archive import strategy_toml
from cryptoterm.services.universe_provider import UniverseProvider

log = logging.getLogger(__name__)

#: Called with (symbols done, symbols in all) as the backtest goes.
Progress = Callable[[int, int], None]


class BacktestError(ValueError):
    """A backtest that cannot run as asked (the strategy does not compile, the fill needs levels it lacks)."""


class Cancelled(Exception):
    """The backtest was cancelled between symbols."""


@dataclass(frozen=True, slots=True)
class BacktestRequest:
    """What to backtest: a strategy definition on symbols over [since_ms, until_ms) with rules."""

    strategy: StrategyConfig
    symbols: tuple[str, ...]
    rules: BacktestRules
    since_ms: int | None = None
    until_ms: int | None = None


@dataclass(frozen=True, slots=True)
class BacktestRun:
    """A finished backtest: its result, metrics, and what it had to say about its data."""

    request: BacktestRequest
    result: PortfolioResult
    metrics: Metrics
    toml: str
    digest: str
    errors: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    plans: dict[str, PlanTable] = field(default_factory=dict)


def check_strategy(config: StrategyConfig, rules: BacktestRules) -> CompiledStrategy:
    """The compiled strategy, or BacktestError when it does not compile or cannot use `rules`."""
    try:
        strategy = compile_strategy(config)
    except StrategyError as exc:
        raise BacktestError(str(exc)) from None
    if rules.fill == "levels" and not strategy.has_levels:
        raise BacktestError(
            f'strategy "{strategy.name}" has no levels (entry and stop): fill = "levels" trades the scanner\'s'
            ' setups, which need them; use fill = "next_open"'
        )
    if rules.sizing == "risk" and not strategy.has_levels:
        raise BacktestError(
            f'strategy "{strategy.name}" has no stop to size by risk; use sizing = "equity_pct" or "fixed"'
        )
    return strategy


def run_on_inputs(
    config: StrategyConfig, inputs: BacktestInputs, rules: BacktestRules, *, bootstrap_runs: int = 1_000
) -> tuple[PortfolioResult, Metrics, dict[str, PlanTable], tuple[str, ...]]:
    """The backtest of `config` on loaded `inputs`: pure, and picklable by reference (sweeps send it to
    other processes). Returns the result, its metrics, each symbol's plans and per-symbol errors."""
    strategy = check_strategy(config, rules)
    plans: dict[str, PlanTable] = {}
    series: dict[str, SymbolSeries] = {}
    errors: list[str] = []
    for symbol_inputs in inputs.symbols:
        try:
            plans[symbol_inputs.symbol], series[symbol_inputs.symbol] = _plan_symbol(
                strategy, symbol_inputs, rules, inputs.since_ms
            )
        except Exception as exc:
            errors.append(redact(f"{symbol_inputs.symbol}: {type(exc).__name__}: {exc}"))
    result = simulate(plans, series, rules)
    metrics = compute_metrics(result, step_ms=timeframe_ms(strategy.timeframe), bootstrap_runs=bootstrap_runs)
    return result, metrics, plans, tuple(errors)


class Backtester:
    """Runs backtests over the store's candles under `exchange`. See the module docstring."""

    def __init__(self, candles: CandleReader, exchange: str, scanner: ScannerConfig) -> None:
        self._candles = candles
        self._exchange = exchange
        self._scanner = scanner

    def load(
        self,
        strategies: Sequence[CompiledStrategy],
        symbols: Sequence[str],
        since_ms: int | None,
        until_ms: int | None,
    ) -> BacktestInputs:
        """What every one of `strategies` (one definition under several parameter sets) reads on `symbols`."""
        first = strategies[0]
        return load_inputs(
            self._candles,
            self._exchange,
            self._scanner,
            timeframe=first.timeframe,
            timeframes=sorted(set().union(*(s.timeframes_needed for s in strategies))),
            warmup_bars=max(s.warmup_bars for s in strategies),
            uses_regime=any(s.uses_regime for s in strategies),
            symbols=symbols,
            since_ms=since_ms,
            until_ms=until_ms,
        )

    def run(
        self, request: BacktestRequest, *, progress: Progress | None = None, cancel: threading.Event | None = None
    ) -> BacktestRun:
        """Backtest `request` (module docstring). Raises BacktestError, or Cancelled when `cancel` is set."""
        strategy = check_strategy(request.strategy, request.rules)
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        inputs = self.load([strategy], request.symbols, request.since_ms, request.until_ms)
        if progress is not None:
            progress(len(request.symbols), len(request.symbols))
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        result, metrics, plans, errors = run_on_inputs(request.strategy, inputs, request.rules)
        toml = strategy_toml(request.strategy)
        return BacktestRun(
            request=request,
            result=result,
            metrics=metrics,
            toml=toml,
            digest=hashlib.sha256(toml.encode("utf-8")).hexdigest(),
            errors=(*inputs.errors, *errors),
            notes=inputs.notes,
            plans=plans,
        )


def _plan_symbol(
    strategy: CompiledStrategy, inputs: SymbolInputs, rules: BacktestRules, since_ms: int | None
) -> tuple[PlanTable, SymbolSeries]:
    """One symbol's trade plans from the bar at `since_ms` on, and its bars from there (for the account).

    The strategy is evaluated over every loaded bar (the warm-up included), then the arrays are cut at the
    first traded bar: plans count bars from there, and warm-up bars are never traded or marked.
    """
    frames = inputs.frames
    base = frames[strategy.timeframe]
    step = timeframe_ms(strategy.timeframe)
    evaluator = strategy.evaluator(frames, inputs.labels)
    evaluation = strategy.evaluate(frames, inputs.labels, evaluator=evaluator)
    start = first_index(base, since_ms)
    bars = _from(ohlcv_arrays(base), start)
    levels = strategy.levels_series(frames, evaluator=evaluator) if strategy.has_levels else None
    if levels is not None and start:
        levels = LevelSeries(
            levels.entry[start:],
            levels.stop[start:],
            tuple(t[start:] for t in levels.targets),
            None if levels.entry_zone is None else levels.entry_zone[start:],
        )
    signal = evaluation.signal[start:]
    exits = None if evaluation.exit_signal is None else evaluation.exit_signal[start:]
    side = -1 if strategy.direction == "short" else 1
    if rules.fill == "levels":
        assert levels is not None
        terms = [TermResult(t.text, t.passed[start:], {k: v[start:] for k, v in t.values.items()}, t.section)
                 for t in evaluation.terms]  # fmt: skip
        setup_rules = SetupRules(
            strategy=strategy.name,
            symbol=inputs.symbol,
            timeframe=strategy.timeframe,
            direction="short" if side < 0 else "long",
            expires_bars=strategy.expires_bars,
            equity=rules.initial_equity,
            risk_pct=rules.risk_pct,
            warmup_bars=strategy.warmup_bars,
        )
        now = int(base.index[-1]) + step if len(base) else 0
        walk = walk_setups(bars, signal, levels, terms, setup_rules, start=0, now_ms=now, exit_signal=exits)
        plans = plans_from_walk(walk, bars)
    else:
        plans = plans_next_open(bars, signal, exits, levels, side)
    return plans, SymbolSeries(bars.open_time, bars.close)


def _from(bars: OhlcvArrays, start: int) -> OhlcvArrays:
    if not start:
        return bars
    return OhlcvArrays(
        bars.open_time[start:], bars.open[start:], bars.high[start:], bars.low[start:], bars.close[start:],
        bars.volume[start:],
    )  # fmt: skip


def backtest_symbols(chosen: Sequence[str], universe: UniverseProvider, strategy: str) -> tuple[str, ...]:
    """The symbols of a backtest: those asked for, else the strategy's universe as the scanner would resolve
    it from the store (its fixed list, or the top N by stored 24 h quote volume, or the watchlist)."""
    if chosen:
        return tuple(dict.fromkeys(chosen))
    return tuple(universe.symbols_for(strategy))
