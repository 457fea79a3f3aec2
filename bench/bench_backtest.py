"""Backtester speed: one backtest over a million bars, and a 1,000-point parameter sweep.

* **1M bars.** Real bars, chained: the 40 real Binance 1h series of ../shared/data/klines/1h (and the BTCUSDT 1m
  files), each bar's open / high / low / close relative to its close and each close's return kept, laid end to
  end into one continuous path and repeated until it is 1,000,000 bars long (the path repeats after about
  823,000 bars). Signals are SMA(10) / SMA(50) crosses in and out, filled at the next open, 10 bps, all equity.
  The figure is the backtest from signal arrays to metrics (plans, the account, the equity curve, every metric
  but the bootstrap), the part vectorbt's `Portfolio.from_signals` does; the signals' evaluation is timed apart.
  The peer is a plain Python loop doing the same (it equals vectorbt to 1e-12 on real data, see the tests);
  vectorbt itself is measured too when it is importable (it is not a dependency).
* **Sweep.** 1,000 points (fast 1…40 × slow 10…250) of the same strategy on the real BTCUSDT 1h klines
  (19,599 bars), inline on one core and on a local process pool of 2 (the machine's cores).

Each figure is the best of a few repeats in process CPU time (one thread), except the process-pool sweep, which
is wall time and needs a quiet machine to mean anything.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from cryptoterm.config.schema import ScannerConfig, StrategyConfig
from cryptoterm.domain.backtest.metrics import compute_metrics
from cryptoterm.domain.backtest.plans import plans_next_open
from cryptoterm.domain.backtest.portfolio import SymbolSeries, simulate
from cryptoterm.domain.backtest.rules import BacktestRules
from cryptoterm.domain.setup_walk import OhlcvArrays
from cryptoterm.domain.strategy import compile_strategy
from cryptoterm.domain.timeframes import HOUR_MS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("CRYPTOTERM_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))
BARS = 1_000_000
FEE = 0.001
CROSS = StrategyConfig(
    name="cross",
    when=["sma({fast}) crosses_above sma({slow})"],
    exit=["sma({fast}) crosses_below sma({slow})"],
    params={"fast": 10, "slow": 50},
)
RULES = BacktestRules(initial_equity=10_000.0, fee_bps=10.0, fill="next_open", sizing="equity_pct")

Row = tuple[str, str, str]


def _best(fn: Callable[[], object], repeats: int = 3, clock: Callable[[], float] = time.process_time) -> float:
    """Best of `repeats`, in process CPU time by default (one thread: other work on the machine does not
    count), wall time for work spread over processes."""
    best = math.inf
    for _ in range(repeats):
        started = clock()
        fn()
        best = min(best, clock() - started)
    return best


def chained_bars(total: int = BARS) -> pd.DataFrame:
    """A continuous path of real bars (module docstring), indexed by hourly open times."""
    pieces = []
    for path in sorted((SHARED_DATA / "klines" / "1h").glob("*-1h.csv.gz")) + sorted(
        (SHARED_DATA / "klines" / "1m").glob("*.csv.gz")
    ):
        frame = pd.read_csv(path, usecols=["open", "high", "low", "close"]).astype(float)
        pieces.append(frame)
    rel = []
    for frame in pieces:
        c = frame["close"].to_numpy()
        rel.append(
            np.column_stack([np.r_[1.0, c[1:] / c[:-1]], frame["open"] / c, frame["high"] / c, frame["low"] / c])
        )
    block = np.concatenate(rel)
    reps = math.ceil(total / len(block))
    block = np.tile(block, (reps, 1))[:total]
    close = 100.0 * np.cumprod(block[:, 0])
    data = {"open": block[:, 1] * close, "high": block[:, 2] * close, "low": block[:, 3] * close, "close": close}
    data["high"] = np.maximum.reduce([data["high"], data["open"], close])
    data["low"] = np.minimum.reduce([data["low"], data["open"], close])
    frame = pd.DataFrame(data, index=pd.Index(np.arange(total, dtype=np.int64) * HOUR_MS, name="open_time"))
    frame["volume"] = 1.0
    return frame


def plain_loop(opens: np.ndarray, entries: np.ndarray, exits: np.ndarray, cash: float) -> float:
    """The same strategy as a plain loop: in at the next open, out at the next open, all equity, fees a side."""
    qty = 0.0
    pending_in = pending_out = False
    for i in range(opens.size):
        price = opens[i]
        if qty > 0 and pending_out:
            cash = qty * price * (1 - FEE)
            qty = 0.0
        elif qty == 0 and pending_in:
            qty = cash / (price * (1 + FEE))
            cash = 0.0
        pending_in, pending_out = bool(entries[i]), bool(exits[i])
    return cash + qty * opens[-1]


def run() -> list[Row]:
    frame = chained_bars()
    strategy = compile_strategy(CROSS)
    evaluate_s = _best(lambda: strategy.evaluate({"1h": frame}), repeats=2)
    evaluation = strategy.evaluate({"1h": frame})
    bars = OhlcvArrays(
        frame.index.to_numpy(), frame["open"].to_numpy(), frame["high"].to_numpy(), frame["low"].to_numpy(),
        frame["close"].to_numpy(), frame["volume"].to_numpy(),
    )  # fmt: skip

    def core() -> object:
        plans = plans_next_open(bars, evaluation.signal, evaluation.exit_signal, None, 1)
        result = simulate({"X": plans}, {"X": SymbolSeries(bars.open_time, bars.close)}, RULES)
        return compute_metrics(result, step_ms=HOUR_MS, bootstrap_runs=0)

    core_s = _best(core, repeats=5)
    trades = len(plans_next_open(bars, evaluation.signal, evaluation.exit_signal, None, 1))
    assert evaluation.exit_signal is not None
    loop_s = _best(lambda: plain_loop(bars.open, evaluation.signal, evaluation.exit_signal, 10_000.0), repeats=1)
    rows: list[Row] = [
        ("1M-bar backtest (signals → metrics)", f"{core_s * 1000:.1f} ms", f"{trades:,} trades; goal ≤ 30 ms"),
        ("  vs a plain Python loop", f"{loop_s / core_s:.0f}× faster", f"loop {loop_s * 1000:.0f} ms"),
        ("  strategy evaluation (SMA 10/50)", f"{evaluate_s * 1000:.1f} ms", "timed apart"),
    ]
    try:
        import vectorbt as vbt

        entries = np.r_[False, evaluation.signal[:-1]]
        exits = np.r_[False, evaluation.exit_signal[:-1]]

        def peer() -> object:
            return vbt.Portfolio.from_signals(
                bars.close, entries=entries, exits=exits, price=bars.open, fees=FEE, init_cash=10_000.0, size=np.inf
            ).final_value()

        peer()  # JIT
        vbt_s = _best(peer, repeats=3)
        rows.append(("  vs vectorbt from_signals (warm)", f"{vbt_s / core_s:.1f}×", f"vectorbt {vbt_s * 1000:.0f} ms"))
    except ImportError:
        rows.append(("  vs vectorbt", "-", "vectorbt not installed (not a dependency)"))
    rows.extend(_sweep_rows())
    return rows


def _sweep_rows() -> list[Row]:
    from cryptoterm.adapters.compute.process_pool import LocalProcessPool
    from cryptoterm.domain.market import Candle
    from cryptoterm.ports.compute import InlineExecutor
    from cryptoterm.services.backtester import Backtester
    from cryptoterm.services.sweeps import grid, parse_sweep, sweep, with_params

    class _Candles:
        """The real BTCUSDT 1h klines as a read-only candle store."""

        def __init__(self, frame: pd.DataFrame) -> None:
            self.frame = frame

        def read_candles_frame(self, exchange, symbol, timeframe, since_ms=None, until_ms=None, limit=None):  # type: ignore[no-untyped-def]
            return self.frame if timeframe == "1h" else self.frame.iloc[0:0]

        def read_candles(self, *a, **k) -> list[Candle]:  # type: ignore[no-untyped-def]
            return []

        def candle_bounds(self, *a):  # type: ignore[no-untyped-def]
            return None

        def symbols_with_candles(self, *a) -> list[str]:  # type: ignore[no-untyped-def]
            return ["BTC/USDT"]

    path = SHARED_DATA / "klines" / "1h" / "BTCUSDT-1h.csv.gz"
    frame = pd.read_csv(path, usecols=["open_time", "open", "high", "low", "close", "volume"])
    frame = frame.set_index("open_time").astype(float)
    points = grid(parse_sweep(["fast=1:40:1", "slow=10:250:10"]))
    backtester = Backtester(_Candles(frame), "binance", ScannerConfig())  # type: ignore[arg-type]
    inputs = backtester.load(
        [compile_strategy(with_params(CROSS, p)) for p in points[:: len(points) - 1]], ["BTC/USDT"], None, None
    )
    rows: list[Row] = []
    inline = _best(lambda: sweep(CROSS, points, inputs, RULES, InlineExecutor(), chunks=8), repeats=1)
    rows.append(
        (
            f"sweep, {len(points):,} points × {len(frame):,} bars, 1 core",
            f"{inline:.2f} s",
            f"{inline / len(points) * 1000:.1f} ms a point",
        )
    )
    pool = LocalProcessPool(2)
    try:
        sweep(CROSS, points[:8], inputs, RULES, pool, chunks=2)  # start the workers
        parallel = _best(lambda: sweep(CROSS, points, inputs, RULES, pool, chunks=16), 1, time.perf_counter)
    finally:
        pool.close()
    rows.append(
        (
            f"sweep, {len(points):,} points, 2 processes",
            f"{parallel:.2f} s",
            f"wall time; goal < 5 s on 2 cores; {inline / parallel:.2f}× the 1-core CPU time",
        )
    )
    return rows
