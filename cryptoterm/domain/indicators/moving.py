"""Moving averages: simple, exponential and Wilder's smoothing.

SMA and EMA use pandas' compiled rolling / ewm kernels with `ta`'s conventions (EMA: span, adjust=False,
first value after `period` bars), so they equal `ta` to rounding. `wilder` is the building block for ATR, RSI
and ADX: Wilder's recursion `s[i] = s[i-1] * (n-1)/n + x[i]/n` seeded with a mean is exactly an EMA with
alpha = 1/n whose first input is that mean, which turns `ta`'s per-bar Python loops into one compiled pass.
"""

from __future__ import annotations

import numpy as np

from cryptoterm.domain.indicators._types import FloatArray, as_float, check_period, series


def sma(values: FloatArray, period: int) -> FloatArray:
    """Simple moving average over `period` bars; NaN until `period` bars exist."""
    n = check_period("sma", period)
    result: FloatArray = series(as_float(values)).rolling(n, min_periods=n).mean().to_numpy(np.float64)
    return result


def ema(values: FloatArray, period: int) -> FloatArray:
    """Exponential moving average (alpha = 2/(period+1), recursive from the first bar), NaN for `period-1` bars."""
    n = check_period("ema", period)
    result: FloatArray = series(as_float(values)).ewm(span=n, min_periods=n, adjust=False).mean().to_numpy(np.float64)
    return result


def volume_sma(volume: FloatArray, period: int) -> FloatArray:
    """Average traded volume over `period` bars, the usual yardstick for a volume spike."""
    return sma(volume, period)


def wilder(values: FloatArray, period: int, start: int) -> FloatArray:
    """Wilder's smoothing seeded at bar `start` with the mean of `values[start-period+1 : start+1]`.

    Bars before `start` are NaN. Equivalent to `ta`'s loops (ATR, ADX) but runs as one compiled EMA.
    """
    n = check_period("wilder", period)
    x = as_float(values)
    out = np.full(x.shape, np.nan)
    if start >= x.size or start - n + 1 < 0:
        return out
    seeded = x[start:].copy()
    seeded[0] = x[start - n + 1 : start + 1].mean()
    out[start:] = series(seeded).ewm(alpha=1.0 / n, adjust=False).mean().to_numpy(np.float64)
    return out
