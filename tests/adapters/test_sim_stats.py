"""The statistical behaviour the simulated market claims, measured on its 60-day history.

Fat tails, volatility clustering, correlated majors, intraday seasonality, volume bursts with big moves,
regimes that differ (and that the regime classifier picks up), and cointegrated pairs whose spread
mean-reverts: an Engle-Granger style check finds the residual of log B on log A has an AR(1) coefficient
well below 1 and a Dickey-Fuller t-statistic far beyond the critical value, while a merely correlated
pair's residual behaves like a random walk.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from cryptoterm.adapters.sim import SimulatedMarket
from cryptoterm.adapters.sim.model import REGIMES
from cryptoterm.adapters.sim.universe import UNIVERSE
from cryptoterm.config.schema import DemoConfig
from cryptoterm.domain.regime import classify

START = 1_780_000_000_000
FloatArray = npt.NDArray[np.float64]


@pytest.fixture(scope="module", params=[7, 11])
def market(request: pytest.FixtureRequest) -> SimulatedMarket:
    return SimulatedMarket(DemoConfig(seed=request.param, speed=0, history_days=60, minute_days=60), START)


def _returns(market: SimulatedMarket, symbol: str) -> FloatArray:
    close = market.history.close[market.symbols.index(symbol)]
    out: FloatArray = np.diff(np.log(close))
    return out


def _acf(x: FloatArray, lag: int) -> float:
    return float(np.corrcoef(x[:-lag], x[lag:])[0, 1])


def test_one_minute_returns_are_fat_tailed(market: SimulatedMarket) -> None:
    for symbol in market.symbols:
        r = _returns(market, symbol)
        z = (r - r.mean()) / r.std()
        excess = float(np.mean(z**4)) - 3.0  # excess kurtosis; a normal's is 0
        assert excess > 3.0, symbol


def test_volatility_clusters_but_returns_do_not_predict(market: SimulatedMarket) -> None:
    for symbol in ("BTC/USDT", "ETH/USDT", "DOGE/USDT"):
        r = _returns(market, symbol)
        assert _acf(np.abs(r), 1) > 0.1, symbol
        assert _acf(np.abs(r), 60) > 0.05, symbol  # still there an hour later
        assert abs(_acf(r, 1)) < 0.05, symbol


def test_majors_are_correlated(market: SimulatedMarket) -> None:
    majors = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT"]
    corr = np.corrcoef([_returns(market, s) for s in majors])
    assert corr[np.triu_indices(4, 1)].min() > 0.3


def test_volume_follows_the_utc_session(market: SimulatedMarket) -> None:
    hours = (market.history.open_time // 3_600_000) % 24
    volume = market.history.volume.sum(axis=0) / market.history.volume.sum(axis=0).mean()
    busy = volume[(hours >= 13) & (hours < 17)].mean()
    quiet = volume[(hours >= 2) & (hours < 6)].mean()
    assert busy > 1.6 * quiet


def test_volume_bursts_come_with_bigger_moves(market: SimulatedMarket) -> None:
    i = market.symbols.index("SOL/USDT")
    volume = market.history.volume[i, 1:]
    size = np.abs(_returns(market, "SOL/USDT"))
    top = volume > np.quantile(volume, 0.99)
    assert size[top].mean() > 2.5 * size.mean()
    assert np.corrcoef(volume, size)[0, 1] > 0.2


def test_regimes_shift_and_differ(market: SimulatedMarket) -> None:
    codes = market.history_regimes[1:]
    assert len(np.unique(codes)) >= 3
    assert np.count_nonzero(np.diff(codes)) >= 5  # several phases in two months
    market_move = np.mean([_returns(market, s) for s in ("BTC/USDT", "ETH/USDT", "BNB/USDT")], axis=0)
    vol = {REGIMES[k].name: market_move[codes == k].std() for k in np.unique(codes)}
    if "high-vol" in vol and "range" in vol:
        assert vol["high-vol"] > 1.8 * vol["range"]
    drift = {REGIMES[k].name: market_move[codes == k].mean() for k in np.unique(codes)}
    if "bull" in drift and "bear" in drift:
        assert drift["bull"] > 0 > drift["bear"]


def _engle_granger(market: SimulatedMarket, anchor: str, follower: str) -> tuple[float, float, float]:
    """(hedge beta, AR(1) coefficient of the residual, Dickey-Fuller t-statistic) on hourly closes."""
    closes = np.log(market.history.close[:, 59::60])
    x = closes[market.symbols.index(anchor)]
    y = closes[market.symbols.index(follower)]
    design = np.c_[np.ones_like(x), x]
    coef = np.linalg.lstsq(design, y, rcond=None)[0]
    spread = y - design @ coef
    lagged, delta = spread[:-1], np.diff(spread)
    gamma = float(lagged @ delta / (lagged @ lagged))
    resid = delta - gamma * lagged
    se = float(np.sqrt(resid @ resid / (len(delta) - 1) / (lagged @ lagged)))
    return float(coef[1]), 1.0 + gamma, gamma / se


@pytest.mark.parametrize("follower", [s.symbol for s in UNIVERSE if s.cointegration is not None])
def test_cointegrated_pairs_mean_revert(market: SimulatedMarket, follower: str) -> None:
    spec = next(s for s in market.specs if s.symbol == follower)
    assert spec.cointegration is not None
    beta, phi, t_stat = _engle_granger(market, spec.cointegration.anchor, follower)
    assert beta == pytest.approx(spec.cointegration.beta, abs=0.15)
    assert phi < 0.985
    assert t_stat < -4.0  # Engle-Granger 1% critical value for two series is about -3.9
    half_life = np.log(0.5) / np.log(phi)
    assert 0.4 * spec.cointegration.half_life_hours < half_life < 2.0 * spec.cointegration.half_life_hours


@pytest.mark.parametrize(("anchor", "other"), [("BTC/USDT", "SOL/USDT"), ("ETH/USDT", "LINK/USDT")])
def test_correlated_but_not_cointegrated_pairs_wander(market: SimulatedMarket, anchor: str, other: str) -> None:
    _, phi, t_stat = _engle_granger(market, anchor, other)
    assert phi > 0.985
    assert t_stat > -3.4  # no evidence of cointegration at 5%


async def test_the_regime_filter_finds_the_simulated_phases(market: SimulatedMarket) -> None:
    candles = await market.fetch_candles("BTC/USDT", "4h", market.history_start_ms)
    labels = classify(pd.DataFrame(candles))
    true = np.array([REGIMES[k].name for k in market.history_regimes[239::240][: len(labels)]])
    assert len(true) == len(labels)
    found = set(labels.tolist()) - {"unknown"}
    assert len(found) >= 3
    # The classifier lags (its EMA spans about 8 days of 4h bars) yet labels a good part of the simulated
    # bull phases "bull".
    in_bull = (labels != "unknown") & (true == "bull")
    assert float(np.mean(labels[in_bull] == "bull")) > 0.3
