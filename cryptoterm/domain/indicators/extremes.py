"""Highest / lowest value over the last N bars (breakouts: `close > highest(high, 20)[1]`)."""

from __future__ import annotations

import numpy as np

from cryptoterm.domain.indicators._types import FloatArray, as_float, check_period, series


def highest(values: FloatArray, period: int) -> FloatArray:
    """Rolling maximum over `period` bars including the current one; NaN until `period` bars exist."""
    n = check_period("highest", period)
    result: FloatArray = series(as_float(values)).rolling(n, min_periods=n).max().to_numpy(np.float64)
    return result


def lowest(values: FloatArray, period: int) -> FloatArray:
    """Rolling minimum over `period` bars including the current one; NaN until `period` bars exist."""
    n = check_period("lowest", period)
    result: FloatArray = series(as_float(values)).rolling(n, min_periods=n).min().to_numpy(np.float64)
    return result
