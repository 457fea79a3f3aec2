"""`cryptoterm backtest STRATEGY --sweep … | --walk-forward TRAIN:TEST | --lookahead-check`.

Each loads the strategy's candles once (every grid point's warm-up and timeframes), then runs its analysis
through the compute executor; output is a table or, with `--json`, one object. Sweeps and walk-forward runs are
stored (`backtests` kind `sweep` / `walk_forward`, the walk-forward with its out-of-sample trades). Exit codes as
the plain backtest; the lookahead check exits 1 when it finds a leak.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Mapping, Sequence
from typing import TextIO

import orjson

from cryptoterm.config.schema import StrategyConfig
from cryptoterm.domain.backtest.metrics import Metrics
from cryptoterm.domain.backtest.rules import BacktestRules
from cryptoterm.domain.backtest.trades import Trade
from cryptoterm.headless.dates import iso_utc
from cryptoterm.headless.figures import finite, num, pct
from cryptoterm.ports.backtests import BacktestArchive
from cryptoterm.ports.compute import ComputeExecutor
from cryptoterm.services import backtest_records as records
from cryptoterm.services.backtest_inputs import BacktestInputs
from cryptoterm.services.backtester import Backtester
from cryptoterm.services.sweeps import (
    Point,
    SweepPoint,
    check_grid,
    label,
    lookahead_check,
    sweep,
    walk_forward,
)

#: Sweep points printed in the table (all are in the JSON and the stored run).
SHOWN = 20
_DURATION_UNITS = {"m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000}


def parse_duration(text: str, option: str) -> int:
    """`90d`, `12h`, `4w` → milliseconds; ValueError naming the option."""
    value = text.strip().lower()
    unit = _DURATION_UNITS.get(value[-1:]) if value else None
    try:
        amount = float(value[:-1]) if unit is not None else math.nan
    except ValueError:
        amount = math.nan
    if unit is None or not amount > 0:
        raise ValueError(f"{option}: bad duration {text!r} (expected a number and m, h, d or w, e.g. 90d)")
    return int(amount * unit)


def load_for(
    backtester: Backtester,
    config: StrategyConfig,
    points: Sequence[Point],
    symbols: Sequence[str],
    since: int | None,
    until: int | None,
) -> BacktestInputs:
    """The candles every point reads (the longest warm-up, every timeframe)."""
    return records.load_for(backtester, config, points, symbols, since, until)


def run_sweep(
    config: StrategyConfig,
    points: Sequence[Point],
    inputs: BacktestInputs,
    rules: BacktestRules,
    executor: ComputeExecutor,
    rank: str,
    archive: BacktestArchive | None,
    exchange: str,
    as_json: bool,
    out: TextIO,
) -> int:
    check_grid(config, points, rules)
    started = time.perf_counter()
    ranked = sweep(config, points, inputs, rules, executor, rank=rank, progress=_progress)
    seconds = time.perf_counter() - started
    backtest_id = None
    if archive is not None:
        backtest_id = _store(archive, "sweep", f"rank {rank}", config, inputs, rules, exchange, _summary(ranked, rank))
    if as_json:
        payload = {
            "strategy": config.name,
            "backtest_id": backtest_id,
            "rank": rank,
            "points": [
                {"params": p.params, "metrics": finite(p.metrics.as_dict()) if p.metrics else None, "error": p.error}
                for p in ranked
            ],
        }
        out.write(orjson.dumps(payload).decode() + "\n")
        return 0
    out.write(f"sweep of {config.name}: {len(points)} points ranked by {rank} in {seconds:.1f} s\n")
    header = ("PARAMS", "TRADES", "RETURN", "SHARPE", "MAX DD", "WIN", "PF")
    rows = [header, *(_sweep_row(p) for p in ranked[:SHOWN])]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for row in rows:
        out.write("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n")
    if len(ranked) > SHOWN:
        out.write(f"… {len(ranked) - SHOWN} more (--json for all)\n")
    return 0


def run_walk_forward(
    config: StrategyConfig,
    points: Sequence[Point],
    inputs: BacktestInputs,
    rules: BacktestRules,
    executor: ComputeExecutor,
    rank: str,
    train_ms: int,
    test_ms: int,
    archive: BacktestArchive | None,
    exchange: str,
    as_json: bool,
    out: TextIO,
) -> int:
    check_grid(config, points, rules)
    result = walk_forward(
        config, points, inputs, rules, executor, train_ms=train_ms, test_ms=test_ms, rank=rank, progress=_progress
    )
    metrics = result.metrics
    backtest_id = None
    if archive is not None:
        summary = {
            "out_of_sample": metrics.as_dict(),
            "windows": [
                {"train_start": w.train_start, "train_end": w.train_end, "test_end": w.test_end, "best": w.best,
                 "train_score": w.train_score, "test_return": w.test.total_return, "test_trades": w.test.trade_count}
                for w in result.windows
            ],
        }  # fmt: skip
        backtest_id = _store(
            archive, "walk_forward", f"rank {rank}", config, inputs, rules, exchange, summary, result.result.trades
        )
    if as_json:
        payload = {
            "strategy": config.name,
            "backtest_id": backtest_id,
            "rank": rank,
            "final_equity": metrics.final_equity,
            "trade_count": metrics.trade_count,
            "metrics": finite(metrics.as_dict()),
            "windows": [
                {"train_start": iso_utc(w.train_start), "train_end": iso_utc(w.train_end),
                 "test_end": iso_utc(w.test_end), "best": w.best, "test": finite(w.test.as_dict())}
                for w in result.windows
            ],
        }  # fmt: skip
        out.write(orjson.dumps(payload).decode() + "\n")
        return 0
    out.write(f"walk-forward of {config.name}: {len(result.windows)} windows, best of {len(points)} points by {rank}\n")
    for w in result.windows:
        out.write(
            f"  train {iso_utc(w.train_start)[:10]} → {iso_utc(w.train_end)[:10]}  best {label(w.best):<24}"
            f"  test → {iso_utc(w.test_end)[:10]}: {w.test.trade_count} trades, {pct(w.test.total_return)}\n"
        )
    out.write(
        f"out of sample: {metrics.trade_count} trades, {pct(metrics.total_return)} total, Sharpe "
        f"{num(metrics.sharpe)}, max drawdown {pct(metrics.max_drawdown)}\n"
    )
    return 0


def run_lookahead(config: StrategyConfig, inputs: BacktestInputs, as_json: bool, out: TextIO, cuts: int = 200) -> int:
    leaks = lookahead_check(config, inputs, cuts=cuts)
    if as_json:
        payload = {
            "strategy": config.name,
            "cuts_per_symbol": cuts,
            "leaks": [
                {"symbol": leak.symbol, "bar_time": iso_utc(leak.bar_time), "which": leak.which, "full": leak.full,
                 "cut": leak.cut}
                for leak in leaks
            ],
        }  # fmt: skip
        out.write(orjson.dumps(payload).decode() + "\n")
    elif not leaks:
        out.write(f"lookahead check of {config.name}: no difference at {cuts} cut points per symbol\n")
    else:
        out.write(f"lookahead check of {config.name}: {len(leaks)} bars differ (the strategy reads the future)\n")
        for leak in leaks[:SHOWN]:
            out.write(
                f"  {leak.symbol} {iso_utc(leak.bar_time)[:16]} {leak.which}: {leak.full} on the whole history, "
                f"{leak.cut} on history cut there\n"
            )
    return 1 if leaks else 0


def _store(
    archive: BacktestArchive,
    kind: str,
    text: str,
    config: StrategyConfig,
    inputs: BacktestInputs,
    rules: BacktestRules,
    exchange: str,
    metrics: Mapping[str, object],
    trades: Sequence[Trade] = (),
) -> int:
    return records.save_analysis(
        archive, kind, text, config, inputs, rules, exchange, metrics, created_ms=int(time.time() * 1000),
        trades=trades,
    )  # fmt: skip


def _summary(ranked: Sequence[SweepPoint], rank: str) -> dict[str, object]:
    return records.sweep_summary(ranked, rank)


def _sweep_row(point: SweepPoint) -> tuple[str, ...]:
    m: Metrics | None = point.metrics
    if m is None:
        return (label(point.params), "—", point.error[:40], "", "", "", "")
    return (
        label(point.params),
        str(m.trade_count),
        pct(m.total_return),
        num(m.sharpe),
        pct(m.max_drawdown),
        pct(m.win_rate),
        num(m.profit_factor),
    )


def _progress(done: int, total: int) -> None:
    if sys.stderr.isatty():
        print(f"\r{done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)
