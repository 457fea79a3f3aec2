"""Robust hedge ratios: Huber M-estimation of y on [x, 1] for many pairs at once, as statsmodels' `RLM` does it.

A few violent bars (a listing pump, a flash crash on one leg) drag an OLS hedge ratio; Huber's loss counts
residuals beyond t = 1.345 robust standard deviations linearly instead of quadratically, so they pull less.

The iteration is statsmodels' `RLM(y, X, M=HuberT()).fit()` with its defaults, step for step, vectorised over
pairs: start from OLS; the scale is the MAD of the residuals about 0 (`scale.mad(resid, center=0)`); each step
reweights with Huber's weights of resid / scale, refits weighted least squares and re-estimates the scale; it
stops when the change in the "deviance" Σ ρ(resid / s²) falls to `tol` or after `maxiter` fits (s² there is the
weighted residual variance of the latest fit, as in statsmodels). Each pair stops at its own iteration. Each
weighted fit is the closed form of two-parameter weighted least squares, the same solution statsmodels' pinv
finds. The stopping test compares deviances to 1e-8 absolute, below the rounding of a sum that large, so a pair
may stop an iteration before or after statsmodels does; both are then at the same fixed point to ~1e-11.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cryptoterm.domain.pairs.arrays import FloatArray, IntArray


@dataclass(frozen=True, slots=True)
class HuberFit:
    """y = alpha + beta·x under Huber's loss, per pair; `iterations` counts weighted fits as statsmodels does."""

    beta: FloatArray
    alpha: FloatArray
    scale: FloatArray
    iterations: IntArray


def _weighted_fit(y: FloatArray, x: FloatArray, weights: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Weighted least squares of y on [x, 1] per row, from weighted sums (x and y come in centred)."""
    wx = weights * x
    total = weights.sum(axis=1)
    sum_x = wx.sum(axis=1)
    sum_y = np.einsum("pt,pt->p", weights, y)
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = (np.einsum("pt,pt->p", wx, y) - sum_x * sum_y / total) / (
            np.einsum("pt,pt->p", wx, x) - sum_x * sum_x / total
        )
        intercept = (sum_y - beta * sum_x) / total
    return beta, intercept


def _rho_sum(z: FloatArray, t: float) -> FloatArray:
    """Σ of Huber's loss per row: z²/2 inside ±t, t·|z| - t²/2 beyond (statsmodels' `HuberT.rho`, summed).

    Written as m·(|z| - m/2) with m = min(|z|, t), which is each branch of the loss in one expression.
    """
    absolute = np.abs(z)
    clipped = np.minimum(absolute, t)
    total: FloatArray = np.einsum("pt,pt->p", clipped, absolute - 0.5 * clipped)
    return total


def _weights(z: FloatArray, t: float) -> FloatArray:
    """IRLS weights ψ(z)/z: 1 inside ±t, t/|z| beyond (statsmodels' `HuberT.weights`, the same values)."""
    weights: FloatArray = t / np.maximum(np.abs(z), t)
    return weights


def _mad(resid: FloatArray) -> FloatArray:
    """Median absolute deviation about 0, normalised to the standard normal (statsmodels' `scale.mad`)."""
    from statsmodels.robust.scale import GAUSSIAN_3_4

    mad: FloatArray = np.median(np.abs(resid) / GAUSSIAN_3_4, axis=1)
    return mad


def _deviance(resid: FloatArray, weights: FloatArray, t: float) -> FloatArray:
    """statsmodels' convergence measure: Σ ρ(resid / s²), s² the weighted residual variance of the fit."""
    variance = np.einsum("pt,pt->p", weights * resid, resid) / (resid.shape[1] - 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _rho_sum(resid / variance[:, None], t)


def huber_fit(y: FloatArray, x: FloatArray, maxiter: int = 50, tol: float = 1e-8, t: float = 1.345) -> HuberFit:
    """Huber regression of each row of `y` on [row of `x`, 1] (P × n each), equal to `RLM(…, HuberT(t)).fit()`.

    The legs are centred first (a constant shift of x or y moves only the intercept, and log prices near 10 with
    small moves fit better about their means); pairs that have converged leave the working arrays, so the
    later iterations cost only what is still moving.
    """
    count = y.shape[0]
    x_shift = x.mean(axis=1)
    y_shift = y.mean(axis=1)
    xc = x - x_shift[:, None]
    yc = y - y_shift[:, None]
    ones = np.ones_like(yc)
    b, a = _weighted_fit(yc, xc, ones)
    resid = yc - (a[:, None] + b[:, None] * xc)
    s = _mad(resid)
    previous = _deviance(resid, ones, t)
    beta, intercept, scale = b.copy(), a.copy(), s.copy()
    iterations = np.ones(count, dtype=np.int64)
    rows = np.arange(count)
    moving = s != 0.0  # a zero scale means an exact fit: statsmodels stops there too
    rows, yc, xc, resid, s, previous = rows[moving], yc[moving], xc[moving], resid[moving], s[moving], previous[moving]
    while rows.size:
        weights = _weights(resid / s[:, None], t)
        b, a = _weighted_fit(yc, xc, weights)
        resid = yc - (a[:, None] + b[:, None] * xc)
        s = _mad(resid)
        current = _deviance(resid, weights, t)
        done_so_far = iterations[rows] + 1
        iterations[rows] = done_so_far
        beta[rows], intercept[rows], scale[rows] = b, a, s
        finished = ~(np.abs(current - previous) > tol) | (done_so_far >= maxiter) | (s == 0.0)
        previous = current
        if finished.any():
            keep = ~finished
            rows, yc, xc, resid, s, previous = rows[keep], yc[keep], xc[keep], resid[keep], s[keep], previous[keep]
    alpha = y_shift + intercept - beta * x_shift
    return HuberFit(beta=beta, alpha=alpha, scale=scale, iterations=iterations)
