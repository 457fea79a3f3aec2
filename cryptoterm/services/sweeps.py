"""Beyond one backtest: parameter sweeps, walk-forward analysis and the lookahead check.

* **Sweep**: a grid over a strategy's `params` (`--sweep n=7,14,21 --sweep k=1.5:3:0.5`); every point is the
  same strategy with its placeholders filled, backtested on inputs loaded once. Points are independent tasks
  sent in chunks to a `ComputeExecutor` (inline, a process pool, a Dask cluster: the same results).
* **Walk-forward**: rolling windows of `train` then `test`; the best point of a sweep on each train window is
  backtested on the test window that follows it (never seen by the choice), and the test windows are chained
  into one out-of-sample account: its equity carries from window to window.
* **Lookahead check**: the strategy evaluated on history cut at a bar must give, at that bar, the signal it
  gives there with the whole history; any difference is an indicator or term that reads the future.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import msgspec
import numpy as np
import pandas as pd

from cryptoterm.config.schema import StrategyConfig
from cryptoterm.domain.backtest.metrics import Metrics, compute_metrics
from cryptoterm.domain.backtest.rules import BacktestRules
from cryptoterm.domain.backtest.trades import PortfolioResult, TradeTable
from cryptoterm.domain.strategy import compile_strategy
from cryptoterm.domain.timeframes import timeframe_ms
from cryptoterm.ports.compute import ComputeCancelled, ComputeExecutor, TaskProgress
from cryptoterm.services.backtest_inputs import BacktestInputs, SymbolInputs, first_index
from cryptoterm.services.backtester import BacktestError, check_strategy, run_on_inputs

#: Metrics a sweep can rank by; all are "higher is better" except the drawdown.
RANKS = ("total_return", "sharpe", "sortino", "calmar", "profit_factor", "expectancy", "win_rate", "max_drawdown")

Point = dict[str, float]


def parse_sweep(specs: Sequence[str]) -> dict[str, list[float]]:
    """`["n=7,14,21", "k=1.5:3:0.5"]` → {"n": [7, 14, 21], "k": [1.5, 2, 2.5, 3]}; ValueError naming the spec."""
    out: dict[str, list[float]] = {}
    for spec in specs:
        name, sep, values = spec.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise ValueError(f"--sweep {spec!r}: expected NAME=V1,V2,… or NAME=START:STOP:STEP")
        try:
            if ":" in values:
                start, stop, step = (float(v) for v in values.split(":"))
                if step <= 0 or stop < start:
                    raise ValueError
                count = math.floor((stop - start) / step + 1e-9) + 1
                points = [round(start + i * step, 12) for i in range(count)]
            else:
                points = [float(v) for v in values.split(",") if v.strip()]
        except ValueError:
            raise ValueError(f"--sweep {spec!r}: values must be numbers (V1,V2,… or START:STOP:STEP)") from None
        if not points:
            raise ValueError(f"--sweep {spec!r}: no values")
        if name in out:
            raise ValueError(f"--sweep {name}: given twice")
        out[name] = list(dict.fromkeys(points))
    return out


def grid(spec: Mapping[str, Sequence[float]]) -> list[Point]:
    """Every combination of the swept values, the first parameter varying slowest."""
    names = list(spec)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*(spec[n] for n in names))]


def with_params(config: StrategyConfig, point: Mapping[str, float]) -> StrategyConfig:
    """The strategy with `point` overriding its params (each must be one of its placeholders)."""
    return msgspec.structs.replace(config, params={**config.params, **point})


def label(point: Mapping[str, float]) -> str:
    return " ".join(f"{k}={v:g}" for k, v in point.items())


def rank_value(metrics: Metrics, rank: str) -> float:
    """The ranked metric, oriented so that higher is better (NaN ranks last)."""
    value = float(getattr(metrics, rank))
    if math.isnan(value):
        return -math.inf
    return -value if rank == "max_drawdown" else value


@dataclass(frozen=True, slots=True)
class SweepPoint:
    params: Point
    metrics: Metrics | None
    error: str = ""


@dataclass(frozen=True, slots=True)
class SweepTask:
    """A chunk of grid points with everything needed to backtest them anywhere (picklable)."""

    config: StrategyConfig
    points: tuple[Point, ...]
    inputs: BacktestInputs
    rules: BacktestRules


def run_sweep_task(task: SweepTask) -> list[SweepPoint]:
    """Backtest each point of `task` (a module-level function: executors pickle it by reference)."""
    out: list[SweepPoint] = []
    for point in task.points:
        try:
            _, metrics, _, _ = run_on_inputs(with_params(task.config, point), task.inputs, task.rules, bootstrap_runs=0)
            out.append(SweepPoint(point, metrics))
        except BacktestError as exc:
            out.append(SweepPoint(point, None, str(exc)))
    return out


def check_grid(config: StrategyConfig, points: Sequence[Point], rules: BacktestRules) -> None:
    """Every point must compile (a swept name that is not a placeholder is an error before anything runs)."""
    for point in [*points[:1], *points[-1:]]:
        check_strategy(with_params(config, point), rules)


def sweep(
    config: StrategyConfig,
    points: Sequence[Point],
    inputs: BacktestInputs,
    rules: BacktestRules,
    executor: ComputeExecutor,
    *,
    rank: str = "sharpe",
    chunks: int = 8,
    progress: TaskProgress | None = None,
    cancel: threading.Event | None = None,
) -> list[SweepPoint]:
    """Backtest every point, best first by `rank` (points that failed last)."""
    if rank not in RANKS:
        raise ValueError(f"rank must be one of {', '.join(RANKS)}, got {rank!r}")
    size = max(1, math.ceil(len(points) / max(1, chunks)))
    tasks = [SweepTask(config, tuple(points[i : i + size]), inputs, rules) for i in range(0, len(points), size)]
    results = executor.map(run_sweep_task, tasks, progress=progress, cancel=cancel)
    flat = [p for chunk in results for p in chunk]
    return sorted(flat, key=lambda p: rank_value(p.metrics, rank) if p.metrics else -math.inf, reverse=True)


def inputs_window(inputs: BacktestInputs, since_ms: int, until_ms: int) -> BacktestInputs:
    """The same inputs cut to bars opening before `until_ms`, trading from `since_ms` (earlier bars are the
    warm-up, already loaded)."""
    symbols = []
    for item in inputs.symbols:
        frames = {tf: frame.loc[frame.index < until_ms] for tf, frame in item.frames.items()}
        base = frames[inputs.timeframe]
        labels = None if item.labels is None else item.labels[: len(base)]
        if len(base):
            symbols.append(SymbolInputs(item.symbol, frames, labels))
    return replace(inputs, since_ms=since_ms, until_ms=until_ms, symbols=tuple(symbols))


@dataclass(frozen=True, slots=True)
class Window:
    """One walk-forward step: the best point on `train`, and how it did on the `test` window after it."""

    train_start: int
    train_end: int
    test_end: int
    best: Point
    train_score: float
    test: Metrics


@dataclass(frozen=True, slots=True)
class WalkForward:
    windows: tuple[Window, ...]
    #: The test windows chained into one out-of-sample account.
    result: PortfolioResult
    metrics: Metrics


def walk_forward(
    config: StrategyConfig,
    points: Sequence[Point],
    inputs: BacktestInputs,
    rules: BacktestRules,
    executor: ComputeExecutor,
    *,
    train_ms: int,
    test_ms: int,
    rank: str = "sharpe",
    cancel: threading.Event | None = None,
    progress: TaskProgress | None = None,
) -> WalkForward:
    """Rolling train / test windows over the inputs' range (module docstring)."""
    times = _all_times(inputs)
    if times.size == 0:
        raise BacktestError("no candles in the range to walk forward over")
    start = int(times[0]) if inputs.since_ms is None else max(int(times[0]), inputs.since_ms)
    end = int(times[-1]) + timeframe_ms(inputs.timeframe)
    if inputs.until_ms is not None:
        end = min(end, inputs.until_ms)
    windows: list[Window] = []
    tables: list[TradeTable] = []
    curves: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    equity = rules.initial_equity
    train_start = start
    steps = max(0, math.ceil((end - start - train_ms) / test_ms))
    while train_start + train_ms < end:
        if cancel is not None and cancel.is_set():
            raise ComputeCancelled()
        train_end = train_start + train_ms
        test_end = min(train_end + test_ms, end)
        ranked = sweep(config, points, inputs_window(inputs, train_start, train_end), rules, executor, rank=rank)
        best = ranked[0]
        if best.metrics is None:
            raise BacktestError(f"no parameter set could be backtested: {best.error}")
        test_rules = replace(rules, initial_equity=equity)
        test_inputs = inputs_window(inputs, train_end, test_end)
        result, metrics, _, _ = run_on_inputs(with_params(config, best.params), test_inputs, test_rules)
        windows.append(Window(train_start, train_end, test_end, best.params, rank_value(best.metrics, rank), metrics))
        tables.append(result.table)
        curves.append((result.times, result.equity, result.exposed))
        equity = metrics.final_equity
        train_start += test_ms
        if progress is not None:
            progress(len(windows), steps)
    if not windows:
        raise BacktestError("the range is shorter than one train window plus a test window")
    chained = PortfolioResult(
        table=TradeTable.concat(tables),
        skipped=(),
        times=np.concatenate([c[0] for c in curves]),
        equity=np.concatenate([c[1] for c in curves]),
        exposed=np.concatenate([c[2] for c in curves]),
        initial_equity=rules.initial_equity,
    )
    return WalkForward(tuple(windows), chained, compute_metrics(chained, step_ms=timeframe_ms(inputs.timeframe)))


def _all_times(inputs: BacktestInputs) -> np.ndarray:
    arrays = [s.frames[inputs.timeframe].index.to_numpy() for s in inputs.symbols]
    return np.unique(np.concatenate(arrays)) if arrays else np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class Leak:
    """A bar whose signal differs between the whole history and the history cut at that bar."""

    symbol: str
    bar_time: int
    which: str  # "signal" | "exit"
    full: bool
    cut: bool


def lookahead_check(config: StrategyConfig, inputs: BacktestInputs, *, cuts: int = 200) -> list[Leak]:
    """Compare, at up to `cuts` bars per symbol, the signal on history cut at the bar with the signal there on
    the whole history (module docstring). Empty when the strategy never reads the future."""
    strategy = compile_strategy(config)
    leaks: list[Leak] = []
    for item in inputs.symbols:
        base = item.frames[strategy.timeframe]
        full = strategy.evaluate(item.frames, item.labels)
        begin = max(first_index(base, inputs.since_ms), strategy.warmup_bars)
        if begin >= len(base):
            continue
        for t in np.unique(np.linspace(begin, len(base) - 1, num=min(cuts, len(base) - begin)).astype(int)):
            labels = None if item.labels is None else item.labels[: t + 1]
            cut = strategy.evaluate(_cut(item, strategy.timeframe, int(t)), labels)
            pairs = [("signal", full.signal, cut.signal)]
            if full.exit_signal is not None and cut.exit_signal is not None:
                pairs.append(("exit", full.exit_signal, cut.exit_signal))
            for which, whole, truncated in pairs:
                if bool(whole[t]) != bool(truncated[-1]):
                    leaks.append(Leak(item.symbol, int(base.index[t]), which, bool(whole[t]), bool(truncated[-1])))
    return leaks


def _cut(item: SymbolInputs, base_tf: str, t: int) -> dict[str, pd.DataFrame]:
    """Every frame as it stood at the close of base bar `t` (higher bars only once closed by then)."""
    base = item.frames[base_tf]
    close = int(base.index[t]) + timeframe_ms(base_tf)
    out = {base_tf: base.iloc[: t + 1]}
    for tf, frame in item.frames.items():
        if tf != base_tf:
            out[tf] = frame.loc[frame.index + timeframe_ms(tf) <= close]
    return out
