"""Sweeps, walk-forward and the lookahead check, on real BTCUSDT 1h klines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cryptoterm.config.schema import LevelsConfig, ScannerConfig, StrategyConfig
from cryptoterm.domain.backtest.rules import BacktestRules
from cryptoterm.domain.strategy import compile_strategy
from cryptoterm.domain.strategy.functions import FUNCTIONS, FunctionSpec, Param
from cryptoterm.domain.timeframes import HOUR_MS
from cryptoterm.ports.compute import InlineExecutor
from cryptoterm.services.backtester import Backtester, run_on_inputs
from cryptoterm.services.sweeps import grid, lookahead_check, parse_sweep, sweep, walk_forward, with_params
from tests.services.fakes import MemoryCandles
from tests.services.test_scanner_data import EXCHANGE, candles_of, read_klines

CROSS = StrategyConfig(
    name="cross",
    when=["sma({fast}) crosses_above sma({slow})"],
    exit=["sma({fast}) crosses_below sma({slow})"],
    params={"fast": 10, "slow": 50},
)
RULES = BacktestRules(fill="next_open", sizing="equity_pct", fee_bps=10.0)
DAY = 24 * HOUR_MS


@pytest.fixture(scope="module")
def backtester(shared_data: Path) -> Backtester:
    store = MemoryCandles()
    store.write_candles(EXCHANGE, "BTC/USDT", "1h", candles_of(read_klines(shared_data, "BTC")))
    return Backtester(store, EXCHANGE, ScannerConfig())


def test_sweep_specs_parse_into_a_grid() -> None:
    spec = parse_sweep(["fast=5,10", "slow=40:60:10"])
    assert spec == {"fast": [5.0, 10.0], "slow": [40.0, 50.0, 60.0]}
    points = grid(spec)
    assert len(points) == 6 and points[0] == {"fast": 5.0, "slow": 40.0} and points[1] == {"fast": 5.0, "slow": 50.0}
    for bad, message in [("fast", "expected NAME="), ("fast=a,b", "must be numbers"), ("x=3:1:1", "must be numbers")]:
        with pytest.raises(ValueError, match=message):
            parse_sweep([bad])


def test_every_sweep_point_equals_its_own_backtest_and_the_best_comes_first(backtester: Backtester) -> None:
    points = grid(parse_sweep(["fast=5,10,20", "slow=50,100"]))
    strategies = [compile_strategy(with_params(CROSS, p)) for p in points]
    inputs = backtester.load(strategies, ["BTC/USDT"], None, None)
    ranked = sweep(CROSS, points, inputs, RULES, InlineExecutor(), rank="total_return", chunks=4)
    assert len(ranked) == 6 and all(p.metrics is not None for p in ranked)
    returns = [p.metrics.total_return for p in ranked if p.metrics]
    assert returns == sorted(returns, reverse=True)
    for point in (ranked[0], ranked[-1]):
        _, alone, _, _ = run_on_inputs(with_params(CROSS, point.params), inputs, RULES, bootstrap_runs=0)
        assert point.metrics is not None and point.metrics.final_equity == alone.final_equity
    default = next(p for p in ranked if p.params == {"fast": 10.0, "slow": 50.0})
    assert default.metrics is not None and default.metrics.trade_count + default.metrics.open_trades == 281


def test_walk_forward_chooses_on_train_and_chains_the_test_windows(backtester: Backtester) -> None:
    points = grid(parse_sweep(["fast=5,10", "slow=50,100"]))
    since, until = 1_640_995_200_000, 1_672_531_200_000  # 2022
    strategies = [compile_strategy(with_params(CROSS, p)) for p in points]
    inputs = backtester.load(strategies, ["BTC/USDT"], since, until)
    result = walk_forward(
        CROSS, points, inputs, RULES, InlineExecutor(), train_ms=120 * DAY, test_ms=60 * DAY, rank="sharpe"
    )
    assert len(result.windows) == 5  # train 120 d, then tests from day 120, 180, 240, 300 and the last 5 days
    for window in result.windows:
        assert window.test_end - window.train_end <= 60 * DAY and window.train_end - window.train_start == 120 * DAY
    first = result.windows[0]
    assert first.best in points
    # the test equity of each window starts from the last one's final equity
    for before, after in zip(result.windows, result.windows[1:], strict=False):
        assert after.test.initial_equity == pytest.approx(before.test.final_equity)
    assert all(first.train_end <= t.entry_time < result.windows[-1].test_end for t in result.result.trades)
    assert result.metrics.final_equity == pytest.approx(result.windows[-1].test.final_equity)


def _leaky(bars, source, params):  # type: ignore[no-untyped-def]
    """A moving average centred on the bar: it reads `n // 2` bars of the future."""
    n = int(params[0])
    out = np.full(source.size, np.nan)
    half = n // 2
    for i in range(half, source.size - half):
        out[i] = source[i - half : i + half + 1].mean()
    return (out,)


def test_the_lookahead_check_catches_a_leaky_indicator_and_passes_a_clean_strategy(
    backtester: Backtester, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = FunctionSpec("centred", "centred", 0, "number", "close", (Param("period"),), _leaky, lambda p: p[0])
    monkeypatch.setitem(FUNCTIONS, "centred", spec)
    leaky = StrategyConfig(name="leaky", when=["close > centred(5)"], levels=LevelsConfig())
    clean = StrategyConfig(name="clean", when=["close > sma(5)", "rsi(14) > 50"], levels=LevelsConfig())
    since, until = 1_672_531_200_000, 1_675_209_600_000  # January 2023
    inputs = backtester.load([compile_strategy(leaky), compile_strategy(clean)], ["BTC/USDT"], since, until)
    assert lookahead_check(clean, inputs, cuts=120) == []
    leaks = lookahead_check(leaky, inputs, cuts=120)
    assert len(leaks) > 10 and {leak.which for leak in leaks} == {"signal"}
    assert all(since <= leak.bar_time < until for leak in leaks)


def test_a_sweep_on_a_dask_cluster_and_a_process_pool_equals_the_inline_sweep(backtester: Backtester) -> None:
    distributed = pytest.importorskip("distributed")
    from cryptoterm.adapters.compute.dask_cluster import DaskCluster
    from cryptoterm.adapters.compute.process_pool import LocalProcessPool

    points = grid(parse_sweep(["fast=5,10,20", "slow=50,100"]))
    inputs = backtester.load([compile_strategy(with_params(CROSS, p)) for p in points], ["BTC/USDT"], None, None)
    reference = [(p.params, p.metrics.final_equity if p.metrics else None)
                 for p in sweep(CROSS, points, inputs, RULES, InlineExecutor(), rank="sharpe")]  # fmt: skip
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None, silence_logs=40
    )
    client = distributed.Client(cluster, set_as_default=False)
    pool = LocalProcessPool(2)
    try:
        for executor in (DaskCluster(client=client), pool):
            found = sweep(CROSS, points, inputs, RULES, executor, rank="sharpe", chunks=3)
            assert [(p.params, p.metrics.final_equity if p.metrics else None) for p in found] == reference
    finally:
        pool.close()
        client.close()
        cluster.close()
