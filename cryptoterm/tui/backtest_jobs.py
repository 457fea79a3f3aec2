"""The backtest screen's work, each job run in a thread worker (never on the event loop): the store's catalog,
a backtest, a sweep, the stored runs, a comparison, a trade's chart.

Every job goes through the services the `backtest` command uses — `Backtester.run`, `services.sweeps.sweep` on
the `[compute]` executor, `backtest_records` to store — over the engine's own store, and hands back a value the
screen shows, or one line saying why there is none (a cancelled run, a mode without a database).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from cryptoterm.domain.backtest.trades import Trade
from cryptoterm.domain.market import Candle
from cryptoterm.domain.timeframes import TIMEFRAMES, timeframe_ms
from cryptoterm.ports.backtests import BacktestRecord
from cryptoterm.tui.backtest_form_model import BacktestOrder, Catalog
from cryptoterm.tui.backtest_view import RunView, SweepView
from cryptoterm.tui.context import TuiSession
from cryptoterm.tui.widgets.chart_overlays import PriceLevel
from cryptoterm.wiring.backtesting import BacktestTools

#: Called from the worker thread with (done, total).
Progress = Callable[[int, int], None]
#: Sweep tasks at most: up to this many points each point is its own task (progress per point); beyond it
#: points are chunked so a process pool is not handed thousands of copies of the candles.
SWEEP_TASKS = 256
#: Bars of a trade's chart before its signal bar and after its exit.
BARS_BEFORE, BARS_AFTER = 40, 20
RUNS_LISTED = 200


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """What a run job hands back: a run, a sweep, or the one line saying why there is neither."""

    run: RunView | None = None
    sweep: SweepView | None = None
    message: str = ""


@dataclass(frozen=True, slots=True)
class TradeChart:
    """A trade on its candles: the bars around it, its levels as lines, the entry bar marked."""

    trade: Trade
    timeframe: str
    candles: tuple[Candle, ...]
    levels: tuple[PriceLevel, ...]
    marker_time: int
    note: str = ""


@dataclass(frozen=True, slots=True)
class Comparison:
    """Stored runs side by side, each with its stored equity curve (empty for sweeps)."""

    records: tuple[BacktestRecord, ...]
    equity: tuple[tuple[tuple[int, float], ...], ...] = field(default_factory=tuple)


def tools_for(session: TuiSession) -> BacktestTools:
    """The backtest parts over the engine's store (raises `StartupError` in a mode without a database)."""
    from cryptoterm.wiring.backtesting import backtesting_on

    runtime = session.runtime
    return backtesting_on(runtime.store, runtime.exchange, session.config, session.symbols)


def load_catalog(session: TuiSession) -> Catalog | str:
    """Symbols by stored timeframe and each strategy's universe (worker thread)."""
    from cryptoterm.services.backtester import backtest_symbols
    from cryptoterm.wiring.errors import StartupError

    try:
        tools = tools_for(session)
    except StartupError as exc:
        return str(exc)
    stored = {tf: tuple(tools.candles.symbols_with_candles(tools.exchange, tf)) for tf in TIMEFRAMES}
    universes = {s.name: backtest_symbols((), tools.universe, s.name) for s in session.config.strategy}
    return Catalog(tools.exchange, stored, universes)


def run_order(
    session: TuiSession, order: BacktestOrder, progress: Progress, cancel: threading.Event, now_ms: int
) -> RunOutcome:
    """Backtest `order` (a sweep when it has one) and store it as the command does (worker thread)."""
    from cryptoterm.ports.compute import ComputeCancelled
    from cryptoterm.services.backtester import BacktestError, Cancelled
    from cryptoterm.wiring.errors import StartupError

    try:
        tools = tools_for(session)
        if order.sweep:
            return _sweep(session, tools, order, progress, cancel, now_ms)
        return _single(tools, order, progress, cancel, now_ms)
    except (Cancelled, ComputeCancelled):
        return RunOutcome(message="Cancelled; the previous results stay.")
    except (BacktestError, StartupError) as exc:
        return RunOutcome(message=str(exc))


def _single(
    tools: BacktestTools, order: BacktestOrder, progress: Progress, cancel: threading.Event, now_ms: int
) -> RunOutcome:
    from cryptoterm.services.backtest_records import save_run
    from cryptoterm.services.backtester import BacktestRequest

    request = BacktestRequest(order.strategy, order.symbols, order.rules, order.since_ms, order.until_ms)
    run = tools.backtester.run(request, progress=progress, cancel=cancel)
    backtest_id = save_run(tools.archive, run, tools.exchange, created_ms=now_ms)
    result = run.result
    return RunOutcome(
        run=RunView(
            strategy=order.strategy,
            symbols=order.symbols,
            rules=order.rules,
            since_ms=order.since_ms,
            until_ms=order.until_ms,
            metrics=run.metrics.as_dict(),
            times=result.times,
            equity=result.equity,
            drawdown=RunView.drawdown_of(result.equity, result.initial_equity),
            trades=result.trades,
            stops=tuple(result.table.stop.tolist()),
            skipped=len(result.skipped),
            errors=run.errors,
            notes=run.notes,
            backtest_id=backtest_id,
        )
    )


def _sweep(
    session: TuiSession,
    tools: BacktestTools,
    order: BacktestOrder,
    progress: Progress,
    cancel: threading.Event,
    now_ms: int,
) -> RunOutcome:
    import math

    from cryptoterm.services.backtest_records import load_for, save_analysis, sweep_summary
    from cryptoterm.services.sweeps import grid, label, sweep
    from cryptoterm.wiring.compute import build_executor

    points = grid(order.sweep)
    total = len(points)
    chunks = min(total, SWEEP_TASKS)
    size = math.ceil(total / chunks)
    progress(0, total)
    inputs = load_for(tools.backtester, order.strategy, points, order.symbols, order.since_ms, order.until_ms)
    executor = build_executor(session.config.compute)
    try:
        ranked = sweep(
            order.strategy, points, inputs, order.rules, executor, rank=order.rank, chunks=chunks,
            progress=lambda done, _tasks: progress(min(total, done * size), total), cancel=cancel,
        )  # fmt: skip
    finally:
        executor.close()
    summary = sweep_summary(ranked, order.rank)
    backtest_id = save_analysis(
        tools.archive, "sweep", f"rank {order.rank}", order.strategy, inputs, order.rules, tools.exchange, summary,
        created_ms=now_ms,
    )  # fmt: skip
    failed = [f"{label(p.params)}: {p.error}" for p in ranked if p.metrics is None]
    return RunOutcome(
        sweep=SweepView(
            strategy=order.strategy,
            symbols=order.symbols,
            rules=order.rules,
            since_ms=order.since_ms,
            until_ms=order.until_ms,
            spec=order.sweep,
            rank=order.rank,
            points=tuple(ranked),
            errors=(*inputs.errors, *failed),
            backtest_id=backtest_id,
        )
    )


def load_runs(session: TuiSession) -> list[BacktestRecord] | str:
    """The stored runs, newest first (worker thread)."""
    from cryptoterm.wiring.errors import StartupError

    try:
        return tools_for(session).archive.backtests(limit=RUNS_LISTED)
    except StartupError as exc:
        return str(exc)


def load_comparison(session: TuiSession, records: Sequence[BacktestRecord]) -> Comparison:
    """Each run's stored equity curve (worker thread)."""
    archive = tools_for(session).archive
    return Comparison(tuple(records), tuple(tuple(archive.backtest_equity(r.id)) for r in records))


def load_trade_chart(session: TuiSession, run: RunView, index: int) -> TradeChart:
    """Trade `index` of `run` on its candles, with its entry, stop, targets and exit (worker thread).

    The run's own range is read again and the strategy evaluated over it, as the backtest did, so the targets
    drawn are exactly the levels of the signal bar the trade was planned from.
    """
    from cryptoterm.domain.strategy import LevelsError, compile_strategy, levels_at_bar

    trade = run.trades[index]
    strategy = compile_strategy(run.strategy)
    timeframe = strategy.timeframe
    step = timeframe_ms(timeframe)
    inputs = tools_for(session).backtester.load([strategy], [trade.symbol], run.since_ms, run.until_ms)
    if not inputs.symbols:
        return TradeChart(trade, timeframe, (), _levels(trade, run.stops[index], ()), trade.entry_time,
                          note=f"no {timeframe} candles of {trade.symbol} are stored any more")  # fmt: skip
    frames = inputs.symbols[0].frames
    base = frames[timeframe]
    times = base.index.to_numpy()
    targets: tuple[float, ...] = ()
    note = ""
    if strategy.has_levels:
        signal = int(np.searchsorted(times, trade.signal_time))
        try:
            found = levels_at_bar(
                strategy.levels_series(frames), signal, strategy=strategy.name, direction=strategy.direction,
                warmup=strategy.warmup_bars,
            )  # fmt: skip
            targets = found.targets
        except LevelsError as exc:
            note = str(exc)
    lo = int(np.searchsorted(times, trade.signal_time - BARS_BEFORE * step))
    hi = int(np.searchsorted(times, trade.exit_time + (BARS_AFTER + 1) * step))
    window = base.iloc[lo:hi]
    candles = tuple(
        Candle(int(t), float(o), float(h), float(low), float(c), float(v))
        for t, o, h, low, c, v in zip(
            window.index, window["open"], window["high"], window["low"], window["close"], window["volume"],
            strict=True,
        )
    )  # fmt: skip
    return TradeChart(trade, timeframe, candles, _levels(trade, run.stops[index], targets), trade.entry_time, note)


def _levels(trade: Trade, stop: float, targets: Sequence[float]) -> tuple[PriceLevel, ...]:
    """Entry (yellow), stop (red), each target (green) and the exit (magenta) as lines."""
    import math

    levels = [PriceLevel("entry", trade.entry_price, "yellow")]
    if math.isfinite(stop):
        levels.append(PriceLevel("stop", stop, "red"))
    levels += [PriceLevel(f"target {i}", t, "green") for i, t in enumerate(targets, start=1)]
    levels.append(PriceLevel("open at" if trade.open else f"exit ({trade.reason})", trade.exit_price, "magenta"))
    return tuple(levels)
