"""How a spread mean-reverts: Hurst exponent, half-life of the AR(1) / Ornstein-Uhlenbeck fit, mean crossings.

Cointegration says a spread is stationary; these say whether it reverts fast and often enough to trade. All take
a (P, n) matrix of spreads (one per row) and return one value per row.
"""

from __future__ import annotations

import numpy as np

from cryptoterm.domain.pairs.arrays import FloatArray, IntArray

#: Largest lag of the Hurst fit unless the series is too short for it (then a quarter of its length).
DEFAULT_HURST_MAX_LAG = 100
#: Lags of the Hurst fit, spread evenly in log τ: the fit is a line in log τ, so even spacing weighs every
#: scale alike (and 20 lags cost a fifth of all 99).
HURST_LAG_COUNT = 20


def hurst_exponent(series: FloatArray, max_lag: int = DEFAULT_HURST_MAX_LAG) -> FloatArray:
    """Hurst exponent H from the scaling of lagged differences: std(s[t+τ] - s[t]) ∝ τ^H.

    Estimator: for up to 20 lags τ from 2 to max_lag (capped at n // 4), evenly spaced in log τ, the standard
    deviation of the τ-bar differences, then the least-squares slope of log std against log τ. A random walk's
    differences grow like √τ (H = 0.5); a mean-reverting spread's stop growing once τ passes its half-life
    (H < 0.5); a trending, persistent one's grow faster than √τ (H > 0.5). It reads the range of lags it is
    given, so a spread that reverts only over more than max_lag bars looks like a random walk: keep max_lag well
    above the half-lives worth trading.
    """
    count, n = series.shape
    top = min(max_lag, n // 4)
    if top < 3:
        raise ValueError(f"the Hurst exponent needs at least 12 bars (lags 2 … 3), got {n}")
    lags = np.unique(np.round(np.geomspace(2, top, min(HURST_LAG_COUNT, top - 1))).astype(np.int64))
    spreads = np.empty((count, len(lags)))
    for column, lag in enumerate(lags):
        spreads[:, column] = np.std(series[:, lag:] - series[:, :-lag], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_std = np.log(spreads)
    log_lag = np.log(lags.astype(np.float64))
    centred = log_lag - log_lag.mean()
    # einsum, not a BLAS product: its sum per row does not depend on how many rows the batch has, so a pair gets
    # the same exponent whatever chunk it is screened in.
    deviations = log_std - log_std.mean(axis=1, keepdims=True)
    slope: FloatArray = np.einsum("pl,l->p", deviations, centred) / (centred @ centred)
    return slope


def ar1_coefficient(series: FloatArray) -> FloatArray:
    """φ of the OLS fit s_t = c + φ·s_{t-1} + ε_t, per row."""
    lagged = series[:, :-1]
    current = series[:, 1:]
    lc = lagged - lagged.mean(axis=1, keepdims=True)
    cc = current - current.mean(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        phi: FloatArray = np.einsum("pt,pt->p", lc, cc) / np.einsum("pt,pt->p", lc, lc)
    return phi


def half_life(series: FloatArray) -> FloatArray:
    """Bars for a deviation to halve: -ln 2 / ln |φ| from the AR(1) fit (the OU half-life ln 2 / θ, φ = e^-θ).

    |φ| ≥ 1 (no reversion) gives +inf; a series that cannot be fitted (constant) gives NaN.
    """
    phi = np.abs(ar1_coefficient(series))
    with np.errstate(divide="ignore", invalid="ignore"):
        result: FloatArray = np.where(phi < 1.0, -np.log(2.0) / np.log(phi), np.inf)
    return np.where(np.isnan(phi), np.nan, result)


def mean_crossings(series: FloatArray) -> IntArray:
    """How many times each row crosses its own mean (bars exactly on the mean carry the previous side)."""
    n = series.shape[1]
    side = np.sign(series - series.mean(axis=1, keepdims=True))
    # Carry the last non-zero side over bars that sit exactly on the mean.
    positions = np.where(side != 0, np.arange(n)[None, :], 0)
    carried = np.take_along_axis(side, np.maximum.accumulate(positions, axis=1), axis=1)
    changes = (carried[:, 1:] * carried[:, :-1]) < 0
    result: IntArray = changes.sum(axis=1).astype(np.int64)
    return result
