"""Johansen's test on one pair, for the pair detail: a typed view of statsmodels' `coint_johansen`.

Engle-Granger depends on which leg is regressed on which; Johansen's trace and maximum-eigenvalue tests do not,
and they say whether the pair has zero or one cointegrating relation. statsmodels is imported on use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cryptoterm.domain.pairs.arrays import FloatArray


@dataclass(frozen=True, slots=True)
class JohansenResult:
    """Rank tests for r = 0 and r ≤ 1; critical values are rows (r) × columns (90 %, 95 %, 99 %).

    `hedge_ratio` is the first cointegrating vector scaled so y's weight is 1: spread = log y - hedge_ratio·log x.
    """

    trace_statistic: FloatArray
    trace_critical_values: FloatArray
    max_eigen_statistic: FloatArray
    max_eigen_critical_values: FloatArray
    eigenvalues: FloatArray
    hedge_ratio: float
    det_order: int
    k_ar_diff: int


def johansen(log_y: FloatArray, log_x: FloatArray, det_order: int = 0, k_ar_diff: int = 1) -> JohansenResult:
    """`coint_johansen(column_stack([log_y, log_x]), det_order, k_ar_diff)` as a typed result."""
    from statsmodels.tsa.vector_ar.vecm import coint_johansen

    if det_order not in (-1, 0, 1):
        raise ValueError(f"det_order must be -1, 0 or 1 (critical values exist only for those), got {det_order!r}")
    if k_ar_diff < 0:
        raise ValueError(f"k_ar_diff must be ≥ 0, got {k_ar_diff!r}")
    result = coint_johansen(np.column_stack([log_y, log_x]), det_order, k_ar_diff)
    vector = np.asarray(result.evec, dtype=np.float64)[:, 0]
    return JohansenResult(
        trace_statistic=np.asarray(result.trace_stat, dtype=np.float64),
        trace_critical_values=np.asarray(result.trace_stat_crit_vals, dtype=np.float64),
        max_eigen_statistic=np.asarray(result.max_eig_stat, dtype=np.float64),
        max_eigen_critical_values=np.asarray(result.max_eig_stat_crit_vals, dtype=np.float64),
        eigenvalues=np.asarray(result.eig, dtype=np.float64),
        hedge_ratio=float(-vector[1] / vector[0]),
        det_order=det_order,
        k_ar_diff=k_ar_diff,
    )
