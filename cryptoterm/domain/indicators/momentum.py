"""Momentum: RSI, MACD and the stochastic oscillator.

These are already compiled pandas ewm / rolling calls in `ta`, so they are computed the same way directly on
arrays (no per-call DataFrame, no `ta` object overhead) and tested equal to `ta`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cryptoterm.domain.indicators._types import FloatArray, as_float, check_period, series
from cryptoterm.domain.indicators.moving import ema, sma


def rsi(close: FloatArray, period: int = 14) -> FloatArray:
    """Wilder's RSI (alpha = 1/period), first value at bar `period-1`; 100 when there were no down moves."""
    n = check_period("rsi", period)
    c = as_float(close)
    # Like `ta`, the first bar counts as "no move" (0 up, 0 down), so the first RSI is at bar period-1.
    diff = np.zeros_like(c)
    diff[1:] = c[1:] - c[:-1]
    up = np.where(diff > 0, diff, 0.0)
    down = np.where(diff < 0, -diff, 0.0)
    avg_up = series(up).ewm(alpha=1.0 / n, min_periods=n, adjust=False).mean().to_numpy(np.float64)
    avg_down = series(down).ewm(alpha=1.0 / n, min_periods=n, adjust=False).mean().to_numpy(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = 100.0 - 100.0 / (1.0 + avg_up / avg_down)
    result: FloatArray = np.where(avg_down == 0, 100.0, value)
    return result


class Macd(NamedTuple):
    """MACD line (fast EMA - slow EMA), its signal EMA and the histogram (line - signal)."""

    line: FloatArray
    signal: FloatArray
    hist: FloatArray


def macd(close: FloatArray, fast: int = 12, slow: int = 26, signal: int = 9) -> Macd:
    """MACD with `ta`'s conventions (EMAs with adjust=False, NaN during each EMA's warm-up)."""
    line = ema(close, check_period("macd fast", fast)) - ema(close, check_period("macd slow", slow))
    sig = ema(line, check_period("macd signal", signal))
    return Macd(line, sig, line - sig)


class Stochastic(NamedTuple):
    """%K = where the close sits in the `period`-bar high-low range (0-100); %D = SMA of %K."""

    k: FloatArray
    d: FloatArray


def stochastic(high: FloatArray, low: FloatArray, close: FloatArray, period: int = 14, smooth: int = 3) -> Stochastic:
    """Stochastic oscillator (fast %K and its `smooth`-bar SMA %D), as `ta.momentum.StochasticOscillator`."""
    n = check_period("stoch", period)
    lowest = series(as_float(low)).rolling(n, min_periods=n).min().to_numpy(np.float64)
    highest = series(as_float(high)).rolling(n, min_periods=n).max().to_numpy(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = 100.0 * (as_float(close) - lowest) / (highest - lowest)
    return Stochastic(k, sma(k, check_period("stoch smooth", smooth)))
