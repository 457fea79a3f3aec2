"""Pair statistics for a pairs screener: pure, typed, and vectorised across every pair of a universe.

Aligned log closes in (`align_closes`), per-pair results out (`screen_universe`, or `screen_chunk` per chunk of
pairs and `combine_chunks` when the chunks run elsewhere); one pair in depth with `pair_detail`. Engle-Granger,
ADF, MacKinnon p-values and critical values, Huber and recursive least squares equal statsmodels' (the tests hold
them to it); statsmodels itself is imported only inside the functions that use it, never when this package is
imported (it takes a second).
"""

from __future__ import annotations

from cryptoterm.domain.pairs.adf import AdfBatch, adf_batch, default_maxlag
from cryptoterm.domain.pairs.alignment import (
    AlignedCloses,
    AlignmentReport,
    DroppedSymbol,
    SymbolBars,
    align_closes,
)
from cryptoterm.domain.pairs.correlation import (
    PairCorrelations,
    correlation_matrix,
    pair_correlations,
    rolling_correlation,
)
from cryptoterm.domain.pairs.detail import DetailParams, HedgeRow, PairDetail, live_zscore, pair_detail
from cryptoterm.domain.pairs.engle_granger import CointegrationTest, EngleGranger, OlsFit, engle_granger, ols_fit
from cryptoterm.domain.pairs.huber import HuberFit, huber_fit
from cryptoterm.domain.pairs.johansen import JohansenResult, johansen
from cryptoterm.domain.pairs.kalman import KalmanHedge, KalmanParams, kalman_hedge
from cryptoterm.domain.pairs.mean_reversion import ar1_coefficient, half_life, hurst_exponent, mean_crossings
from cryptoterm.domain.pairs.multiple_testing import benjamini_hochberg, bonferroni
from cryptoterm.domain.pairs.results import ChunkStatistics, PairResult, ScreenParams
from cryptoterm.domain.pairs.screen import combine_chunks, pair_chunks, screen_chunk, screen_universe
from cryptoterm.domain.pairs.spread import SpreadStatistics, hedged_spread, spread_statistics
from cryptoterm.domain.pairs.tasks import ScreenTask, auto_chunk_pairs, block_pairs, plan_screen_tasks, screen_task

__all__ = [
    "AdfBatch",
    "AlignedCloses",
    "AlignmentReport",
    "ChunkStatistics",
    "CointegrationTest",
    "DetailParams",
    "DroppedSymbol",
    "EngleGranger",
    "HedgeRow",
    "HuberFit",
    "JohansenResult",
    "KalmanHedge",
    "KalmanParams",
    "OlsFit",
    "PairCorrelations",
    "PairDetail",
    "PairResult",
    "ScreenParams",
    "ScreenTask",
    "SpreadStatistics",
    "SymbolBars",
    "adf_batch",
    "align_closes",
    "ar1_coefficient",
    "auto_chunk_pairs",
    "benjamini_hochberg",
    "block_pairs",
    "bonferroni",
    "combine_chunks",
    "correlation_matrix",
    "default_maxlag",
    "engle_granger",
    "half_life",
    "hedged_spread",
    "huber_fit",
    "hurst_exponent",
    "johansen",
    "kalman_hedge",
    "live_zscore",
    "mean_crossings",
    "ols_fit",
    "pair_chunks",
    "pair_correlations",
    "pair_detail",
    "plan_screen_tasks",
    "rolling_correlation",
    "screen_chunk",
    "screen_task",
    "screen_universe",
    "spread_statistics",
]
