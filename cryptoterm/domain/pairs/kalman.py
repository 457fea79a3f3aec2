"""Time-varying hedge ratio and intercept by a Kalman filter, for many pairs at once.

Model (log prices): y_t = beta_t·x_t + alpha_t + v_t with v_t ~ N(0, R), and the state (beta, alpha) a random
walk, (beta_t, alpha_t) = (beta_{t-1}, alpha_{t-1}) + w_t with w_t ~ N(0, diag(q_beta, q_alpha)).
R is `observation_variance` (the variance of the spread around the moving hedge, in squared log-price units);
q_beta and q_alpha are `beta_variance` and `intercept_variance`, the variance of one bar's step of each state. The
ratio q / R sets how fast the hedge follows the prices: q = 0 is recursive least squares (a constant hedge
estimated on all bars so far, statsmodels' `RecursiveLS`), larger q forgets older bars faster.

Start: the first bars that pin a line down determine (beta, alpha) exactly, which is where an exact diffuse
prior (statsmodels' `RecursiveLS`) stands after them too; the state covariance starts at R·(XᵀX)⁻¹ of those bars
(with state noise that start ignores the drift of those first bars). From the next bar on, each bar is one
predict / update step. With zero state noise every filtered state is therefore the OLS fit of the bars so far.
The filter runs bar by bar (a recursion), vectorised across pairs: one pass costs a few dozen numpy operations
per bar whatever the number of pairs, so it is cheapest on big batches of pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cryptoterm.domain.pairs.arrays import FloatArray


@dataclass(frozen=True, slots=True)
class KalmanParams:
    """Noise variances of the hedge filter (see the module docstring); all must be ≥ 0 and R > 0.

    The defaults suit hourly log prices: R = 1e-3 is a spread of about 3 % around the hedge, and q = 1e-7 a bar
    lets beta wander by about 0.01 over 1,000 bars, so the hedge follows regime changes over weeks, not noise.
    """

    observation_variance: float = 1e-3
    beta_variance: float = 1e-7
    intercept_variance: float = 1e-7

    def __post_init__(self) -> None:
        if not self.observation_variance > 0:
            raise ValueError(f"observation_variance must be > 0, got {self.observation_variance!r}")
        for name in ("beta_variance", "intercept_variance"):
            value = getattr(self, name)
            if not value >= 0:
                raise ValueError(f"{name} must be ≥ 0, got {value!r}")


@dataclass(frozen=True, slots=True)
class KalmanHedge:
    """Filtered hedge per pair: the last bar's (beta, alpha), and the whole paths (P × n; P × 0 unless asked for)."""

    beta: FloatArray
    alpha: FloatArray
    beta_path: FloatArray
    alpha_path: FloatArray


def kalman_hedge(y: FloatArray, x: FloatArray, params: KalmanParams, keep_path: bool = False) -> KalmanHedge:
    """Filter each row of `y` on [row of `x`, 1] (P × n, n ≥ 2); path entries are NaN until the fit exists.

    The fit exists from the first bar k whose x differs from the first bar's (usually k = 1; a thin market can
    repeat a close): bars 0 … k determine (beta, alpha) exactly, the least-squares fit of those bars, which is
    where an exact diffuse prior stands too. A leg whose x never moves has no hedge (NaN).

    The recursion runs on x measured from its first bar, c = x_0 (known at the start, so nothing looks ahead):
    y = beta·(x - c) + gamma with gamma = alpha + beta·c. Log prices sit far from 0 with small moves (log BTC ≈ 10
    moving by 1e-3 a bar), and a state of (beta, alpha) on raw x is then nearly collinear: statsmodels'
    `RecursiveLS` on raw log prices drifts from the exact least-squares path by up to 0.6 in beta over its first
    bars on real pairs. The shifted state is the same model exactly (its noise is the transformed
    Q' = T·Q·Tᵀ, T = [[1, 0], [c, 1]]), conditioned well; alpha = gamma - beta·c on the way out.
    """
    count, n = y.shape
    if n < 2:
        raise ValueError(f"the Kalman hedge needs at least 2 bars, got {n}")
    r = params.observation_variance
    q_beta, q_alpha = params.beta_variance, params.intercept_variance
    origin = x[:, 0].copy()
    shifted = np.ascontiguousarray((x - origin[:, None]).T)
    yt_all = np.ascontiguousarray(y.T)
    q11 = q_beta
    q12 = origin * q_beta
    q22 = q_alpha + origin**2 * q_beta
    moved = shifted[1:] != 0.0
    first = np.where(moved.any(axis=0), np.argmax(moved, axis=0) + 1, n).astype(np.int64)
    pairs = np.arange(count)
    k = np.minimum(first, n - 1)
    dx = np.where(first < n, shifted[k, pairs], np.nan)
    before = np.cumsum(yt_all, axis=0)[k - 1, pairs] / k  # mean y of bars 0 … k - 1, where x = x_0
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = (yt_all[k, pairs] - before) / dx
        gamma = before
        # R·(XᵀX)⁻¹ for k rows [0, 1] and one row [dx, 1]: XᵀX = [[dx², dx], [dx, k + 1]], det = k·dx².
        p11 = r * (k + 1) / (k * dx * dx)
        p12 = -r / (k * dx)
    p22 = r / k
    beta_path = np.full((count, n if keep_path else 0), np.nan)
    alpha_path = np.full((count, n if keep_path else 0), np.nan)
    if keep_path:
        beta_path[pairs, k] = beta
        alpha_path[pairs, k] = gamma - beta * origin
    latest_start = int(k.max())
    # A leg that never moves is NaN throughout; its arithmetic must not warn for every bar.
    with np.errstate(invalid="ignore", divide="ignore"):
        for t in range(2, n):
            xt = shifted[t]
            a11 = p11 + q11
            a12 = p12 + q12
            a22 = p22 + q22
            h1 = a11 * xt + a12
            h2 = a12 * xt + a22
            innovation_variance = h1 * xt + h2 + r
            error = yt_all[t] - (beta * xt + gamma)
            k1 = h1 / innovation_variance
            k2 = h2 / innovation_variance
            updated = (beta + k1 * error, gamma + k2 * error, a11 - k1 * h1, a12 - k1 * h2, a22 - k2 * h2)
            if t <= latest_start:
                # A pair whose fit starts at or after this bar keeps its starting state.
                waiting = t <= k
                current = (beta, gamma, p11, p12, p22)
                updated = tuple(np.where(waiting, old, new) for old, new in zip(current, updated, strict=True))
            beta, gamma, p11, p12, p22 = updated
            if keep_path:
                beta_path[:, t] = np.where(t < k, np.nan, beta)
                alpha_path[:, t] = np.where(t < k, np.nan, gamma - beta * origin)
    return KalmanHedge(beta=beta, alpha=gamma - beta * origin, beta_path=beta_path, alpha_path=alpha_path)
