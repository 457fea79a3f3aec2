"""Correlation of log returns between the legs of each pair: Pearson, Spearman, and rolling for one pair.

Returns, not prices: two prices that both trend correlate near 1 whatever their relation, which is why
correlation is a filter beside cointegration, never a substitute for it. Spearman ranks each symbol's returns
first (average ranks for ties), so a few crash bars cannot make or break a pair. pandas (ranks, rolling windows)
is imported on use, so importing the pair statistics stays cheap for the UI.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cryptoterm.domain.pairs.arrays import FloatArray, IntArray


@dataclass(frozen=True, slots=True)
class PairCorrelations:
    """Per pair (rows of the pair index), Pearson and Spearman correlation of the two legs' log returns."""

    pearson: FloatArray
    spearman: FloatArray


def log_returns(log_closes: FloatArray) -> FloatArray:
    """Bar-to-bar log returns of a bars × symbols matrix of log closes (one row fewer)."""
    returns: FloatArray = np.diff(log_closes, axis=0)
    return returns


def _ranks(returns: FloatArray) -> FloatArray:
    """Average ranks down each column (pandas' compiled rank)."""
    import pandas as pd

    return pd.DataFrame(returns).rank(method="average").to_numpy(dtype=np.float64)


def _standardised(columns: FloatArray) -> FloatArray:
    centred = columns - columns.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled: FloatArray = centred / np.sqrt(np.einsum("ts,ts->s", centred, centred))
    return scaled


def pair_correlations(log_closes: FloatArray, pairs: IntArray) -> PairCorrelations:
    """Pearson and Spearman correlations of returns for each (i, j) row of `pairs` (columns of `log_closes`)."""
    index = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    used = np.unique(index)
    position = np.searchsorted(used, index)
    returns = log_returns(log_closes[:, used])
    ranks = _ranks(returns)
    values = _standardised(returns)
    ranked = _standardised(ranks)
    left, right = position[:, 0], position[:, 1]
    return PairCorrelations(
        pearson=np.einsum("tp,tp->p", values[:, left], values[:, right]),
        spearman=np.einsum("tp,tp->p", ranked[:, left], ranked[:, right]),
    )


def correlation_matrix(log_closes: FloatArray, method: str = "pearson") -> FloatArray:
    """Symbols × symbols correlation of returns ("pearson" or "spearman"), for a universe heat map."""
    if method not in ("pearson", "spearman"):
        raise ValueError(f"method must be 'pearson' or 'spearman', got {method!r}")
    returns = log_returns(log_closes)
    if method == "spearman":
        returns = _ranks(returns)
    values = _standardised(returns)
    matrix: FloatArray = values.T @ values
    return matrix


def rolling_correlation(log_y: FloatArray, log_x: FloatArray, window: int) -> FloatArray:
    """Pearson correlation of the two legs' returns over each trailing `window` of returns (NaN until full).

    One value per bar of the input: the first bar has no return, so entry t covers returns t - window + 1 … t.
    """
    import pandas as pd

    if window < 2:
        raise ValueError(f"window must be at least 2 returns, got {window!r}")
    returns_y = pd.Series(np.diff(log_y))
    returns_x = pd.Series(np.diff(log_x))
    rolled = returns_y.rolling(window).corr(returns_x).to_numpy(dtype=np.float64)
    return np.concatenate(([np.nan], rolled))
