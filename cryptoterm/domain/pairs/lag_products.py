"""Cross products of a series' level and lagged differences over an ADF regression's sample, many series at once.

An augmented Dickey-Fuller regression of Δx_t on x_{t-1}, Δx_{t-1}, …, Δx_{t-L} is fully described by the Gram
matrix of its columns, and all columns but the level are one difference series shifted by one bar each. Their
Gram matrix is therefore Toeplitz up to boundary terms: one row of lagged products (L + 1 dot products over the
sample) and O(L²) corrections at the two ends give every entry. That is what makes a batched Engle-Granger cheap:
about 4·n·L multiply-adds a series instead of the n·L² of building and decomposing each design matrix.

The one row of dot products is itself a blocked matrix product, so it runs in BLAS rather than as L separate
passes over memory: cut the sample into blocks of B ≥ L bars, and Σ_t a_t d_{t-h} for every lag h at once is the
sum of one diagonal of Aᵀ·[D | D_next] (A: the blocks of a, D: the same blocks of d, D_next: the following block's
first L bars). Sums are plain float64 dot products in a different order, as accurate as a direct loop.

Indexing follows statsmodels' `adfuller`: for a level series x of n bars, d = diff(x) has n - 1 bars and the
regression rows are t = L … n - 2 (indices into d), with y = d[t], level x[t] and lags d[t - 1] … d[t - L].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

from cryptoterm.domain.pairs.arrays import FloatArray

#: Smallest block of the blocked product; larger lags use a block of their own length.
_MIN_BLOCK = 32


@dataclass(frozen=True, slots=True)
class LagProducts:
    """Sums over the common lag-search sample t = L … n - 2, for P series of n bars each.

    `gram[p]` is the (L + 2) × (L + 2) Gram matrix of the columns [x[t], d[t-1], …, d[t-L], d[t]] (level, the L
    lagged differences, then the regressand), so a prefix of its columns is one lag length of the search.
    `level_sum` and `diff_sums` are the column sums a regression with a constant also needs
    (Σ x[t] and Σ d[t-j] for j = 0 … L), `nobs` is n - 1 - L.
    """

    gram: FloatArray
    level_sum: FloatArray
    diff_sums: FloatArray
    maxlag: int
    nobs: int


def _block_size(maxlag: int) -> int:
    return max(_MIN_BLOCK, maxlag)


def _lagged_dot_products(a: FloatArray, d: FloatArray, start: int, maxlag: int) -> FloatArray:
    """(P, L + 1) sums Σ_{t=start}^{n-2} a[t] d[t-h] for h = 0 … L, for each row of `a` (n - 1 bars) and `d`."""
    count, length = d.shape
    nobs = length - start
    block = _block_size(maxlag)
    blocks = -(-nobs // block)
    a_blocks = np.zeros((count, blocks * block))
    a_blocks[:, :nobs] = a[:, start:]
    # d shifted so that index `start - maxlag` lands at 0: block k, offset m holds d[start - maxlag + k·B + m].
    shifted = np.zeros((count, (blocks + 1) * block))
    shifted[:, : length - (start - maxlag)] = d[:, start - maxlag :]
    a3 = a_blocks.reshape(count, blocks, block)
    here = shifted[:, : blocks * block].reshape(count, blocks, block)
    ahead = shifted[:, block:].reshape(count, blocks, block)[:, :, :maxlag]
    products = np.concatenate((np.matmul(a3.transpose(0, 2, 1), here), np.matmul(a3.transpose(0, 2, 1), ahead)), axis=2)
    # a[start + k·B + r] · d[start + k·B + r - h] sits at row r, column r + L - h.
    rows = np.arange(block)[:, None]
    columns = rows + maxlag - np.arange(maxlag + 1)[None, :]
    result: FloatArray = products[:, rows, columns].sum(axis=1)
    return result


def lag_products(levels: FloatArray, maxlag: int) -> LagProducts:
    """Every Gram entry and column sum of the lag search for each row of `levels` (P series × n bars)."""
    n = levels.shape[1]
    if maxlag < 0 or n - 1 - maxlag < 1:
        raise ValueError(f"maxlag {maxlag} leaves no observations in a series of {n} bars")
    d = np.diff(levels, axis=1)
    x_lagged = levels[:, :-1]
    return assemble_lag_products(
        head=levels[:, : maxlag + 1],
        tail=levels[:, n - maxlag - 1 :],
        level_diff=_lagged_dot_products(x_lagged, d, maxlag, maxlag),
        diff_diff=_lagged_dot_products(d, d, maxlag, maxlag),
        level_level=np.einsum("pt,pt->p", x_lagged[:, maxlag:], x_lagged[:, maxlag:]),
        level_sum=x_lagged[:, maxlag:].sum(axis=1),
        maxlag=maxlag,
        n_bars=n,
    )


def _diagonals(matrices: FloatArray, offset: int) -> tuple[FloatArray, FloatArray]:
    """Writeable views of the `offset`-th super- and sub-diagonal of every matrix of a (P, m, m) stack."""
    count, size, _ = matrices.shape
    batch, row, column = matrices.strides
    shape = (count, size - offset)
    upper = as_strided(matrices[:, :, offset:], shape=shape, strides=(batch, row + column), writeable=True)
    lower = as_strided(matrices[:, offset:, :], shape=shape, strides=(batch, row + column), writeable=True)
    return upper, lower


def _end_products(ends: FloatArray, maxlag: int) -> FloatArray:
    """(P, L, L + 1): e[s-1] · e[s-1+h] for s = 1 … L, lag h, zero past the end (`ends` reversed, L values).

    A sliding window over the zero-padded row gives every e[k + h] without an index array.
    """
    count = ends.shape[0]
    padded = np.concatenate((ends, np.zeros((count, maxlag + 1))), axis=1)
    windows = sliding_window_view(padded, maxlag + 1, axis=1)[:, :maxlag, :]
    products: FloatArray = ends[:, :, None] * windows
    return products


def assemble_lag_products(
    *,
    head: FloatArray,
    tail: FloatArray,
    level_diff: FloatArray,
    diff_diff: FloatArray,
    level_level: FloatArray,
    level_sum: FloatArray,
    maxlag: int,
    n_bars: int,
) -> LagProducts:
    """The Gram matrices from the sums over the sample and the series' first and last L + 1 levels.

    `level_diff[:, h]` is Σ_t x[t] d[t-h] and `diff_diff[:, h]` Σ_t d[t] d[t-h] over t = L … n - 2, `level_level`
    Σ_t x[t]² and `level_sum` Σ_t x[t] over the same rows; `head` is x[0 … L], `tail` x[n-L-1 … n-1]. Only the
    two ends of the series are read here: the sums may come from anywhere (a direct pass over each series, or
    products of the legs of a pair, see `pair_products`).
    """
    count = head.shape[0]
    size = maxlag + 2
    last = size - 1
    gram = np.empty((count, size, size))
    # Column order: 0 level, 1 … L lagged differences, L + 1 the regressand d[t] (lag 0).
    gram[:, 0, 0] = level_level
    gram[:, 0, 1:last] = level_diff[:, 1:]
    gram[:, 1:last, 0] = level_diff[:, 1:]
    gram[:, 0, last] = gram[:, last, 0] = level_diff[:, 0]
    gram[:, last, 1:last] = diff_diff[:, 1:]
    gram[:, 1:last, last] = diff_diff[:, 1:]
    gram[:, last, last] = diff_diff[:, 0]
    if maxlag:
        # Toeplitz fill: entry (i, i + h) of the lagged-difference block (lags i, i + h ≥ 1) runs over
        # u = L - i … n - 2 - i, so moving from lag i - 1 to i adds d[L-i]·d[L-i-h] and drops d[n-1-i]·d[n-1-i-h]:
        # a running sum of products of the series' first and last L differences (read backwards from the ends).
        first = np.diff(head, axis=1)[:, ::-1]
        final = np.diff(tail, axis=1)[:, ::-1]
        shift = np.cumsum(_end_products(first, maxlag) - _end_products(final, maxlag), axis=1)
        block = gram[:, 1:last, 1:last]
        for h in range(maxlag):
            values = diff_diff[:, h, None] + shift[:, : maxlag - h, h]
            upper, lower = _diagonals(block, h)
            upper[...] = values
            lower[...] = values

    # Σ_{t = L-h}^{n-2-h} d[t] telescopes to x[n-1-h] - x[L-h].
    back = maxlag - np.arange(maxlag + 1)
    diff_sums = tail[:, back] - head[:, back]
    return LagProducts(gram=gram, level_sum=level_sum, diff_sums=diff_sums, maxlag=maxlag, nobs=n_bars - 1 - maxlag)
