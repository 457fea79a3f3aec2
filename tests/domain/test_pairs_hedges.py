"""Hedge ratios against statsmodels on real klines: OLS, Kalman (zero state noise = `RecursiveLS`), Huber (`RLM`).

Also what the Kalman noise is for (a hedge that follows a change) and the Johansen wrapper.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.tsa.vector_ar.vecm import coint_johansen

from cryptoterm.domain.pairs import KalmanParams, huber_fit, johansen, kalman_hedge, ols_fit
from tests.domain.test_pairs_alignment import real_log_closes

PAIRS = np.array([[0, 1], [2, 3], [4, 5], [6, 7], [1, 4]])


def _legs(shared_data: Path, bars: int) -> tuple[np.ndarray, np.ndarray]:
    closes = real_log_closes(shared_data, bars).log_close
    return closes[:, PAIRS[:, 0]].T.copy(), closes[:, PAIRS[:, 1]].T.copy()


@pytest.mark.shared
def test_ols_hedge_equals_statsmodels_ols(shared_data: Path) -> None:
    y, x = _legs(shared_data, 5_000)
    fit = ols_fit(y, x)
    for row in range(len(PAIRS)):
        ref = sm.OLS(y[row], sm.add_constant(x[row])).fit()
        np.testing.assert_allclose([fit.alpha[row], fit.beta[row]], ref.params, rtol=1e-10)
        np.testing.assert_allclose(fit.resid[row], ref.resid, rtol=0, atol=1e-10)
        assert fit.rsquared[row] == pytest.approx(ref.rsquared, abs=1e-12)


@pytest.mark.shared
def test_kalman_without_state_noise_equals_recursive_ls_on_every_bar(shared_data: Path) -> None:
    """Both start from the exact fit of the first two bars; from there every filtered state is OLS so far.

    `RecursiveLS` is given x measured from its first bar (the same regression: same beta on every bar, the
    intercept moved by beta·x_0), because on raw log prices its own recursion loses up to 0.6 in beta over the
    first bars (log prices near 10, moving by 1e-4). On raw prices it is compared from bar 500 on, once settled.
    """
    y, x = _legs(shared_data, 19_599)
    hedge = kalman_hedge(y, x, KalmanParams(beta_variance=0.0, intercept_variance=0.0), keep_path=True)
    assert hedge.beta_path.shape == hedge.alpha_path.shape == y.shape
    for row in range(len(PAIRS)):
        origin = x[row, 0]
        ref = sm.RecursiveLS(y[row], np.column_stack([x[row] - origin, np.ones_like(x[row])])).fit()
        beta, shifted_alpha = ref.recursive_coefficients.filtered
        np.testing.assert_allclose(hedge.beta_path[row, 1:], beta[1:], rtol=1e-8, atol=1e-9)
        np.testing.assert_allclose(hedge.alpha_path[row, 1:], (shifted_alpha - beta * origin)[1:], rtol=1e-8, atol=1e-8)
        raw = sm.RecursiveLS(y[row], np.column_stack([x[row], np.ones_like(x[row])])).fit()
        np.testing.assert_allclose(hedge.beta_path[row, 500:], raw.recursive_coefficients.filtered[0][500:], atol=1e-6)
        ols = sm.OLS(y[row], sm.add_constant(x[row])).fit().params
        assert hedge.beta[row] == pytest.approx(ols[1], abs=1e-10)
        assert hedge.alpha[row] == pytest.approx(ols[0], abs=1e-9)


def test_kalman_starts_where_the_first_bars_pin_a_line_down() -> None:
    """A thin market repeats its close: the fit starts at the first bar x moves, as RecursiveLS's diffuse start."""
    rng = np.random.default_rng(8)
    x = 4.0 + np.cumsum(rng.normal(0, 0.01, 400))
    x[1:4] = x[0]
    y = 1.0 + 0.9 * x + rng.normal(0, 0.003, 400)
    flat = np.full(400, 2.0)
    hedge = kalman_hedge(np.stack([y, y]), np.stack([x, flat]), KalmanParams(1e-3, 0.0, 0.0), keep_path=True)
    assert np.isnan(hedge.beta_path[0, :4]).all() and np.isfinite(hedge.beta_path[0, 4:]).all()
    ref = sm.RecursiveLS(y, np.column_stack([x - x[0], np.ones_like(x)])).fit()
    np.testing.assert_allclose(hedge.beta_path[0, 4:], ref.recursive_coefficients.filtered[0][4:], rtol=1e-8)
    assert np.isnan(hedge.beta[1]) and np.isnan(hedge.beta_path[1]).all()


def test_kalman_state_noise_lets_the_hedge_follow_a_change_of_beta() -> None:
    rng = np.random.default_rng(2)
    n = 3_000
    x = 3.0 + np.cumsum(rng.normal(0, 0.01, n))
    beta = np.where(np.arange(n) < n // 2, 0.8, 1.4)
    y = 0.5 + beta * x + rng.normal(0, 0.005, n)
    still = kalman_hedge(y[None], x[None], KalmanParams(1e-4, 0.0, 0.0))
    moving = kalman_hedge(y[None], x[None], KalmanParams(1e-4, 1e-4, 1e-4))
    assert abs(moving.beta[0] - 1.4) < 0.1 < abs(still.beta[0] - 1.4)
    assert moving.beta_path.shape == (1, 0)  # no path unless asked for


def test_kalman_params_refuse_impossible_noise() -> None:
    with pytest.raises(ValueError, match="observation_variance must be > 0"):
        KalmanParams(observation_variance=0.0)
    with pytest.raises(ValueError, match="beta_variance must be ≥ 0"):
        KalmanParams(beta_variance=-1.0)
    with pytest.raises(ValueError, match="at least 2 bars"):
        kalman_hedge(np.ones((1, 1)), np.ones((1, 1)), KalmanParams())


@pytest.mark.shared
@pytest.mark.parametrize("bars", [800, 19_599])
def test_huber_equals_rlm_huber_t(shared_data: Path, bars: int) -> None:
    y, x = _legs(shared_data, bars)
    fit = huber_fit(y, x)
    for row in range(len(PAIRS)):
        ref = sm.RLM(y[row], sm.add_constant(x[row]), M=sm.robust.norms.HuberT()).fit()
        np.testing.assert_allclose([fit.alpha[row], fit.beta[row]], ref.params, rtol=1e-9, atol=1e-10)
        assert fit.scale[row] == pytest.approx(ref.scale, rel=1e-8)


def test_huber_shrugs_off_a_crash_bar_that_drags_ols() -> None:
    rng = np.random.default_rng(9)
    x = 2.0 + np.cumsum(rng.normal(0, 0.01, 1_000))
    y = 1.0 + 0.7 * x + rng.normal(0, 0.002, 1_000)
    y[::50] -= 0.5  # one leg crashes and recovers on 20 bars
    robust = huber_fit(y[None], x[None])
    plain = ols_fit(y[None], x[None])
    assert abs(robust.beta[0] - 0.7) < 0.02 < abs(plain.beta[0] - 0.7)


@pytest.mark.shared
def test_johansen_wraps_coint_johansen(shared_data: Path) -> None:
    closes = real_log_closes(shared_data, 2_000).log_close
    ours = johansen(closes[:, 0], closes[:, 1], det_order=0, k_ar_diff=2)
    ref = coint_johansen(closes[:, :2], 0, 2)
    np.testing.assert_array_equal(ours.trace_statistic, ref.trace_stat)
    np.testing.assert_array_equal(ours.trace_critical_values, ref.trace_stat_crit_vals)
    np.testing.assert_array_equal(ours.max_eigen_statistic, ref.max_eig_stat)
    np.testing.assert_array_equal(ours.max_eigen_critical_values, ref.max_eig_stat_crit_vals)
    assert ours.hedge_ratio == pytest.approx(-ref.evec[1, 0] / ref.evec[0, 0])
    assert ours.trace_critical_values.shape == (2, 3)
    with pytest.raises(ValueError, match="det_order must be -1, 0 or 1"):
        johansen(closes[:, 0], closes[:, 1], det_order=2)
