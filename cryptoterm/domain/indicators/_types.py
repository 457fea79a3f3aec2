"""Array types shared by the indicator kernels.

Kernels take and return plain float64 numpy arrays (one value per bar, oldest first) so the strategy evaluator,
the backtester and the chart can share them without a pandas round-trip per call. Warm-up bars are NaN, never 0:
a zero would look like a real reading (an ADX of 0 is "no trend", not "not known yet").
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def as_float(values: npt.ArrayLike) -> FloatArray:
    """A contiguous float64 view (or copy) of `values`."""
    return np.ascontiguousarray(values, dtype=np.float64)


def check_period(name: str, period: int) -> int:
    """Periods must be positive integers; anything else is a caller bug worth a clear message."""
    if int(period) != period or period < 1:
        raise ValueError(f"{name}: period must be a positive integer, got {period!r}")
    return int(period)


def series(values: FloatArray) -> pd.Series:
    """Wrap an array for pandas' compiled rolling / ewm kernels (no copy)."""
    return pd.Series(values, copy=False)
