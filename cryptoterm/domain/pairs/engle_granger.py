"""Engle-Granger cointegration for many pairs in both directions, equal to statsmodels' `coint(y, x)`.

`coint` with its defaults regresses y on [x, 1] by OLS, runs the ADF test on the residuals without a constant
(regression "n", autolag "aic", maxlag ⌈12·(n/100)^¼⌉), and reads the p-value and critical values from MacKinnon's
tables for N = 2 series with a constant ("c"; critical values at nobs - 1, as statsmodels does to match Stata's
`egranger`). Pairs whose R² is at least 1 - 100·√eps are treated as statsmodels treats them: t = -inf, p = 0.

The first stage is done on centred log prices: log closes sit near a constant level (log BTC ≈ 10) with a small
spread around it, and regressing on an uncentred [x, 1] squares that conditioning. Centring gives the same
slope, intercept and residuals exactly in real arithmetic and keeps them accurate in floating point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cryptoterm.domain.pairs.adf import Autolag, adf_batch, adf_from_products, default_maxlag
from cryptoterm.domain.pairs.arrays import FloatArray, IntArray
from cryptoterm.domain.pairs.lag_products import LagProducts
from cryptoterm.domain.pairs.mackinnon import mackinnon_critical_values, mackinnon_pvalues
from cryptoterm.domain.pairs.pair_products import PairFits

#: statsmodels' collinearity cut-off in `coint`: R² ≥ 1 - 100·√eps means the test is not defined.
_COLLINEAR_R2 = 1 - 100 * np.sqrt(np.finfo(np.double).eps)


@dataclass(frozen=True, slots=True)
class OlsFit:
    """y = alpha + beta·x + resid for each pair (rows of `resid` are the spreads, bars along the last axis)."""

    beta: FloatArray
    alpha: FloatArray
    resid: FloatArray
    rsquared: FloatArray


@dataclass(frozen=True, slots=True)
class CointegrationTest:
    """One direction of the Engle-Granger test for P pairs; critical values are shared (they depend on n only)."""

    statistic: FloatArray
    pvalue: FloatArray
    used_lag: IntArray
    critical_values: FloatArray


@dataclass(frozen=True, slots=True)
class EngleGranger:
    """Both directions: `forward` is y on x (`pairs[:, 0]` on `pairs[:, 1]`), `reverse` is x on y."""

    forward: CointegrationTest
    reverse: CointegrationTest
    forward_fit: OlsFit
    reverse_fit: OlsFit
    nobs: int


def ols_fit(y: FloatArray, x: FloatArray) -> OlsFit:
    """OLS of each row of `y` on [row of `x`, 1] (P × n each), through centred data."""
    y_mean = y.mean(axis=1)
    x_mean = x.mean(axis=1)
    yc = y - y_mean[:, None]
    xc = x - x_mean[:, None]
    sxx = np.einsum("pt,pt->p", xc, xc)
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = np.einsum("pt,pt->p", xc, yc) / sxx
    resid = yc - beta[:, None] * xc
    tss = np.einsum("pt,pt->p", yc, yc)
    with np.errstate(invalid="ignore", divide="ignore"):
        rsquared = 1.0 - np.einsum("pt,pt->p", resid, resid) / tss
    return OlsFit(beta=beta, alpha=y_mean - beta * x_mean, resid=resid, rsquared=rsquared)


def cointegration_test(
    fit: OlsFit, maxlag: int | None = None, autolag: Autolag = "aic", products: LagProducts | None = None
) -> CointegrationTest:
    """The residual-based test for each fitted pair, as `coint` computes it from its first-stage OLS.

    `products` may carry the residuals' lag products when the caller computed them already (for the spread's
    own ADF test, which reads the same sums).
    """
    resid = fit.resid
    n = resid.shape[1]
    collinear = ~(fit.rsquared < _COLLINEAR_R2)
    adf = adf_batch(resid, regression="n", maxlag=maxlag, autolag=autolag, products=products)
    statistic = np.where(collinear & np.isfinite(fit.rsquared), -np.inf, adf.statistic)
    critical = mackinnon_critical_values("c", 2, np.array([n - 1]))[0]
    return CointegrationTest(
        statistic=statistic,
        pvalue=mackinnon_pvalues(statistic, "c", 2),
        used_lag=adf.used_lag,
        critical_values=critical,
    )


def cointegration_from_fits(fits: PairFits, n: int, autolag: Autolag = "aic") -> CointegrationTest:
    """The residual-based test from fits assembled from the legs' sums (`pair_products`), as `coint` computes it.

    Rows marked `fits.direct` are not trustworthy here; the caller tests them from their residuals.
    """
    adf = adf_from_products(fits.head, n, fits.products, fits.usable, regression="n", autolag=autolag)
    collinear = ~(fits.rsquared < _COLLINEAR_R2)
    statistic = np.where(collinear & np.isfinite(fits.rsquared), -np.inf, adf.statistic)
    critical = mackinnon_critical_values("c", 2, np.array([n - 1]))[0]
    return CointegrationTest(
        statistic=statistic,
        pvalue=mackinnon_pvalues(statistic, "c", 2),
        used_lag=adf.used_lag,
        critical_values=critical,
    )


def engle_granger(
    log_closes: FloatArray, pairs: IntArray, maxlag: int | None = None, autolag: Autolag = "aic"
) -> EngleGranger:
    """`coint(log_closes[:, i], log_closes[:, j])` and `coint(…[:, j], …[:, i])` for every row (i, j) of `pairs`.

    `log_closes` is bars × symbols (aligned, no gaps); `pairs` is a (P, 2) array of column indices.
    """
    n = log_closes.shape[0]
    default_maxlag(n, "n")  # a window too short for the test fails here, with the bar count in the message
    index = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    y = np.ascontiguousarray(log_closes[:, index[:, 0]].T)
    x = np.ascontiguousarray(log_closes[:, index[:, 1]].T)
    forward_fit = ols_fit(y, x)
    reverse_fit = ols_fit(x, y)
    return EngleGranger(
        forward=cointegration_test(forward_fit, maxlag, autolag),
        reverse=cointegration_test(reverse_fit, maxlag, autolag),
        forward_fit=forward_fit,
        reverse_fit=reverse_fit,
        nobs=n,
    )
