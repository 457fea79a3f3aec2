"""Candle patterns on hand-made candles, plus kernel edge cases (short input, bad periods, invariants)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cryptoterm.domain import indicators as ind


def candles(*rows: tuple[float, float, float, float]) -> tuple[np.ndarray, ...]:
    """(open, high, low, close) rows → four arrays."""
    data = np.array(rows, dtype=np.float64)
    return data[:, 0], data[:, 1], data[:, 2], data[:, 3]


def test_bullish_engulfing_needs_a_down_bar_then_a_larger_up_body() -> None:
    o, h, lo, c = candles(
        (10, 10.5, 8.5, 9),  # down bar, body 9..10
        (8.8, 11, 8.7, 10.5),  # up bar covering 9..10 with a larger body → bullish engulfing
        (10.5, 10.8, 9.9, 10.0),  # down bar
        (10.1, 10.4, 10.0, 10.3),  # up bar inside the previous body → not engulfing
    )
    np.testing.assert_array_equal(ind.bullish_engulfing(o, h, lo, c), [False, True, False, False])
    assert not ind.bearish_engulfing(o, h, lo, c).any()


def test_bearish_engulfing_mirrors_bullish() -> None:
    o, h, lo, c = candles((9, 10.5, 8.5, 10), (10.2, 11, 8.5, 8.8), (8.8, 9, 8, 8.5))
    np.testing.assert_array_equal(ind.bearish_engulfing(o, h, lo, c), [False, True, False])
    assert not ind.bullish_engulfing(o, h, lo, c).any()


def test_hammer_and_shooting_star_by_wick_shape() -> None:
    o, h, lo, c = candles(
        (10.0, 10.25, 7.0, 10.2),  # long lower wick, tiny upper wick → hammer
        (10.0, 13.0, 9.9, 9.8),  # long upper wick, tiny lower wick → shooting star
        (10.0, 12.0, 9.0, 11.5),  # ordinary bar
        (10.0, 10.0, 10.0, 10.0),  # zero range → nothing
    )
    np.testing.assert_array_equal(ind.hammer(o, h, lo, c), [True, False, False, False])
    np.testing.assert_array_equal(ind.shooting_star(o, h, lo, c), [False, True, False, False])


def test_doji_is_a_tiny_body_in_a_real_range() -> None:
    o, h, lo, c = candles((10.0, 11.0, 9.0, 10.05), (10.0, 11.0, 9.0, 10.5), (10.0, 10.0, 10.0, 10.0))
    np.testing.assert_array_equal(ind.doji(o, h, lo, c), [True, False, False])


def test_kernels_on_input_shorter_than_the_period_return_all_nan() -> None:
    x = np.array([1.0, 2.0, 3.0])
    for values in (ind.sma(x, 5), ind.ema(x, 5), ind.atr(x, x, x, 5), ind.adx(x, x, x, 5).adx, ind.rsi(x, 5)):
        assert values.shape == (3,) and np.isnan(values).all()


@pytest.mark.parametrize("period", [0, -3, 2.5])
def test_bad_periods_are_rejected_with_the_kernel_name(period: float) -> None:
    with pytest.raises(ValueError, match="sma: period must be a positive integer"):
        ind.sma(np.ones(10), period)  # type: ignore[arg-type]


def test_true_range_uses_previous_close_for_gaps() -> None:
    high = np.array([10.0, 15.0, 9.0])
    low = np.array([9.0, 14.0, 8.0])
    close = np.array([9.5, 14.5, 8.5])
    # bar 1 gaps up: |15 - 9.5| = 5.5; bar 2 gaps down: |8 - 14.5| = 6.5
    np.testing.assert_allclose(ind.true_range(high, low, close), [1.0, 5.5, 6.5])


prices = arrays(
    np.float64, st.integers(30, 120), elements=st.floats(1.0, 1000.0, allow_nan=False, allow_infinity=False)
)


@settings(max_examples=60, deadline=None)
@given(prices)
def test_oscillators_stay_in_range_and_channels_bracket_price(close: np.ndarray) -> None:
    high, low = close * 1.01, close * 0.99
    r = ind.rsi(close, 14)
    assert np.nanmin(r) >= 0.0 and np.nanmax(r) <= 100.0
    k = ind.stochastic(high, low, close, 14, 3).k
    finite = np.isfinite(k)
    assert (k[finite] >= -1e-9).all() and (k[finite] <= 100 + 1e-9).all()
    hi, lo_ = ind.highest(high, 10), ind.lowest(low, 10)
    assert (hi[9:] >= high[9:]).all() and (lo_[9:] <= low[9:]).all()
    a = ind.adx(high, low, close, 5)
    assert np.nanmin(a.adx) >= 0.0 and np.nanmax(a.adx) <= 100.0
    bands = ind.bollinger(close, 10, 2.0)
    assert (bands.upper[9:] >= bands.mid[9:] - 1e-9).all() and (bands.lower[9:] <= bands.mid[9:] + 1e-9).all()


@settings(max_examples=60, deadline=None)
@given(prices, st.integers(1, 20))
def test_wilder_equals_its_textbook_recursion(values: np.ndarray, period: int) -> None:
    start = min(period + 3, values.size - 1)
    ours = ind.wilder(values, period, start)
    expected = np.full(values.size, np.nan)
    if start - period + 1 >= 0:
        expected[start] = values[start - period + 1 : start + 1].mean()
        for i in range(start + 1, values.size):
            expected[i] = (expected[i - 1] * (period - 1) + values[i]) / period
    np.testing.assert_allclose(ours, expected, rtol=1e-9)
