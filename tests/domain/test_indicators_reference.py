"""Every indicator kernel equals `ta` 0.11 on real Binance 1h klines (several symbols, ~19.6k bars each).

`ta` fills warm-up bars with 0 (ATR, ADX, DI) where the kernels return NaN, and its +DI/-DI leave bar `period`
at 0; comparisons start after those bars and separately assert the kernels' NaN warm-up.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import ta

from cryptoterm.domain import indicators as ind

SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "DOGEUSDT")
RTOL = 1e-9


@pytest.fixture(scope="module", params=SYMBOLS)
def klines(request: pytest.FixtureRequest, shared_data: Path) -> pd.DataFrame:
    frame = pd.read_csv(shared_data / "klines" / "1h" / f"{request.param}-1h.csv.gz")
    assert len(frame) > 19_000
    return frame


def arrays(frame: pd.DataFrame) -> tuple[np.ndarray, ...]:
    return tuple(frame[c].to_numpy(np.float64) for c in ("open", "high", "low", "close", "volume"))


@pytest.mark.parametrize("period", [5, 20, 200])
def test_sma_and_ema_equal_ta(klines: pd.DataFrame, period: int) -> None:
    close = klines["close"]
    np.testing.assert_allclose(ind.sma(close.to_numpy(), period), ta.trend.sma_indicator(close, period), rtol=RTOL)
    np.testing.assert_allclose(ind.ema(close.to_numpy(), period), ta.trend.ema_indicator(close, period), rtol=RTOL)
    assert np.isnan(ind.ema(close.to_numpy(), period)[: period - 1]).all()


@pytest.mark.parametrize("period", [7, 14])
def test_rsi_equals_ta(klines: pd.DataFrame, period: int) -> None:
    close = klines["close"]
    ours = ind.rsi(close.to_numpy(), period)
    np.testing.assert_allclose(ours, ta.momentum.RSIIndicator(close, period).rsi(), rtol=RTOL)
    assert np.isnan(ours[: period - 1]).all() and np.isfinite(ours[period - 1 :]).all()
    assert ours[period:].min() >= 0.0 and ours[period:].max() <= 100.0


def test_macd_equals_ta(klines: pd.DataFrame) -> None:
    close = klines["close"]
    ref = ta.trend.MACD(close, window_slow=26, window_fast=12, window_sign=9)
    ours = ind.macd(close.to_numpy(), 12, 26, 9)
    np.testing.assert_allclose(ours.line, ref.macd(), rtol=RTOL)
    np.testing.assert_allclose(ours.signal, ref.macd_signal(), rtol=RTOL)
    # The histogram is a small difference of two large values: compare on the scale of the line.
    scale = np.nanmax(np.abs(ours.line))
    np.testing.assert_allclose(ours.hist, ref.macd_diff(), rtol=RTOL, atol=scale * 1e-12)


def test_bollinger_equals_ta(klines: pd.DataFrame) -> None:
    close = klines["close"]
    ref = ta.volatility.BollingerBands(close, window=20, window_dev=2)
    ours = ind.bollinger(close.to_numpy(), 20, 2.0)
    np.testing.assert_allclose(ours.upper, ref.bollinger_hband(), rtol=RTOL)
    np.testing.assert_allclose(ours.mid, ref.bollinger_mavg(), rtol=RTOL)
    np.testing.assert_allclose(ours.lower, ref.bollinger_lband(), rtol=RTOL)
    np.testing.assert_allclose(ours.width, ref.bollinger_wband(), rtol=1e-7)


@pytest.mark.parametrize("period", [14, 21])
def test_atr_equals_ta_after_warmup(klines: pd.DataFrame, period: int) -> None:
    _, high, low, close, _ = arrays(klines)
    ref = ta.volatility.AverageTrueRange(klines["high"], klines["low"], klines["close"], period).average_true_range()
    ours = ind.atr(high, low, close, period)
    np.testing.assert_allclose(ours[period - 1 :], ref.to_numpy()[period - 1 :], rtol=RTOL)
    assert np.isnan(ours[: period - 1]).all()


def test_adx_and_directional_indicators_equal_ta_after_warmup(klines: pd.DataFrame) -> None:
    period = 14
    _, high, low, close, _ = arrays(klines)
    ref = ta.trend.ADXIndicator(klines["high"], klines["low"], klines["close"], period)
    ours = ind.adx(high, low, close, period)
    np.testing.assert_allclose(ours.adx[2 * period - 1 :], ref.adx().to_numpy()[2 * period - 1 :], rtol=RTOL)
    np.testing.assert_allclose(ours.plus_di[period + 1 :], ref.adx_pos().to_numpy()[period + 1 :], rtol=RTOL)
    np.testing.assert_allclose(ours.minus_di[period + 1 :], ref.adx_neg().to_numpy()[period + 1 :], rtol=RTOL)
    assert np.isnan(ours.adx[: 2 * period - 1]).all()
    assert np.isnan(ours.plus_di[:period]).all()


def test_stochastic_equals_ta(klines: pd.DataFrame) -> None:
    _, high, low, close, _ = arrays(klines)
    ref = ta.momentum.StochasticOscillator(klines["high"], klines["low"], klines["close"], 14, 3)
    ours = ind.stochastic(high, low, close, 14, 3)
    np.testing.assert_allclose(ours.k, ref.stoch(), rtol=RTOL)
    np.testing.assert_allclose(ours.d, ref.stoch_signal(), rtol=RTOL)


def test_vwap_and_obv_equal_ta(klines: pd.DataFrame) -> None:
    _, high, low, close, volume = arrays(klines)
    h, lo, c, v = klines["high"], klines["low"], klines["close"], klines["volume"]
    vwap_ref = ta.volume.VolumeWeightedAveragePrice(h, lo, c, v, 14).volume_weighted_average_price()
    np.testing.assert_allclose(ind.vwap(high, low, close, volume, 14), vwap_ref, rtol=RTOL)
    obv_ref = ta.volume.OnBalanceVolumeIndicator(c, v).on_balance_volume()
    np.testing.assert_allclose(ind.obv(close, volume), obv_ref, rtol=RTOL, atol=1e-6)


def test_highest_lowest_and_volume_sma_equal_rolling_reference(klines: pd.DataFrame) -> None:
    _, high, low, _, volume = arrays(klines)
    np.testing.assert_array_equal(
        ind.highest(high, 20),
        ta.volatility.DonchianChannel(klines["high"], klines["low"], klines["close"], 20).donchian_channel_hband(),
    )
    np.testing.assert_array_equal(
        ind.lowest(low, 20),
        ta.volatility.DonchianChannel(klines["high"], klines["low"], klines["close"], 20).donchian_channel_lband(),
    )
    np.testing.assert_allclose(ind.volume_sma(volume, 20), ta.trend.sma_indicator(klines["volume"], 20), rtol=RTOL)
