"""Trend strength: ADX with +DI / -DI.

`ta`'s ADX runs five Python loops per call (hundreds of times slower than compiled code on 100k bars). Here the
three Wilder running sums (true range, +DM, -DM) and the ADX smoothing are each one `wilder` pass. The sums'
common factor cancels in the DI ratios, so the means `wilder` produces give the same DIs as `ta`'s sums.
Tests prove equality with `ta` on real klines (+DI/-DI from bar period+1, ADX from bar 2·period-1; `ta` puts
zeros before that, this module NaN).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cryptoterm.domain.indicators._types import FloatArray, as_float, check_period
from cryptoterm.domain.indicators.moving import wilder
from cryptoterm.domain.indicators.volatility import true_range


class Adx(NamedTuple):
    """Average directional index and the two directional indicators, all 0-100."""

    adx: FloatArray
    plus_di: FloatArray
    minus_di: FloatArray


def adx(high: FloatArray, low: FloatArray, close: FloatArray, period: int = 14) -> Adx:
    """Wilder's ADX / +DI / -DI with `ta.trend.ADXIndicator`'s seeding (first DI at bar `period`)."""
    n = check_period("adx", period)
    h, lo = as_float(high), as_float(low)
    size = h.size
    nan = np.full(size, np.nan)
    if size <= n:
        return Adx(nan, nan.copy(), nan.copy())
    tr = true_range(h, lo, close)
    up = np.zeros(size)
    down = np.zeros(size)
    up[1:] = h[1:] - h[:-1]
    down[1:] = lo[:-1] - lo[1:]
    plus_dm = np.where((up > down) & (up > 0), up, 0.0)
    minus_dm = np.where((down > up) & (down > 0), down, 0.0)
    # Seed at bar n with the mean of bars 1..n (bar 0 has no previous bar, hence no DM).
    tr_s = wilder(tr, n, n)
    plus_s = wilder(plus_dm, n, n)
    minus_s = wilder(minus_dm, n, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        plus_di = np.where(tr_s != 0, 100.0 * plus_s / tr_s, 0.0)
        minus_di = np.where(tr_s != 0, 100.0 * minus_s / tr_s, 0.0)
        total = plus_di + minus_di
        dx = np.where(total != 0, 100.0 * np.abs(plus_di - minus_di) / total, 0.0)
    plus_di[:n] = np.nan
    minus_di[:n] = np.nan
    dx[:n] = np.nan
    return Adx(wilder(dx, n, 2 * n - 1), plus_di, minus_di)
