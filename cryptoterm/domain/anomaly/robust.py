"""Robust z-scores: how far a value sits from the median of its baseline, in MADs scaled to sigmas.

Crypto returns and volumes are fat-tailed: one wild bar inflates a standard deviation enough to hide itself and
the next one, while medians barely move. The baseline of bar i is the `window` bars strictly before it (no
lookahead): its centre is their median, its scale 1.4826 × the median of their absolute deviations from their
own baseline medians (the rolling MAD: a running median of running deviations, which pandas computes in one pass
where an exact per-window MAD would cost a sort per bar). 1.4826 makes it estimate the standard deviation of
normal data, so a robust z of 5 reads like a z-score of 5 would.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]

#: Consistency constant that makes the MAD estimate the standard deviation of normal data.
MAD_TO_SIGMA = 1.4826


def _min_periods(window: int) -> int:
    return max(10, window // 4)


def trailing_zscores(values: FloatArray, window: int) -> FloatArray:
    """z of each value against the `window` values before it (see the module docstring); NaN while fewer than a
    quarter of the window (at least 10) are known, and where the baseline is flat."""
    series = pd.Series(np.asarray(values, dtype=np.float64))
    need = _min_periods(window)
    center = series.rolling(window, min_periods=need).median().shift(1)
    deviation = (series.shift(1) - center.shift(1)).abs()
    scale = MAD_TO_SIGMA * deviation.rolling(window, min_periods=need).median()
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (series - center) / scale.where(scale > 0)
    return z.to_numpy(dtype=np.float64)


def history_needed(window: int) -> int:
    """Values (the bar itself included) that make `last_zscore` equal `trailing_zscores(...)[-1]`."""
    return 2 * window + 2


def last_zscore(values: FloatArray, window: int) -> float:
    """`trailing_zscores(values, window)[-1]`, computed on the history it reads (the live check of one bar)."""
    x = np.asarray(values, dtype=np.float64)[-history_needed(window) :]
    if x.shape[0] < 2:
        return float("nan")
    return float(trailing_zscores(x, window)[-1])


def centred_zscores(values: FloatArray, window: int) -> FloatArray:
    """z of each value against a window centred on it: a retrospective check (data quality), never a signal."""
    series = pd.Series(np.asarray(values, dtype=np.float64))
    need = max(3, min(window, series.shape[0]) // 4)
    center = series.rolling(window, center=True, min_periods=need).median()
    mad = (series - center).abs().rolling(window, center=True, min_periods=need).median()
    scale = MAD_TO_SIGMA * mad
    with np.errstate(divide="ignore", invalid="ignore"):
        return ((series - center) / scale.where(scale > 0)).to_numpy(dtype=np.float64)
