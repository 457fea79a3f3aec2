"""The backtester equals vectorbt on real data: SMA(10) / SMA(50) cross on Binance BTCUSDT 1h, signals filled at
the next open, 10 bps a side, all equity per trade (`fixtures/make_vectorbt_sma_cross.py` made the reference)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cryptoterm.config.schema import StrategyConfig
from cryptoterm.domain.backtest.metrics import compute_metrics
from cryptoterm.domain.backtest.plans import plans_next_open
from cryptoterm.domain.backtest.portfolio import SymbolSeries, simulate
from cryptoterm.domain.backtest.rules import BacktestRules
from cryptoterm.domain.strategy import compile_strategy
from cryptoterm.domain.timeframes import HOUR_MS
from cryptoterm.services.scanner import ohlcv_arrays
from tests.services.test_scanner_data import read_klines

FIXTURE = Path(__file__).parent / "fixtures" / "vectorbt_sma_cross_btc_1h.json"
SMA_CROSS = StrategyConfig(
    name="sma-cross", when=["sma(10) crosses_above sma(50)"], exit=["sma(10) crosses_below sma(50)"]
)


def test_sma_cross_trades_and_final_equity_equal_vectorbt(shared_data: Path) -> None:
    reference = json.loads(FIXTURE.read_text())
    frame = read_klines(shared_data, "BTC")
    strategy = compile_strategy(SMA_CROSS)
    evaluation = strategy.evaluate({"1h": frame})
    bars = ohlcv_arrays(frame)
    plans = plans_next_open(bars, evaluation.signal, evaluation.exit_signal, None, side=1)
    rules = BacktestRules(initial_equity=10_000.0, fee_bps=10.0, fill="next_open", sizing="equity_pct")
    result = simulate({"BTC/USDT": plans}, {"BTC/USDT": SymbolSeries(bars.open_time, bars.close)}, rules)
    expected = reference["trades"]
    assert len(result.trades) == len(expected) == 281
    for ours, theirs in zip(result.trades, expected, strict=True):
        times = (theirs["entry_time"], theirs["exit_time"], theirs["open"])
        assert (ours.entry_time, ours.exit_time, ours.open) == times
        assert ours.entry_price == pytest.approx(theirs["entry_price"], rel=1e-12)
        assert ours.exit_price == pytest.approx(theirs["exit_price"], rel=1e-12)
        assert ours.qty == pytest.approx(theirs["qty"], rel=1e-12)
        assert ours.fees == pytest.approx(theirs["fees"], rel=1e-12)
        assert ours.pnl == pytest.approx(theirs["pnl"], rel=1e-10, abs=1e-9)
    assert result.equity[-1] == pytest.approx(reference["final_equity"], rel=1e-12)
    metrics = compute_metrics(result, step_ms=HOUR_MS)
    assert metrics.final_equity == pytest.approx(reference["final_equity"], rel=1e-12)
    assert metrics.trade_count + metrics.open_trades == 281
    assert np.isfinite(metrics.sharpe) and 0 < metrics.max_drawdown < 1
