"""Pairs backtest: bands, hedges without lookahead, dollar-neutral legs, per-leg and combined profit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cryptoterm.domain.backtest.metrics import compute_metrics
from cryptoterm.domain.backtest.pairs import PairBars, PairRules, backtest_pair, hedge_before, zscores
from cryptoterm.domain.timeframes import HOUR_MS
from tests.services.test_scanner_data import read_klines

T0 = 1_700_000_000_000 - (1_700_000_000_000 % HOUR_MS)


def cointegrated(n: int = 3_000, seed: int = 11) -> PairBars:
    """x a random walk, y = 1.5·x plus a mean-reverting AR(1) spread: a pair that should trade."""
    rng = np.random.default_rng(seed)
    log_x = np.log(100.0) + np.cumsum(rng.normal(0, 0.01, n))
    spread = np.zeros(n)
    for t in range(1, n):
        spread[t] = 0.97 * spread[t - 1] + rng.normal(0, 0.01)
    log_y = 0.5 + 1.5 * log_x + spread
    y, x = np.exp(log_y), np.exp(log_x)
    opens = lambda c: np.r_[c[0], c[:-1]]  # noqa: E731
    return PairBars(T0 + np.arange(n, dtype=np.int64) * HOUR_MS, opens(y), y, opens(x), x)


@pytest.mark.parametrize("hedge", ["ols", "rolling", "kalman"])
def test_the_hedge_at_a_bar_reads_only_the_bars_before_it(hedge: str) -> None:
    bars = cointegrated(1_200)
    rules = PairRules(hedge=hedge, window=200)  # type: ignore[arg-type]
    log_y, log_x = np.log(bars.y_close), np.log(bars.x_close)
    beta, _ = hedge_before(log_y, log_x, rules)
    cut = 700
    beta_cut, _ = hedge_before(log_y[:cut], log_x[:cut], rules)
    np.testing.assert_allclose(beta[:cut], beta_cut, rtol=1e-10, equal_nan=True)
    assert np.isnan(beta[:200]).all() and np.isfinite(beta[201:]).all()
    assert abs(np.nanmedian(beta) - 1.5) < 0.2  # it finds the true hedge


def test_trades_are_the_same_on_history_cut_later() -> None:
    bars = cointegrated()
    rules = PairRules(hedge="rolling", window=300, entry_z=1.5, exit_z=0.3, stop_z=5.0)
    full = backtest_pair(bars, rules)
    cut = 2_000
    part = PairBars(*(getattr(bars, f)[:cut] for f in ("open_time", "y_open", "y_close", "x_open", "x_close")))
    early = backtest_pair(part, rules)
    closed_early = [t for t in early.trades if not t.open]
    assert len(closed_early) >= 5
    assert [(t.entry_time, t.exit_time, t.direction) for t in closed_early] == [
        (t.entry_time, t.exit_time, t.direction) for t in full.trades[: len(closed_early)]
    ]


def test_legs_are_dollar_neutral_and_add_up_to_the_combined_profit() -> None:
    bars = cointegrated()
    rules = PairRules(hedge="kalman", window=300, entry_z=1.5, exit_z=0.3, fee_bps=10.0, leg_pct=50.0)
    result = backtest_pair(bars, rules)
    assert len(result.trades) >= 5
    for trade in result.trades:
        assert trade.y_qty * trade.y_entry == pytest.approx(trade.x_qty * trade.x_entry)
        assert trade.pnl == pytest.approx(trade.y_pnl + trade.x_pnl - trade.fees)
        assert trade.direction == (1 if trade.entry_z < 0 else -1)  # z low: long the spread
        assert trade.reason in ("exit", "stop", "end")
    closed = sum(t.pnl for t in result.trades if not t.open)
    last_open = [t for t in result.trades if t.open]
    unrealized = sum(t.y_pnl + t.x_pnl - t.fees for t in last_open)
    assert result.account.equity[-1] == pytest.approx(rules.initial_equity + closed + unrealized)
    metrics = compute_metrics(result.account, step_ms=HOUR_MS, bootstrap_runs=0)
    assert metrics.trade_count == len(result.trades) - len(last_open)
    assert metrics.total_return > 0  # a true mean-reverting spread earns, after fees


def test_z_scores_measure_each_spread_against_the_window_before_it() -> None:
    spread = np.array([1.0, 2.0, 3.0, 4.0, 10.0])
    z = zscores(spread, 3)
    assert np.isnan(z[:3]).all()
    assert z[3] == pytest.approx((4 - 2) / np.std([1, 2, 3], ddof=1))
    assert z[4] == pytest.approx((10 - 3) / np.std([2, 3, 4], ddof=1))


def test_bands_out_of_order_are_refused() -> None:
    with pytest.raises(ValueError, match="exit_z < entry_z < stop_z"):
        PairRules(entry_z=1.0, exit_z=2.0)


def test_a_real_pair_runs_end_to_end(shared_data: Path) -> None:
    btc, eth = read_klines(shared_data, "BTC"), read_klines(shared_data, "ETH")
    both = btc.index.intersection(eth.index)
    y, x = eth.loc[both], btc.loc[both]
    bars = PairBars(both.to_numpy(), y["open"].to_numpy(), y["close"].to_numpy(), x["open"].to_numpy(),
                    x["close"].to_numpy())  # fmt: skip
    result = backtest_pair(bars, PairRules(hedge="rolling", window=500))
    metrics = compute_metrics(result.account, step_ms=HOUR_MS, bootstrap_runs=0)
    assert result.trades and np.isfinite(metrics.final_equity) and metrics.fees > 0
    assert {t.reason for t in result.trades} <= {"exit", "stop", "end"}
