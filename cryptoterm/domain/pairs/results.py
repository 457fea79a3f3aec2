"""What a pairs screen takes and gives: its parameters, the per-chunk statistics, and one result per pair.

`ChunkStatistics` is columnar (one array per statistic, one row per pair): it is what a worker process returns,
cheap to pickle and to concatenate. `PairResult` is the row a user sees, stores and prints as JSON (a frozen
msgspec Struct, so it encodes without a conversion layer); it exists only after every chunk is in, because the
adjusted p-values depend on the whole family of pairs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Literal

import msgspec
import numpy as np

from cryptoterm.domain.pairs.adf import Autolag
from cryptoterm.domain.pairs.arrays import FloatArray, IntArray
from cryptoterm.domain.pairs.kalman import KalmanParams
from cryptoterm.domain.pairs.mean_reversion import DEFAULT_HURST_MAX_LAG

SpreadHedge = Literal["ols", "kalman", "huber"]
FamilyPValue = Literal["forward", "both"]

#: Fewest bars a screen accepts: each half-window test needs room for its lag search and its own regression.
MIN_SCREEN_BARS = 50


@dataclass(frozen=True, slots=True)
class ScreenParams:
    """How pairs are screened.

    `maxlag` / `autolag`: the Engle-Granger ADF lag search (None: statsmodels' default ⌈12·(n/100)^¼⌉ for each
    window, the whole one and each half; "aic"). A fixed maxlag must fit the half windows too.
    `spread_hedge`: whose hedge ratio defines the spread behind z-score, ADF, Hurst, half-life and crossings (the
    Kalman and Huber hedges use their final beta and alpha over the whole window).
    `family_pvalue`: the p-value each pair enters the multiple-testing family with: "forward" is y on x (`eg_p`),
    "both" is max(eg_p, eg_p_rev), a pair that must reject in both directions.
    """

    maxlag: int | None = None
    autolag: Autolag = "aic"
    kalman: KalmanParams = field(default_factory=KalmanParams)
    spread_hedge: SpreadHedge = "ols"
    family_pvalue: FamilyPValue = "forward"
    hurst_max_lag: int = DEFAULT_HURST_MAX_LAG

    def __post_init__(self) -> None:
        if self.maxlag is not None and self.maxlag < 0:
            raise ValueError(f"maxlag must be ≥ 0 or None, got {self.maxlag!r}")
        if self.spread_hedge not in ("ols", "kalman", "huber"):
            raise ValueError(f"spread_hedge must be 'ols', 'kalman' or 'huber', got {self.spread_hedge!r}")
        if self.family_pvalue not in ("forward", "both"):
            raise ValueError(f"family_pvalue must be 'forward' or 'both', got {self.family_pvalue!r}")
        if self.hurst_max_lag < 3:
            raise ValueError(f"hurst_max_lag must be at least 3, got {self.hurst_max_lag!r}")


@dataclass(frozen=True, slots=True)
class ChunkStatistics:
    """Every statistic of a chunk of pairs, one array row per pair; `pairs` holds (y, x) column indices.

    Critical values are (P, 3) arrays at 1 %, 5 % and 10 %.
    """

    pairs: IntArray
    n_bars: int
    eg_t: FloatArray
    eg_p: FloatArray
    eg_lag: IntArray
    eg_t_rev: FloatArray
    eg_p_rev: FloatArray
    eg_lag_rev: IntArray
    eg_crit: FloatArray
    eg_t_first_half: FloatArray
    eg_p_first_half: FloatArray
    eg_t_second_half: FloatArray
    eg_p_second_half: FloatArray
    corr: FloatArray
    corr_spearman: FloatArray
    beta_ols: FloatArray
    alpha_ols: FloatArray
    beta_kalman: FloatArray
    alpha_kalman: FloatArray
    beta_huber: FloatArray
    alpha_huber: FloatArray
    spread_mean: FloatArray
    spread_std: FloatArray
    zscore: FloatArray
    adf_t: FloatArray
    adf_p: FloatArray
    adf_lag: IntArray
    adf_crit: FloatArray
    hurst: FloatArray
    half_life: FloatArray
    crossings: IntArray


def concatenate_chunks(parts: list[ChunkStatistics]) -> ChunkStatistics:
    """One columnar block from several (in the given order); all must cover the same window."""
    if not parts:
        raise ValueError("no chunks to concatenate")
    bars = {part.n_bars for part in parts}
    if len(bars) != 1:
        raise ValueError(f"chunks cover different windows: {sorted(bars)} bars")
    values: dict[str, object] = {}
    for item in fields(ChunkStatistics):
        if item.name == "n_bars":
            values[item.name] = parts[0].n_bars
        else:
            values[item.name] = np.concatenate([getattr(part, item.name) for part in parts], axis=0)
    return ChunkStatistics(**values)  # type: ignore[arg-type]


class PairResult(msgspec.Struct, frozen=True, kw_only=True):
    """Every statistic of one pair over the window; `y` sorts before `x`, and `eg_*` is `coint(log y, log x)`.

    `_rev` is the other direction (x on y). `p_adj` is Benjamini-Hochberg over the whole screen, `p_bonferroni`
    Bonferroni. Half-window tests are y on x on the first and second half of the bars. `corr` is Pearson on log
    returns. The spread (and its ADF, z-score, Hurst exponent, half-life in bars and mean crossings) uses the hedge
    named by `spread_hedge`. Statistics may be non-finite: a half-life of +inf (no reversion), a t of -inf
    (collinear legs), NaN (not computable, e.g. a constant leg); msgpack keeps them, JSON writes them as null.
    """

    y: str
    x: str
    n_bars: int
    eg_t: float
    eg_p: float
    eg_lag: int
    eg_t_rev: float
    eg_p_rev: float
    eg_lag_rev: int
    eg_crit_1: float
    eg_crit_5: float
    eg_crit_10: float
    p_adj: float
    p_bonferroni: float
    eg_t_first_half: float
    eg_p_first_half: float
    eg_t_second_half: float
    eg_p_second_half: float
    corr: float
    corr_spearman: float
    beta_ols: float
    alpha_ols: float
    beta_kalman: float
    alpha_kalman: float
    beta_huber: float
    alpha_huber: float
    spread_hedge: str
    spread_mean: float
    spread_std: float
    zscore: float
    adf_t: float
    adf_p: float
    adf_lag: int
    adf_crit_1: float
    adf_crit_5: float
    adf_crit_10: float
    hurst: float
    half_life: float
    crossings: int
