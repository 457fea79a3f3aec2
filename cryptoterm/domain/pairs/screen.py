"""Screen a universe for mean-reverting pairs: every statistic of every pair, computed chunk by chunk.

The work splits into independent chunks of pairs: `screen_chunk(log_closes, pairs, params)` is a pure function
of a bars × symbols matrix, a (P, 2) array of column indices and frozen parameters, so a process pool or a Dask
cluster can run chunks anywhere and in any order (arguments and result pickle cheaply: arrays and a frozen
dataclass). Memory is bounded by the chunk: about 14 arrays of its P pairs × n bars at the peak. Only the
multiple-testing adjustment needs every pair at once, and it runs on the small columnar results in
`combine_chunks`.
`screen_universe` is the in-process composition of the two.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cryptoterm.domain.pairs.adf import default_maxlag
from cryptoterm.domain.pairs.alignment import AlignedCloses
from cryptoterm.domain.pairs.arrays import FloatArray, IntArray
from cryptoterm.domain.pairs.correlation import pair_correlations
from cryptoterm.domain.pairs.huber import huber_fit
from cryptoterm.domain.pairs.kalman import kalman_hedge
from cryptoterm.domain.pairs.mean_reversion import half_life, hurst_exponent, mean_crossings
from cryptoterm.domain.pairs.multiple_testing import benjamini_hochberg, bonferroni
from cryptoterm.domain.pairs.pair_tests import pair_tests
from cryptoterm.domain.pairs.results import (
    MIN_SCREEN_BARS,
    ChunkStatistics,
    PairResult,
    ScreenParams,
    concatenate_chunks,
)
from cryptoterm.domain.pairs.spread import hedged_spread, spread_statistics

#: Pairs a chunk holds by default. At its peak a chunk holds about 14 float64 arrays of P × n bars (measured:
#: 273 MiB for 128 pairs × 19,599 bars, 14 MiB for 128 pairs × 1,000 bars), so memory is set by this number.
DEFAULT_CHUNK_PAIRS = 128


def pair_chunks(symbols: Sequence[str], chunk_size: int = DEFAULT_CHUNK_PAIRS) -> list[IntArray]:
    """Every unordered pair once as (y, x) column indices, y the symbol that sorts first, cut into chunks."""
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size!r}")
    order = sorted(range(len(symbols)), key=lambda column: symbols[column])
    pairs = np.array(
        [(order[a], order[b]) for a in range(len(order)) for b in range(a + 1, len(order))], dtype=np.int64
    ).reshape(-1, 2)
    return [pairs[start : start + chunk_size] for start in range(0, len(pairs), chunk_size)]


def _rows(log_closes: FloatArray, columns: IntArray) -> FloatArray:
    rows: FloatArray = np.ascontiguousarray(log_closes[:, columns].T)
    return rows


def screen_chunk(log_closes: FloatArray, pairs: IntArray, params: ScreenParams) -> ChunkStatistics:
    """Every statistic of each (y, x) row of `pairs` over the bars of `log_closes` (bars × symbols, no gaps)."""
    log_closes = np.asarray(log_closes, dtype=np.float64)
    index = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    n = log_closes.shape[0]
    if n < MIN_SCREEN_BARS:
        raise ValueError(f"a screen needs at least {MIN_SCREEN_BARS} common bars, got {n}")
    y = _rows(log_closes, index[:, 0])
    x = _rows(log_closes, index[:, 1])

    whole = pair_tests(log_closes, index, params.maxlag, params.autolag)
    forward, reverse = whole.forward, whole.reverse
    assert reverse is not None and whole.resid is not None
    half = n // 2
    first = pair_tests(log_closes[:half], index, params.maxlag, params.autolag, reverse=False, residuals=False).forward
    second = pair_tests(log_closes[half:], index, params.maxlag, params.autolag, reverse=False, residuals=False).forward
    lag_cap = whole.products.maxlag

    correlations = pair_correlations(log_closes, index)
    huber = huber_fit(y, x)
    kalman = kalman_hedge(y, x, params.kalman)
    if params.spread_hedge == "ols":
        spreads = whole.resid
        spread_products = whole.products if default_maxlag(n, "c") == lag_cap else None
    else:
        hedge = huber if params.spread_hedge == "huber" else kalman
        spreads = hedged_spread(y, x, hedge.beta, hedge.alpha)
        spread_products = None
    spread = spread_statistics(spreads, spread_products)
    count = len(index)
    return ChunkStatistics(
        pairs=index,
        n_bars=n,
        eg_t=forward.statistic,
        eg_p=forward.pvalue,
        eg_lag=forward.used_lag,
        eg_t_rev=reverse.statistic,
        eg_p_rev=reverse.pvalue,
        eg_lag_rev=reverse.used_lag,
        eg_crit=np.broadcast_to(forward.critical_values, (count, 3)).copy(),
        eg_t_first_half=first.statistic,
        eg_p_first_half=first.pvalue,
        eg_t_second_half=second.statistic,
        eg_p_second_half=second.pvalue,
        corr=correlations.pearson,
        corr_spearman=correlations.spearman,
        beta_ols=whole.beta,
        alpha_ols=whole.alpha,
        beta_kalman=kalman.beta,
        alpha_kalman=kalman.alpha,
        beta_huber=huber.beta,
        alpha_huber=huber.alpha,
        spread_mean=spread.mean,
        spread_std=spread.std,
        zscore=spread.zscore,
        adf_t=spread.adf_statistic,
        adf_p=spread.adf_pvalue,
        adf_lag=spread.adf_lag,
        adf_crit=spread.adf_critical_values,
        hurst=hurst_exponent(spreads, params.hurst_max_lag),
        half_life=half_life(spreads),
        crossings=mean_crossings(spreads),
    )


def combine_chunks(
    symbols: Sequence[str], parts: Sequence[ChunkStatistics], params: ScreenParams
) -> tuple[PairResult, ...]:
    """One `PairResult` per pair of every chunk (in chunk order), with p-values adjusted over all of them."""
    if not parts:
        return ()
    stats = concatenate_chunks(list(parts))
    family = stats.eg_p if params.family_pvalue == "forward" else np.fmax(stats.eg_p, stats.eg_p_rev)
    if params.family_pvalue == "both":
        family = np.where(np.isnan(stats.eg_p) | np.isnan(stats.eg_p_rev), np.nan, family)
    p_adj = benjamini_hochberg(family)
    p_bonferroni = bonferroni(family)
    results = []
    for row, (i, j) in enumerate(stats.pairs.tolist()):
        results.append(
            PairResult(
                y=symbols[i],
                x=symbols[j],
                n_bars=stats.n_bars,
                eg_t=float(stats.eg_t[row]),
                eg_p=float(stats.eg_p[row]),
                eg_lag=int(stats.eg_lag[row]),
                eg_t_rev=float(stats.eg_t_rev[row]),
                eg_p_rev=float(stats.eg_p_rev[row]),
                eg_lag_rev=int(stats.eg_lag_rev[row]),
                eg_crit_1=float(stats.eg_crit[row, 0]),
                eg_crit_5=float(stats.eg_crit[row, 1]),
                eg_crit_10=float(stats.eg_crit[row, 2]),
                p_adj=float(p_adj[row]),
                p_bonferroni=float(p_bonferroni[row]),
                eg_t_first_half=float(stats.eg_t_first_half[row]),
                eg_p_first_half=float(stats.eg_p_first_half[row]),
                eg_t_second_half=float(stats.eg_t_second_half[row]),
                eg_p_second_half=float(stats.eg_p_second_half[row]),
                corr=float(stats.corr[row]),
                corr_spearman=float(stats.corr_spearman[row]),
                beta_ols=float(stats.beta_ols[row]),
                alpha_ols=float(stats.alpha_ols[row]),
                beta_kalman=float(stats.beta_kalman[row]),
                alpha_kalman=float(stats.alpha_kalman[row]),
                beta_huber=float(stats.beta_huber[row]),
                alpha_huber=float(stats.alpha_huber[row]),
                spread_hedge=params.spread_hedge,
                spread_mean=float(stats.spread_mean[row]),
                spread_std=float(stats.spread_std[row]),
                zscore=float(stats.zscore[row]),
                adf_t=float(stats.adf_t[row]),
                adf_p=float(stats.adf_p[row]),
                adf_lag=int(stats.adf_lag[row]),
                adf_crit_1=float(stats.adf_crit[row, 0]),
                adf_crit_5=float(stats.adf_crit[row, 1]),
                adf_crit_10=float(stats.adf_crit[row, 2]),
                hurst=float(stats.hurst[row]),
                half_life=float(stats.half_life[row]),
                crossings=int(stats.crossings[row]),
            )
        )
    return tuple(results)


def screen_universe(
    aligned: AlignedCloses,
    params: ScreenParams,
    chunks: Sequence[IntArray] | None = None,
) -> tuple[PairResult, ...]:
    """Screen every pair of an aligned universe in this process (chunks default to `pair_chunks`)."""
    plan = pair_chunks(aligned.symbols) if chunks is None else list(chunks)
    parts = [screen_chunk(aligned.log_close, chunk, params) for chunk in plan if len(chunk)]
    return combine_chunks(aligned.symbols, parts, params)
