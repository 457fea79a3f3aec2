"""Everything the pair detail view draws for one pair, and the live z-score a watched pair shows.

The screen lists pairs; the detail explains one: both prices on one scale, the spread and its z-score, the three
hedge ratios side by side (OLS, Kalman's latest, Huber) with the spread each gives, the Kalman beta over time,
the rolling correlation of returns, and the ADF and Johansen tables. It reuses the batched kernels with a batch of
one, so every number equals the screen's for the same pair and window.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cryptoterm.domain.pairs.arrays import FloatArray
from cryptoterm.domain.pairs.correlation import rolling_correlation
from cryptoterm.domain.pairs.engle_granger import ols_fit
from cryptoterm.domain.pairs.huber import huber_fit
from cryptoterm.domain.pairs.johansen import JohansenResult, johansen
from cryptoterm.domain.pairs.kalman import KalmanParams, kalman_hedge
from cryptoterm.domain.pairs.results import SpreadHedge
from cryptoterm.domain.pairs.spread import hedged_spread, spread_statistics


@dataclass(frozen=True, slots=True)
class HedgeRow:
    """One hedge ratio and the spread it gives over the window (ADF with constant, as `adfuller`)."""

    name: SpreadHedge
    beta: float
    alpha: float
    spread_mean: float
    spread_std: float
    zscore: float
    adf_t: float
    adf_p: float
    adf_lag: int
    adf_critical_values: tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class DetailParams:
    """The hedge behind the spread and z-score, the Kalman noise, the rolling window and Johansen's lags."""

    spread_hedge: SpreadHedge = "ols"
    kalman: KalmanParams = field(default_factory=KalmanParams)
    correlation_window: int = 100
    johansen_lags: int = 1

    def __post_init__(self) -> None:
        if self.spread_hedge not in ("ols", "kalman", "huber"):
            raise ValueError(f"spread_hedge must be 'ols', 'kalman' or 'huber', got {self.spread_hedge!r}")
        if self.correlation_window < 2:
            raise ValueError(f"correlation_window must be at least 2 returns, got {self.correlation_window!r}")
        if self.johansen_lags < 0:
            raise ValueError(f"johansen_lags must be ≥ 0, got {self.johansen_lags!r}")


@dataclass(frozen=True, slots=True)
class PairDetail:
    """Series are one value per bar of the window: prices as multiples of their first bar, the spread and its
    z-score under `params.spread_hedge`, the Kalman path (NaN until the fit exists), the rolling correlation."""

    relative_y: FloatArray
    relative_x: FloatArray
    spread: FloatArray
    zscore: FloatArray
    hedges: tuple[HedgeRow, ...]
    kalman_beta: FloatArray
    kalman_alpha: FloatArray
    correlation: FloatArray
    johansen: JohansenResult
    params: DetailParams


def pair_detail(log_y: FloatArray, log_x: FloatArray, params: DetailParams) -> PairDetail:
    """The detail of y against x over the bars given (aligned log closes, oldest first)."""
    y = np.asarray(log_y, dtype=np.float64)[None, :]
    x = np.asarray(log_x, dtype=np.float64)[None, :]
    ols = ols_fit(y, x)
    huber = huber_fit(y, x)
    kalman = kalman_hedge(y, x, params.kalman, keep_path=True)
    fits: list[tuple[SpreadHedge, float, float]] = [
        ("ols", float(ols.beta[0]), float(ols.alpha[0])),
        ("kalman", float(kalman.beta[0]), float(kalman.alpha[0])),
        ("huber", float(huber.beta[0]), float(huber.alpha[0])),
    ]
    betas = np.array([beta for _, beta, _ in fits])
    alphas = np.array([alpha for _, _, alpha in fits])
    spreads = hedged_spread(np.repeat(y, 3, axis=0), np.repeat(x, 3, axis=0), betas, alphas)
    stats = spread_statistics(spreads)
    hedges = tuple(
        HedgeRow(
            name=name,
            beta=beta,
            alpha=alpha,
            spread_mean=float(stats.mean[row]),
            spread_std=float(stats.std[row]),
            zscore=float(stats.zscore[row]),
            adf_t=float(stats.adf_statistic[row]),
            adf_p=float(stats.adf_pvalue[row]),
            adf_lag=int(stats.adf_lag[row]),
            adf_critical_values=(
                float(stats.adf_critical_values[row, 0]),
                float(stats.adf_critical_values[row, 1]),
                float(stats.adf_critical_values[row, 2]),
            ),
        )
        for row, (name, beta, alpha) in enumerate(fits)
    )
    chosen = [name for name, _, _ in fits].index(params.spread_hedge)
    spread = spreads[chosen]
    return PairDetail(
        relative_y=np.exp(y[0] - y[0, 0]),
        relative_x=np.exp(x[0] - x[0, 0]),
        spread=spread,
        zscore=(spread - stats.mean[chosen]) / stats.std[chosen],
        hedges=hedges,
        kalman_beta=kalman.beta_path[0],
        kalman_alpha=kalman.alpha_path[0],
        correlation=rolling_correlation(y[0], x[0], params.correlation_window),
        johansen=johansen(y[0], x[0], det_order=0, k_ar_diff=params.johansen_lags),
        params=params,
    )


def live_zscore(log_y: float, log_x: float, beta: float, alpha: float, mean: float, std: float) -> float:
    """The z-score of the latest closes under a fixed hedge and the window's spread mean and std."""
    if not std > 0:
        return float("nan")
    return (log_y - (alpha + beta * log_x) - mean) / std
