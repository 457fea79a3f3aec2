"""The pairs screener at universe scale: 300 symbols (44,850 pairs) × 1,000 bars, against statsmodels.

Universe: the 40 real Binance 1h kline files of ../shared/data, aligned on their common bars (19,599), cut into
disjoint 1,000-bar windows from the newest back; each (symbol, window) is one series of the universe — a real
symbol's real prices over a real stretch of 1,000 hours — and the first 300 of them (7 windows × 40 symbols, then
20 of the 8th window) are screened together. Pairs within one window are real pairs over the same hours; pairs
across windows put two real series side by side as two unrelated assets would be. Nothing is simulated.

Figures: Engle-Granger both ways for every pair (89,700 directed tests, the `coint` equality the tests hold to
1e-8 in t and 1e-6 in p) in this process at one BLAS thread and on the local process pool (2 workers: this
machine has 2 cores); a statsmodels `coint` loop on a seeded sample of pairs, scaled to all of them, and the
largest differences on that sample; the peak memory of the in-process run (tracemalloc) and of a worker; the
full screen (every statistic of every pair) on the pool.
"""

from __future__ import annotations

import os
import resource
import time
import tracemalloc
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from cryptoterm.domain.pairs import ScreenParams, ScreenTask, combine_chunks, plan_screen_tasks, screen_task
from cryptoterm.domain.pairs.arrays import FloatArray
from cryptoterm.domain.pairs.pair_tests import pair_tests

SHARED = Path(os.environ.get("CRYPTOTERM_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
WINDOW = 1_000
SYMBOLS = 300
SAMPLE_PAIRS = 40
#: Pairs a task holds for the Engle-Granger figure (memory per task is about 2 MiB per 100 pairs here).
CHUNK = 576
Row = tuple[str, str, str]


def universe() -> tuple[FloatArray, list[str]] | None:
    """(bars × 300 log closes, names "BTCUSDT#w") from the real klines (see the module docstring)."""
    from bench.bench_pairs import _universe

    aligned = _universe()
    if aligned is None:
        return None
    full = aligned.log_close
    n = full.shape[0]
    columns: list[FloatArray] = []
    names: list[str] = []
    window = 0
    while len(columns) < SYMBOLS and (window + 1) * WINDOW <= n:
        stretch = full[n - (window + 1) * WINDOW : n - window * WINDOW]
        for column, symbol in enumerate(aligned.symbols):
            if len(columns) < SYMBOLS:
                columns.append(stretch[:, column])
                names.append(f"{symbol}#{window}")
        window += 1
    return np.ascontiguousarray(np.column_stack(columns)), names


def eg_task(task: ScreenTask) -> tuple[np.ndarray, np.ndarray]:
    """Engle-Granger both ways for one task: (P, 4) t, p, t rev, p rev, and the pairs as universe columns."""
    tests = pair_tests(task.log_closes, task.pairs, residuals=False)
    assert tests.reverse is not None
    stats = np.column_stack(
        [tests.forward.statistic, tests.forward.pvalue, tests.reverse.statistic, tests.reverse.pvalue]
    )
    return stats, task.columns[task.pairs]


def _statsmodels(log_closes: FloatArray, pairs: np.ndarray) -> np.ndarray:
    from statsmodels.tsa.stattools import coint

    out = np.empty((len(pairs), 4))
    for row, (i, j) in enumerate(pairs):
        t, p, _ = coint(log_closes[:, i], log_closes[:, j])
        t_rev, p_rev, _ = coint(log_closes[:, j], log_closes[:, i])
        out[row] = [t, p, t_rev, p_rev]
    return out


def _worker_peak_mib(pid_peaks: list[int]) -> float:
    return max(pid_peaks, default=0) / 1024


def _peak_rss_kib() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def run() -> list[Row]:
    built = universe()
    if built is None:
        return [("pairs screener, 300 symbols", "-", "skipped: ../shared/data/klines/1h not found")]
    from cryptoterm.adapters.compute.process_pool import LocalProcessPool

    log_closes, names = built
    params = ScreenParams()
    tasks = plan_screen_tasks(log_closes, names, params, CHUNK)
    pair_count = sum(task.pair_count for task in tasks)
    tests = 2 * pair_count
    with threadpool_limits(limits=1):
        eg_task(tasks[0])  # warm-up: imports, BLAS buffers
        started = time.perf_counter()
        inline = [eg_task(task) for task in tasks]
        inline_s = time.perf_counter() - started
        tracemalloc.start()
        for task in tasks[:3]:
            eg_task(task)
        task_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    pool = LocalProcessPool(2)
    try:
        pool.map(eg_task, tasks[:2])  # start the workers and import in them
        started = time.perf_counter()
        pooled = pool.map(eg_task, tasks)
        pool_s = time.perf_counter() - started
        started = time.perf_counter()
        screen_tasks = plan_screen_tasks(log_closes, names, params)
        full = combine_chunks(names, pool.map(screen_task, screen_tasks), params)
        screen_s = time.perf_counter() - started
    finally:
        pool.close()
    ours = np.concatenate([stats for stats, _ in inline])
    pairs = np.concatenate([columns for _, columns in inline])
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(inline, pooled, strict=True))
    sample = np.sort(np.random.default_rng(0).choice(len(pairs), size=SAMPLE_PAIRS, replace=False))
    with threadpool_limits(limits=1):
        started = time.perf_counter()
        reference = _statsmodels(log_closes, pairs[sample])
        loop_s = time.perf_counter() - started
    per_test = loop_s / (2 * SAMPLE_PAIRS)
    loop_all = per_test * tests
    t_diff = float(np.nanmax(np.abs(ours[sample][:, [0, 2]] - reference[:, [0, 2]])))
    p_diff = float(np.nanmax(np.abs(ours[sample][:, [1, 3]] - reference[:, [1, 3]])))
    shape = f"{SYMBOLS} symbols × {WINDOW:,} bars"
    return [
        (
            f"screener: Engle-Granger both ways, {pair_count:,} pairs, 2 local processes",
            f"{pool_s:.2f} s",
            f"{shape}; {tests:,} directed tests; tasks of {CHUNK} pairs; results equal to in-process",
        ),
        (
            "screener: Engle-Granger both ways, in process",
            f"{inline_s:.2f} s",
            f"1 BLAS thread; {inline_s / tests * 1e6:.0f} µs a directed test",
        ),
        (
            "screener: statsmodels coint loop, same tests",
            f"{loop_all:.0f} s",
            f"{per_test * 1e3:.1f} ms a test at 1 BLAS thread; a seeded sample of {SAMPLE_PAIRS} pairs, scaled",
        ),
        (
            "screener: speed-up vs statsmodels",
            f"{loop_all / pool_s:,.0f}× / {loop_all / inline_s:,.0f}×",
            "2 local processes / in process (same run)",
        ),
        (
            "screener: max |Δt|, max |Δp| vs coint",
            f"{t_diff:.1e}, {p_diff:.1e}",
            f"both directions on the {SAMPLE_PAIRS}-pair sample; tests hold 1e-8 and 1e-6",
        ),
        (
            "screener: peak memory",
            f"{task_peak / 2**20:.0f} MiB",
            f"tracemalloc peak over {CHUNK}-pair tasks in process; whole process max RSS "
            f"{_peak_rss_kib() / 1024:.0f} MiB",
        ),
        (
            f"screener: full screen, {len(full):,} pairs, 2 local processes",
            f"{screen_s:.1f} s",
            "every statistic: both directions, half windows, correlations, OLS / Kalman / Huber, spread ADF, "
            "Hurst, half-life, crossings, adjusted p-values",
        ),
    ]


if __name__ == "__main__":
    for row in run():
        print(*row, sep="  |  ")
