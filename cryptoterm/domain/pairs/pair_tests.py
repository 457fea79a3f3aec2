"""Engle-Granger for a chunk of pairs, both directions, from the sums of its legs (see `pair_products`).

The chunk's y legs and x legs are read once each; the cross sums between them are a few BLAS products; each
pair's Gram matrices are assembled from them and tested. Pairs that fit too well for the quadratic forms
(`pair_products.DIRECT_ABOVE_R2`) are re-tested from their own residuals, exactly as `engle_granger` does, so
every pair equals statsmodels' `coint` to the same tolerance whichever way it was computed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from cryptoterm.domain.pairs.adf import Autolag, default_maxlag
from cryptoterm.domain.pairs.arrays import FloatArray, IntArray
from cryptoterm.domain.pairs.engle_granger import (
    CointegrationTest,
    cointegration_from_fits,
    cointegration_test,
    ols_fit,
)
from cryptoterm.domain.pairs.lag_products import LagProducts, lag_products
from cryptoterm.domain.pairs.pair_products import leg_sums, pair_fits


@dataclass(frozen=True, slots=True)
class PairTests:
    """Both directions for P pairs; the forward fit's slope, intercept, residuals (P × n) and their lag products
    at the window's lag cap (None where not asked for)."""

    forward: CointegrationTest
    reverse: CointegrationTest | None
    beta: FloatArray
    alpha: FloatArray
    resid: FloatArray | None
    products: LagProducts


def _legs(log_closes: FloatArray, columns: IntArray) -> FloatArray:
    legs: FloatArray = np.ascontiguousarray(log_closes[:, columns].T)
    return legs


def _splice(test: CointegrationTest, rows: IntArray, other: CointegrationTest) -> CointegrationTest:
    statistic, pvalue, used_lag = test.statistic.copy(), test.pvalue.copy(), test.used_lag.copy()
    statistic[rows], pvalue[rows], used_lag[rows] = other.statistic, other.pvalue, other.used_lag
    return replace(test, statistic=statistic, pvalue=pvalue, used_lag=used_lag)


def pair_tests(
    log_closes: FloatArray,
    pairs: IntArray,
    maxlag: int | None = None,
    autolag: Autolag = "aic",
    *,
    reverse: bool = True,
    residuals: bool = True,
) -> PairTests:
    """`coint(y, x)` (and `coint(x, y)` when `reverse`) for each (y, x) row of `pairs` (columns of the
    bars × symbols matrix `log_closes`)."""
    index = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    n = log_closes.shape[0]
    lag_cap = default_maxlag(n, "n") if maxlag is None else maxlag
    left, yi = np.unique(index[:, 0], return_inverse=True)
    right, xj = np.unique(index[:, 1], return_inverse=True)
    sums = leg_sums(_legs(log_closes, left), _legs(log_closes, right), lag_cap)
    yi, xj = yi.reshape(-1), xj.reshape(-1)
    forward_fits = pair_fits(sums, yi, xj)
    forward = cointegration_from_fits(forward_fits, n, autolag)
    direct = forward_fits.direct.copy()
    backward = None
    if reverse:
        reverse_fits = pair_fits(sums, yi, xj, reverse=True)
        backward = cointegration_from_fits(reverse_fits, n, autolag)
        direct |= reverse_fits.direct
    beta, alpha = forward_fits.beta.copy(), forward_fits.alpha.copy()
    resid = sums.centred_y[yi] - beta[:, None] * sums.centred_x[xj] if residuals else None
    products = forward_fits.products
    rows = np.flatnonzero(direct)
    if rows.size:
        y = _legs(log_closes, index[rows, 0])
        x = _legs(log_closes, index[rows, 1])
        fit = ols_fit(y, x)
        exact = lag_products(fit.resid, lag_cap)
        forward = _splice(forward, rows, cointegration_test(fit, maxlag, autolag, exact))
        if backward is not None:
            backward = _splice(backward, rows, cointegration_test(ols_fit(x, y), maxlag, autolag))
        beta[rows], alpha[rows] = fit.beta, fit.alpha
        if resid is not None:
            resid[rows] = fit.resid
        gram, level_sum, diff_sums = products.gram.copy(), products.level_sum.copy(), products.diff_sums.copy()
        gram[rows], level_sum[rows], diff_sums[rows] = exact.gram, exact.level_sum, exact.diff_sums
        products = replace(products, gram=gram, level_sum=level_sum, diff_sums=diff_sums)
    return PairTests(forward=forward, reverse=backward, beta=beta, alpha=alpha, resid=resid, products=products)
