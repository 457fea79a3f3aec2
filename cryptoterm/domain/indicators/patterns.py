"""Candle patterns by shape only (body, wicks, previous bar).

Each returns a boolean array. Shape alone says nothing about context (a hammer matters after a decline), so a
strategy combines a pattern with a trend term, e.g. `hammer and close < ema(50)`. Thresholds are the common
textbook ones and are module constants so a chart legend can quote them.
"""

from __future__ import annotations

import numpy as np

from cryptoterm.domain.indicators._types import BoolArray, FloatArray, as_float

#: A doji's body is at most this fraction of its high-low range.
DOJI_BODY_RATIO = 0.1
#: A hammer's (shooting star's) long wick is at least this many bodies long.
WICK_BODY_RATIO = 2.0
#: A hammer's (shooting star's) short wick is at most this fraction of the range.
SHORT_WICK_RATIO = 0.25


def _shape(
    open_: FloatArray, high: FloatArray, low: FloatArray, close: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    o, h, lo, c = as_float(open_), as_float(high), as_float(low), as_float(close)
    body = np.abs(c - o)
    upper = h - np.maximum(o, c)
    lower = np.minimum(o, c) - lo
    return body, upper, lower, h - lo


def _engulfs(
    open_: FloatArray, close: FloatArray, prev_open: FloatArray, prev_close: FloatArray, bullish: bool
) -> BoolArray:
    if bullish:
        ok = (prev_close < prev_open) & (close > open_) & (open_ <= prev_close) & (close >= prev_open)
    else:
        ok = (prev_close > prev_open) & (close < open_) & (open_ >= prev_close) & (close <= prev_open)
    result: BoolArray = ok & (np.abs(close - open_) > np.abs(prev_close - prev_open))
    return result


def bullish_engulfing(open_: FloatArray, high: FloatArray, low: FloatArray, close: FloatArray) -> BoolArray:
    """A down bar followed by an up bar whose body covers the previous body and is larger."""
    o, c = as_float(open_), as_float(close)
    out = np.zeros(o.shape, dtype=np.bool_)
    out[1:] = _engulfs(o[1:], c[1:], o[:-1], c[:-1], bullish=True)
    return out


def bearish_engulfing(open_: FloatArray, high: FloatArray, low: FloatArray, close: FloatArray) -> BoolArray:
    """An up bar followed by a down bar whose body covers the previous body and is larger."""
    o, c = as_float(open_), as_float(close)
    out = np.zeros(o.shape, dtype=np.bool_)
    out[1:] = _engulfs(o[1:], c[1:], o[:-1], c[:-1], bullish=False)
    return out


def hammer(open_: FloatArray, high: FloatArray, low: FloatArray, close: FloatArray) -> BoolArray:
    """Small body near the top: lower wick ≥ 2 bodies, upper wick ≤ 25 % of the range."""
    body, upper, lower, rng = _shape(open_, high, low, close)
    result: BoolArray = (rng > 0) & (body > 0) & (lower >= WICK_BODY_RATIO * body) & (upper <= SHORT_WICK_RATIO * rng)
    return result


def shooting_star(open_: FloatArray, high: FloatArray, low: FloatArray, close: FloatArray) -> BoolArray:
    """Small body near the bottom: upper wick ≥ 2 bodies, lower wick ≤ 25 % of the range."""
    body, upper, lower, rng = _shape(open_, high, low, close)
    result: BoolArray = (rng > 0) & (body > 0) & (upper >= WICK_BODY_RATIO * body) & (lower <= SHORT_WICK_RATIO * rng)
    return result


def doji(open_: FloatArray, high: FloatArray, low: FloatArray, close: FloatArray) -> BoolArray:
    """Open and close almost equal: body ≤ 10 % of a non-zero range."""
    body, _, _, rng = _shape(open_, high, low, close)
    result: BoolArray = (rng > 0) & (body <= DOJI_BODY_RATIO * rng)
    return result
