"""Augmented Dickey-Fuller t-statistics for many series at once, step for step as statsmodels' `adfuller`.

statsmodels searches the lag length on one common sample (the rows every candidate lag can use, t = L … n - 2 with
L the maximum lag), picks the lag with the smallest information criterion, then re-runs the chosen regression on
the longer sample that lag allows. This module does the same arithmetic on Gram matrices:

- the lag search needs the residual sum of squares of every nested prefix of the columns [constant?, level,
  Δx_{t-1}, …, Δx_{t-L}]; one Cholesky factor of the Gram matrix augmented with the regressand gives all of them
  at once (the regressand's row of the factor holds the part of y each further column explains), for all series
  in one batched call;
- the final regression adds the rows t = k … L - 1 that a shorter lag k regains, as a small outer-product
  correction to the same Gram matrix; with the columns reordered to [constant?, lags, level, regressand] one more
  Cholesky factor gives the level's t-statistic directly (no solve, see `_final_statistic`).

No Jacobi scaling is needed: levels and differences differ in size by one to two orders of magnitude, but a
Cholesky factorisation is unaffected by diagonal scaling (van der Sluis), so the factors of the raw Gram matrices
are as accurate as those of the scaled ones. The information criteria are statsmodels' own formulas (`OLS.llf`,
`aic = -2 llf + 2 k`) so ties break the same way (smallest lag).

Series that are constant or not finite get NaN, never an exception that would lose the rest of the batch. So
does a regression with no residual degrees of freedom: statsmodels' default maximum lag lets the search reach an
exact fit in very short windows (an even number of bars up to 20 without a constant), whose criterion is -inf
and wins; statsmodels then reports a t-statistic of 0 for a regression that has no residual variance, this
module reports NaN. Windows of 21 bars or more never get there, nor any regression with a constant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from cryptoterm.domain.pairs.arrays import BoolArray, FloatArray, IntArray
from cryptoterm.domain.pairs.lag_products import LagProducts, lag_products

Regression = Literal["n", "c"]
Autolag = Literal["aic", "bic"] | None


@dataclass(frozen=True, slots=True)
class AdfBatch:
    """ADF results for P series: the t-statistic of the level, the lag used and the final regression's rows."""

    statistic: FloatArray
    used_lag: IntArray
    nobs: IntArray
    maxlag: int


def default_maxlag(n_bars: int, regression: Regression) -> int:
    """statsmodels' default: ⌈12·(n/100)^¼⌉ (Schwert), capped at n // 2 - ntrend - 1."""
    ntrend = 0 if regression == "n" else 1
    maxlag = int(np.ceil(12.0 * np.power(n_bars / 100.0, 1 / 4.0)))
    maxlag = min(n_bars // 2 - ntrend - 1, maxlag)
    if maxlag < 0:
        raise ValueError(f"{n_bars} bars are too few for an ADF regression with regression={regression!r}")
    return maxlag


def _with_constant(products: LagProducts) -> FloatArray:
    """The Gram matrix with a constant column in front, as statsmodels prepends it for the lag search."""
    gram = products.gram
    count, size, _ = gram.shape
    full = np.empty((count, size + 1, size + 1))
    full[:, 1:, 1:] = gram
    sums = np.concatenate(
        (np.full((count, 1), float(products.nobs)), products.level_sum[:, None], products.diff_sums[:, 1:]), axis=1
    )
    sums = np.concatenate((sums, products.diff_sums[:, :1]), axis=1)
    full[:, 0, :] = sums
    full[:, :, 0] = sums
    return full


def _cholesky(matrices: FloatArray) -> tuple[FloatArray, BoolArray]:
    """Lower Cholesky factors; a matrix that is not positive definite gets NaN instead of failing the batch."""
    try:
        whole = np.asarray(np.linalg.cholesky(matrices), dtype=np.float64)
        return whole, np.ones(matrices.shape[0], dtype=bool)
    except np.linalg.LinAlgError:
        factors: FloatArray = np.full_like(matrices, np.nan)
        ok = np.zeros(matrices.shape[0], dtype=bool)
        for index, matrix in enumerate(matrices):
            try:
                factors[index] = np.linalg.cholesky(matrix)
                ok[index] = True
            except np.linalg.LinAlgError:
                continue
        return factors, ok


def _search_lags(gram: FloatArray, first: int, maxlag: int, nobs: int, autolag: Literal["aic", "bic"]) -> IntArray:
    """The lag (0 … L) whose prefix regression minimises the criterion, for every series."""
    factor, ok = _cholesky(gram)
    last = gram.shape[1] - 1
    explained = factor[:, last, :] ** 2
    # SSR of the regression on the first q columns = Σ_{j ≥ q} of the regressand's row of the factor, squared.
    tails = np.cumsum(explained[:, ::-1], axis=1)[:, ::-1]
    columns = first + np.arange(maxlag + 1)
    ssr = tails[:, columns]
    half = nobs / 2.0
    llf = -half * np.log(2 * np.pi) - half * np.log(ssr / nobs) - half
    penalty = 2.0 * columns if autolag == "aic" else np.log(nobs) * columns
    criteria = -2 * llf + penalty[None, :]
    criteria[~ok] = 0.0
    # As many columns as rows: the fit is exact, statsmodels' SSR is 0 and its criterion -inf, so it wins.
    criteria[:, columns >= nobs] = -np.inf
    best: IntArray = np.argmin(criteria, axis=1).astype(np.int64)
    return best


def _early_rows(levels: FloatArray, maxlag: int, constant: bool) -> FloatArray:
    """(P, L, columns) design rows t = 0 … L - 1, zero where a lag reaches before the first difference."""
    d = np.diff(levels, axis=1)
    rows = np.arange(maxlag)[:, None]
    lags = np.arange(1, maxlag + 1)[None, :]
    index = rows - lags
    lagged = np.where(index >= 0, d[:, np.clip(index, 0, None)], 0.0)
    parts = [levels[:, :maxlag, None], lagged, d[:, :maxlag, None]]
    if constant:
        parts.insert(0, np.ones((levels.shape[0], maxlag, 1)))
    return np.concatenate(parts, axis=2)


def _final_statistic(
    head: FloatArray, n: int, gram: FloatArray, lags: IntArray, maxlag: int, constant: bool
) -> tuple[FloatArray, IntArray]:
    """t-statistic of the level in the regression with each series' chosen lag, on that lag's own sample.

    `head` is each series' first L + 1 levels: the rows a shorter lag regains are all there. The columns are
    reordered to [constant?, lags, level, regressand] and the lags a series does not use are decoupled (an
    identity block), so one Cholesky factor L of the augmented Gram matrix per series gives the statistic with
    no solve: the level's coefficient is L[y, lv] / L[lv, lv], its variance s² / L[lv, lv]², s² = L[y, y]² / dof,
    hence t = L[y, lv]·√dof / L[y, y].
    """
    count = head.shape[0]
    size = gram.shape[1]
    first = 2 if constant else 1
    if maxlag > 0:
        rows = _early_rows(head, maxlag, constant)
        keep = (np.arange(maxlag)[None, :] >= lags[:, None]).astype(np.float64)
        gram = gram + np.matmul(rows.transpose(0, 2, 1) * keep[:, None, :], rows)
    level = first - 1
    order = np.concatenate((np.arange(level), np.arange(first, size - 1), [level, size - 1]))
    reordered = gram.take(order, axis=1).take(order, axis=2)
    used = np.ones((count, size), dtype=bool)
    used[:, level : level + maxlag] = np.arange(1, maxlag + 1)[None, :] <= lags[:, None]
    design = np.where(used[:, :, None] & used[:, None, :], reordered, 0.0)
    diagonal = np.arange(size)
    design[:, diagonal, diagonal] = np.where(used, design[:, diagonal, diagonal], 1.0)
    factor, ok = _cholesky(design)
    nobs = (n - 1 - lags).astype(np.int64)
    dof = nobs - (first + lags)
    with np.errstate(invalid="ignore", divide="ignore"):
        statistic: FloatArray = np.where(
            (dof > 0) & ok, factor[:, -1, -2] * np.sqrt(np.maximum(dof, 0)) / factor[:, -1, -1], np.nan
        )
    return statistic, nobs


def _usable(levels: FloatArray) -> BoolArray:
    finite = np.asarray(np.isfinite(levels).all(axis=1), dtype=bool)
    spread = np.ptp(np.where(finite[:, None], levels, 0.0), axis=1)
    usable: BoolArray = finite & (spread > 0)
    return usable


def adf_batch(
    levels: FloatArray,
    regression: Regression = "c",
    maxlag: int | None = None,
    autolag: Autolag = "aic",
    products: LagProducts | None = None,
) -> AdfBatch:
    """ADF t-statistics of every row of `levels` (P series × n bars), equal to `adfuller(row, …)[0]`.

    `maxlag` None is statsmodels' default for n bars; `products` may be passed when the caller already has them
    for this maxlag (the same residuals are tested with and without a constant).
    """
    levels = np.ascontiguousarray(levels, dtype=np.float64)
    if levels.ndim != 2:
        raise ValueError(f"levels must be a (series, bars) matrix, got shape {levels.shape}")
    count, n = levels.shape
    lag_cap = default_maxlag(n, regression) if maxlag is None else maxlag
    ntrend = 0 if regression == "n" else 1
    if lag_cap > n // 2 - ntrend - 1 or lag_cap < 0:
        raise ValueError(f"maxlag {lag_cap} must be between 0 and n/2 - 1 - ntrend = {n // 2 - ntrend - 1}")
    usable = _usable(levels)
    if not usable.all():
        levels = levels.copy()
        levels[~usable] = levels[np.argmax(usable)] if usable.any() else 0.0
        products = None
    if not usable.any():
        nan = np.full(count, np.nan)
        return AdfBatch(nan, np.zeros(count, dtype=np.int64), np.zeros(count, dtype=np.int64), lag_cap)
    if products is None or products.maxlag != lag_cap:
        products = lag_products(levels, lag_cap)
    return adf_from_products(levels[:, : lag_cap + 1], n, products, usable, regression, autolag)


def adf_from_products(
    head: FloatArray,
    n: int,
    products: LagProducts,
    usable: BoolArray,
    regression: Regression = "c",
    autolag: Autolag = "aic",
) -> AdfBatch:
    """The ADF test from the lag products of P series of n bars and their first L + 1 levels (`head`).

    `usable` marks the series that can be tested (finite, not constant); the others get NaN. This is `adf_batch`
    without a pass over the whole series: the products may have been assembled from elsewhere.
    """
    count = head.shape[0]
    lag_cap = products.maxlag
    constant = regression == "c"
    gram = _with_constant(products) if constant else products.gram
    if autolag is None:
        lags = np.full(count, lag_cap, dtype=np.int64)
    else:
        lags = _search_lags(gram, 2 if constant else 1, lag_cap, products.nobs, autolag)
    statistic, nobs = _final_statistic(head, n, gram, lags, lag_cap, constant)
    statistic = np.where(usable, statistic, np.nan)
    return AdfBatch(statistic=statistic, used_lag=lags, nobs=nobs, maxlag=lag_cap)
