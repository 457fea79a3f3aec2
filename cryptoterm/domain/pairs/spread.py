"""The spread of a hedged pair and the statistics a trader reads off it: level, spread, z-score, ADF.

spread_t = log y_t - (alpha + beta·log x_t) for a fixed hedge (beta, alpha). Its ADF test is statsmodels'
`adfuller(spread)` with its defaults (constant, autolag "aic"): p-values from MacKinnon's N = 1 tables and critical
values at each spread's own regression size, like `adfuller` reports them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cryptoterm.domain.pairs.adf import adf_batch
from cryptoterm.domain.pairs.arrays import FloatArray, IntArray
from cryptoterm.domain.pairs.lag_products import LagProducts
from cryptoterm.domain.pairs.mackinnon import mackinnon_critical_values, mackinnon_pvalues


@dataclass(frozen=True, slots=True)
class SpreadStatistics:
    """Per spread: mean and sample std (ddof 1) over the window, the last bar's z-score, and its ADF test."""

    mean: FloatArray
    std: FloatArray
    zscore: FloatArray
    adf_statistic: FloatArray
    adf_pvalue: FloatArray
    adf_lag: IntArray
    adf_critical_values: FloatArray


def hedged_spread(y: FloatArray, x: FloatArray, beta: FloatArray, alpha: FloatArray) -> FloatArray:
    """log y - (alpha + beta·log x), one spread per row (P × n inputs, P hedges)."""
    spread: FloatArray = y - (alpha[:, None] + beta[:, None] * x)
    return spread


def spread_statistics(spreads: FloatArray, products: LagProducts | None = None) -> SpreadStatistics:
    """Level statistics and the ADF test (with constant) of every row of `spreads`.

    `products` are the spreads' lag products when the caller already computed them at the ADF's default maxlag.
    """
    mean = spreads.mean(axis=1)
    std = spreads.std(axis=1, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        zscore = (spreads[:, -1] - mean) / std
    adf = adf_batch(spreads, regression="c", products=products)
    return SpreadStatistics(
        mean=mean,
        std=std,
        zscore=zscore,
        adf_statistic=adf.statistic,
        adf_pvalue=mackinnon_pvalues(adf.statistic, "c", 1),
        adf_lag=adf.used_lag,
        adf_critical_values=mackinnon_critical_values("c", 1, adf.nobs),
    )
