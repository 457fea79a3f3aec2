"""The Engle-Granger sums of many pairs from products of their legs, computed once per block of symbols.

The residual of y on [x, 1] is e = ỹ - β·x̃ (ỹ, x̃ the legs minus their window means), so every sum the ADF
regression on e needs is a quadratic form in the legs' own sums:

    Σ e[t]·Δe[t-h] = Σ ỹΔy_h - β·(Σ ỹΔx_h + Σ x̃Δy_h) + β²·Σ x̃Δx_h    (and the same for Δe·Δe, e·e, Σ e)

The cross sums between a y block and an x block are matrix products (one BLAS call gives Σ ỹ_i Δx_j[t-h] for
every i, j and lag h), the per-symbol sums are computed once per symbol, and a pair costs only its O(L²) Gram
assembly. Both directions of a pair read the same cross sums (x on y swaps the roles), so the reverse test needs
no pass over the bars at all, and neither do the OLS slopes (Σ x̃ỹ / Σ x̃²).

Accuracy: the quadratic form subtracts sums of the legs' size to get a residual's; relative to the residual the
rounding grows by about 4 / (1 - R²). Pairs with R² above `DIRECT_ABOVE_R2` (where that would reach 1e-11 of a
sum) are computed directly from their residuals instead, so every pair keeps the accuracy of the direct path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cryptoterm.domain.pairs.arrays import BoolArray, FloatArray, IntArray
from cryptoterm.domain.pairs.lag_products import LagProducts, assemble_lag_products

#: Pairs fitting better than this are tested from their own residuals (see the module docstring).
DIRECT_ABOVE_R2 = 0.9999


@dataclass(frozen=True, slots=True)
class LegSums:
    """Sums over one window of n bars for the left (y) and right (x) legs of a set of pairs.

    `centred_*` are the legs minus their window means (rows: symbols, bars along the last axis); `cross` holds
    Σ ỹ_i x̃_j over the whole window. Over the ADF sample t = L … n - 2: `ld_yx[i, j, h]` = Σ ỹ_i[t] Δx_j[t-h],
    `ld_xy[i, j, h]` = Σ x̃_j[t] Δy_i[t-h], `dd_yx[i, j, h]` = Σ Δy_i[t] Δx_j[t-h], `dd_xy[i, j, h]` =
    Σ Δx_j[t] Δy_i[t-h], `ll_yx[i, j]` = Σ ỹ_i[t] x̃_j[t]; `own_*` are each leg's own sums (its diagonal).
    """

    n: int
    maxlag: int
    mean_y: FloatArray
    mean_x: FloatArray
    centred_y: FloatArray
    centred_x: FloatArray
    cross: FloatArray
    square_y: FloatArray
    square_x: FloatArray
    ld_yx: FloatArray
    ld_xy: FloatArray
    dd_yx: FloatArray
    dd_xy: FloatArray
    ll_yx: FloatArray
    own_y: tuple[FloatArray, FloatArray, FloatArray, FloatArray]
    own_x: tuple[FloatArray, FloatArray, FloatArray, FloatArray]


def _lagged(d: FloatArray, maxlag: int) -> FloatArray:
    """(rows, L + 1, m): window h is Δ[t - h] for t = L … n - 2 (m = n - 1 - L)."""
    m = d.shape[1] - maxlag
    windows = sliding_window_view(d, m, axis=1)  # window s covers d[s : s + m], i.e. h = L - s
    lagged: FloatArray = np.ascontiguousarray(windows[:, ::-1, :])
    return lagged


def _own(centred: FloatArray, d: FloatArray, lagged: FloatArray, maxlag: int) -> tuple[FloatArray, ...]:
    """Each leg's own (level·Δ lags, Δ·Δ lags, Σ level², Σ level) over the sample."""
    level = centred[:, maxlag:-1]
    now = d[:, maxlag:]
    return (
        np.einsum("st,sht->sh", level, lagged),
        np.einsum("st,sht->sh", now, lagged),
        np.einsum("st,st->s", level, level),
        level.sum(axis=1),
    )


def leg_sums(y_legs: FloatArray, x_legs: FloatArray, maxlag: int) -> LegSums:
    """The sums of `leg_sums` for the y legs (rows of `y_legs`) against the x legs (rows of `x_legs`)."""
    n = y_legs.shape[1]
    mean_y, mean_x = y_legs.mean(axis=1), x_legs.mean(axis=1)
    cy = y_legs - mean_y[:, None]
    cx = x_legs - mean_x[:, None]
    dy, dx = np.diff(y_legs, axis=1), np.diff(x_legs, axis=1)
    lag_y, lag_x = _lagged(dy, maxlag), _lagged(dx, maxlag)
    ny, nx, h = cy.shape[0], cx.shape[0], maxlag + 1
    flat_y = lag_y.reshape(ny * h, -1)
    flat_x = lag_x.reshape(nx * h, -1)
    level_y, level_x = cy[:, maxlag:-1], cx[:, maxlag:-1]
    now_y, now_x = dy[:, maxlag:], dx[:, maxlag:]
    return LegSums(
        n=n,
        maxlag=maxlag,
        mean_y=mean_y,
        mean_x=mean_x,
        centred_y=cy,
        centred_x=cx,
        cross=cy @ cx.T,
        square_y=np.einsum("st,st->s", cy, cy),
        square_x=np.einsum("st,st->s", cx, cx),
        ld_yx=(level_y @ flat_x.T).reshape(ny, nx, h),
        ld_xy=(level_x @ flat_y.T).reshape(nx, ny, h).transpose(1, 0, 2),
        dd_yx=(now_y @ flat_x.T).reshape(ny, nx, h),
        dd_xy=(now_x @ flat_y.T).reshape(nx, ny, h).transpose(1, 0, 2),
        ll_yx=level_y @ level_x.T,
        own_y=_own(cy, dy, lag_y, maxlag),  # type: ignore[arg-type]
        own_x=_own(cx, dx, lag_x, maxlag),  # type: ignore[arg-type]
    )


@dataclass(frozen=True, slots=True)
class PairFits:
    """One direction's OLS fits for P pairs, their residuals' lag products and first / last L + 1 levels."""

    beta: FloatArray
    alpha: FloatArray
    rsquared: FloatArray
    products: LagProducts
    head: FloatArray
    usable: BoolArray
    direct: BoolArray


def pair_fits(sums: LegSums, yi: IntArray, xj: IntArray, reverse: bool = False) -> PairFits:
    """OLS of y on x (x on y when `reverse`) for pairs (y row yi[p], x row xj[p]) and their residuals' sums."""
    sxy = sums.cross[yi, xj]
    syy, sxx = sums.square_y[yi], sums.square_x[xj]
    own_y = [part[yi] for part in sums.own_y]
    own_x = [part[xj] for part in sums.own_x]
    ld_cross = sums.ld_yx[yi, xj] + sums.ld_xy[yi, xj]
    dd_cross = sums.dd_yx[yi, xj] + sums.dd_xy[yi, xj]
    ll_cross = sums.ll_yx[yi, xj]
    if reverse:
        syy, sxx, own_y, own_x = sxx, syy, own_x, own_y
        left, right = sums.centred_x[xj], sums.centred_y[yi]
        mean_left, mean_right = sums.mean_x[xj], sums.mean_y[yi]
    else:
        left, right = sums.centred_y[yi], sums.centred_x[xj]
        mean_left, mean_right = sums.mean_y[yi], sums.mean_x[xj]
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = sxy / sxx
        ssr = syy - beta * sxy
        rsquared = sxy * sxy / (sxx * syy)
    b = beta[:, None]
    level_diff = own_y[0] - b * ld_cross + b * b * own_x[0]
    diff_diff = own_y[1] - b * dd_cross + b * b * own_x[1]
    level_level = own_y[2] - 2 * beta * ll_cross + beta * beta * own_x[2]
    level_sum = own_y[3] - beta * own_x[3]
    lag = sums.maxlag
    head = left[:, : lag + 1] - b * right[:, : lag + 1]
    tail = left[:, sums.n - lag - 1 :] - b * right[:, sums.n - lag - 1 :]
    products = assemble_lag_products(
        head=head,
        tail=tail,
        level_diff=level_diff,
        diff_diff=diff_diff,
        level_level=level_level,
        level_sum=level_sum,
        maxlag=lag,
        n_bars=sums.n,
    )
    usable = np.isfinite(ssr) & (ssr > 0) & np.isfinite(products.gram).all(axis=(1, 2))
    direct = ~(rsquared <= DIRECT_ABOVE_R2)
    return PairFits(
        beta=beta,
        alpha=mean_left - beta * mean_right,
        rsquared=rsquared,
        products=products,
        head=head,
        usable=usable,
        direct=direct,
    )
