"""Volume-weighted indicators: rolling VWAP and on-balance volume (as `ta` defines them)."""

from __future__ import annotations

import numpy as np

from cryptoterm.domain.indicators._types import FloatArray, as_float, check_period, series


def vwap(high: FloatArray, low: FloatArray, close: FloatArray, volume: FloatArray, period: int = 14) -> FloatArray:
    """Rolling VWAP of the typical price (h+l+c)/3 over `period` bars (`ta`'s definition, not a session VWAP)."""
    n = check_period("vwap", period)
    v = as_float(volume)
    typical = (as_float(high) + as_float(low) + as_float(close)) / 3.0
    pv = series(typical * v).rolling(n, min_periods=n).sum().to_numpy(np.float64)
    vol = series(v).rolling(n, min_periods=n).sum().to_numpy(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        result: FloatArray = pv / vol
    return result


def obv(close: FloatArray, volume: FloatArray) -> FloatArray:
    """On-balance volume: running sum of volume, subtracted on bars that close below the previous close."""
    c, v = as_float(close), as_float(volume)
    signed = v.copy()
    if c.size > 1:
        signed[1:] = np.where(c[1:] < c[:-1], -v[1:], v[1:])
    result: FloatArray = np.cumsum(signed)
    return result
