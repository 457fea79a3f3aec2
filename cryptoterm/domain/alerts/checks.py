"""The numbers alert triggers compare, computed from what the engine already has (trades, closed bars).

Each function reads only the data up to the moment it is asked about (the last trade, the bar that just
closed), so a replay and a live run see the same thing at the same market time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from cryptoterm.domain.alerts.triggers import BandOp, PriceOp

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
#: Fewest aligned bars a pair z-score is computed from (fewer says more about noise than about the pair).
MIN_PAIR_BARS = 30


def side_of(price: float, level: float) -> int:
    """+1 above the level, -1 below, 0 exactly on it (a touch is not a crossing)."""
    return 1 if price > level else -1 if price < level else 0


class PriceCheck(NamedTuple):
    """Whether a trade met a price trigger, and the side of the level it left the price on."""

    hit: bool
    side: int


def check_price(op: PriceOp, level: float, last_side: int, price: float) -> PriceCheck:
    """One trade against a price trigger. `last_side` is the last non-zero side seen (0 before any trade).

    A crossing is the price moving from one side of the level to the other (touching it is neither); the first
    trade only sets the side, so starting up next to a level never reports a crossing that no one saw.
    """
    side = side_of(price, level)
    new_side = side if side != 0 else last_side
    if op == "above":
        return PriceCheck(side > 0, new_side)
    if op == "below":
        return PriceCheck(side < 0, new_side)
    if side == 0 or last_side == 0 or side == last_side:
        return PriceCheck(False, new_side)
    if op == "crosses_above":
        return PriceCheck(side > 0, new_side)
    if op == "crosses_below":
        return PriceCheck(side < 0, new_side)
    return PriceCheck(True, new_side)


def in_band(op: BandOp, value: float, band: float) -> bool:
    """`value` above / below `band`, or beyond it either way (|value| > band). NaN never holds."""
    if not math.isfinite(value):
        return False
    if op == "above":
        return value > band
    if op == "below":
        return value < band
    return abs(value) > band


def percent_change(open_times: IntArray, closes: FloatArray, window_ms: int) -> float:
    """Percent change of the last close against the close `window_ms` of bars before it (NaN if unknown).

    The reference is the bar that opened exactly `window_ms` before the last one, or the latest bar before that
    moment when it is missing (a gap), and only if it is no older than twice the window.
    """
    if open_times.size < 2:
        return math.nan
    last_time = int(open_times[-1])
    target = last_time - window_ms
    index = int(np.searchsorted(open_times, target, side="right")) - 1
    if index < 0 or last_time - int(open_times[index]) > 2 * window_ms:
        return math.nan
    reference = float(closes[index])
    if not reference > 0:
        return math.nan
    return (float(closes[-1]) / reference - 1.0) * 100.0


def volume_ratio(volumes: FloatArray, bars: int) -> float:
    """The last bar's volume over the median of the `bars` bars before it (NaN without a full baseline)."""
    if volumes.size < bars + 1:
        return math.nan
    baseline = float(np.median(volumes[-bars - 1 : -1]))
    if not baseline > 0:
        return math.nan
    return float(volumes[-1]) / baseline


@dataclass(frozen=True, slots=True)
class PairHedge:
    """A pair's spread as a screen measured it: log y − (alpha + beta · log x), with the window's mean and std."""

    beta: float
    alpha: float
    mean: float
    std: float
    #: Where it comes from, for the alert's message ("screen #12, ols").
    source: str = ""


def hedged_zscore(close_y: float, close_x: float, hedge: PairHedge) -> float:
    """The z-score of the latest closes under a screen's hedge — what the screener's watched pair shows."""
    from cryptoterm.domain.pairs.detail import live_zscore

    if not (close_y > 0 and close_x > 0):
        return math.nan
    return live_zscore(math.log(close_y), math.log(close_x), hedge.beta, hedge.alpha, hedge.mean, hedge.std)


def pair_zscore(times_y: IntArray, closes_y: FloatArray, times_x: IntArray, closes_x: FloatArray) -> float:
    """z-score of the last bar of the spread log y − (α + β log x), OLS over the bars both series share.

    The same hedge and statistics the pairs screener uses (OLS on log closes), fitted on the window given, so
    the value is the screener's z-score of the pair at the bar that just closed. NaN with too few shared bars.
    """
    from cryptoterm.domain.pairs.engle_granger import ols_fit

    common, iy, ix = np.intersect1d(times_y, times_x, assume_unique=True, return_indices=True)
    if common.size < MIN_PAIR_BARS:
        return math.nan
    y, x = closes_y[iy], closes_x[ix]
    if not (np.all(y > 0) and np.all(x > 0)):
        return math.nan
    log_y, log_x = np.log(y)[None, :], np.log(x)[None, :]
    fit = ols_fit(log_y, log_x)
    spread = fit.resid[0]
    std = float(spread.std(ddof=1))
    if not std > 0 or not math.isfinite(std):
        return math.nan
    return float((spread[-1] - spread.mean()) / std)
