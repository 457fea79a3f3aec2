"""Market regime: is the reference market trending up, trending down, ranging, or unusually volatile?

Strategies filter on it (`regime in (bull, range)`). Per bar of the reference frame (typically BTC/USDT 4h):

* `high-vol` when ATR as a percent of price ranks at or above `high_vol_percentile` among the last
  `vol_window` bars: volatility overrides trend because stops and targets sized for normal conditions fail;
* otherwise `bull` when ADX ≥ `adx_trend`, the EMA is rising over `slope_bars` bars and the close is above it;
* `bear` for the mirror image; `range` for everything else (weak ADX, or price and slope disagreeing);
* `unknown` while the indicators are still warming up.

Labels are produced on the regime frame and mapped onto another timeframe's bars by `align`, with the same
no-lookahead rule as multi-timeframe strategy terms (a bar sees the last regime bar that had closed).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from cryptoterm.domain.indicators import adx, atr, ema
from cryptoterm.domain.regime_labels import BEAR, BULL, HIGH_VOL, LABELS, RANGE, UNKNOWN
from cryptoterm.domain.timeframes import timeframe_ms

__all__ = ["BEAR", "BULL", "HIGH_VOL", "LABELS", "RANGE", "UNKNOWN", "LabelArray", "align", "classify"]

LabelArray = npt.NDArray[np.str_]


def classify(
    frame: pd.DataFrame,
    ema_period: int = 50,
    adx_period: int = 14,
    adx_trend: float = 20.0,
    atr_period: int = 14,
    high_vol_percentile: float = 90.0,
    *,
    slope_bars: int = 5,
    vol_window: int = 500,
) -> LabelArray:
    """One label per row of `frame` (columns high, low, close), computed from that row and earlier rows only."""
    if not 0.0 < high_vol_percentile <= 100.0:
        raise ValueError(f"high_vol_percentile must be in (0, 100], got {high_vol_percentile}")
    high = frame["high"].to_numpy(np.float64)
    low = frame["low"].to_numpy(np.float64)
    close = frame["close"].to_numpy(np.float64)
    size = close.size
    trend_ema = ema(close, ema_period)
    slope = np.full(size, np.nan)
    if size > slope_bars:
        slope[slope_bars:] = trend_ema[slope_bars:] - trend_ema[:-slope_bars]
    strength = adx(high, low, close, adx_period).adx
    with np.errstate(divide="ignore", invalid="ignore"):
        atr_pct = atr(high, low, close, atr_period) / close * 100.0
    window = max(2, min(vol_window, size))
    rank = (
        pd.Series(atr_pct)
        .rolling(window, min_periods=min(window, max(2, vol_window // 5)))
        .rank(pct=True)
        .to_numpy(np.float64)
        * 100.0
    )
    labels = np.full(size, RANGE, dtype="<U8")
    trending = strength >= adx_trend
    labels[trending & (slope > 0) & (close > trend_ema)] = BULL
    labels[trending & (slope < 0) & (close < trend_ema)] = BEAR
    labels[rank >= high_vol_percentile] = HIGH_VOL
    warming = np.isnan(slope) | np.isnan(strength) | np.isnan(rank)
    labels[warming] = UNKNOWN
    return labels


def align(
    regime_labels: LabelArray,
    regime_frame_index: npt.ArrayLike,
    regime_tf: str,
    base_index: npt.ArrayLike,
    base_tf: str,
) -> LabelArray:
    """Labels for each base bar: those of the last regime bar closed by the base bar's close (else `unknown`).

    A regime bar opening at T closes at T + regime_tf; the base bar opening at t closes at t + base_tf; the
    base bar may use the regime bar only if T + regime_tf <= t + base_tf.
    """
    labels = np.asarray(regime_labels)
    regime_close = np.asarray(regime_frame_index, dtype=np.int64) + timeframe_ms(regime_tf)
    base_close = np.asarray(base_index, dtype=np.int64) + timeframe_ms(base_tf)
    if labels.shape != regime_close.shape:
        raise ValueError(f"{labels.size} regime labels for {regime_close.size} regime bars")
    positions = np.searchsorted(regime_close, base_close, side="right") - 1
    out: LabelArray = np.where(positions >= 0, labels[np.maximum(positions, 0)], UNKNOWN).astype("<U8")
    return out
