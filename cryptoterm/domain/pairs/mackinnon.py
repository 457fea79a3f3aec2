"""MacKinnon p-values and critical values for whole arrays of unit-root / cointegration statistics.

statsmodels' `mackinnonp` takes one statistic at a time; a universe screen has tens of thousands. This applies the
same response-surface tables (statsmodels.tsa.adfvalues, MacKinnon 1994 for p-values, 2010 for critical values)
with the same arithmetic (numpy `polyval`, then the normal CDF), elementwise, so every value is the one
`mackinnonp` returns for that statistic. `N` is the number of I(1) series: 1 for an ADF test, 2 for Engle-Granger
on a pair. statsmodels (and scipy under it) are imported on first use, never at module import.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from cryptoterm.domain.pairs.arrays import FloatArray, IntArray

MacKinnonRegression = Literal["n", "c", "ct", "ctt"]


def mackinnon_pvalues(statistics: FloatArray, regression: MacKinnonRegression, n_series: int) -> FloatArray:
    """`mackinnonp(stat, regression, N=n_series)` for every element (NaN stays NaN, -inf gives 0)."""
    from scipy.stats import norm
    from statsmodels.tsa import adfvalues

    index = n_series - 1
    stats = np.asarray(statistics, dtype=np.float64)
    small = np.asarray(adfvalues._tau_smallps[regression][index])[::-1]
    large = np.asarray(adfvalues._tau_largeps[regression][index])[::-1]
    with np.errstate(invalid="ignore", over="ignore"):
        surface = np.where(
            stats <= adfvalues._tau_stars[regression][index], np.polyval(small, stats), np.polyval(large, stats)
        )
        pvalues = np.asarray(norm.cdf(surface), dtype=np.float64)
    pvalues = np.where(stats < adfvalues._tau_mins[regression][index], 0.0, pvalues)
    result: FloatArray = np.where(stats > adfvalues._tau_maxs[regression][index], 1.0, pvalues)
    return result


def mackinnon_critical_values(regression: MacKinnonRegression, n_series: int, nobs: IntArray) -> FloatArray:
    """(len(nobs), 3) critical values at 1 %, 5 % and 10 %: `mackinnoncrit(N, regression, nobs)` per row."""
    from statsmodels.tsa.adfvalues import mackinnoncrit

    sizes = np.asarray(nobs, dtype=np.int64)
    unique, inverse = np.unique(sizes, return_inverse=True)
    table = np.array([mackinnoncrit(N=n_series, regression=regression, nobs=int(size)) for size in unique])
    result: FloatArray = table.reshape(len(unique), 3)[inverse.reshape(-1)]
    return result
