"""The pair detail: the same numbers as the screen for the same pair and window, and the live z-score."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.tsa.stattools import adfuller
from statsmodels.tsa.vector_ar.vecm import coint_johansen

from cryptoterm.domain.pairs import (
    DetailParams,
    ScreenParams,
    combine_chunks,
    live_zscore,
    pair_detail,
    rolling_correlation,
    screen_chunk,
)
from tests.domain.test_pairs_alignment import real_log_closes


@pytest.mark.shared
def test_detail_tables_equal_statsmodels_and_the_screen_row(shared_data: Path) -> None:
    aligned = real_log_closes(shared_data, 1_500)
    y, x = aligned.log_close[:, 3], aligned.log_close[:, 4]  # LTCUSDT on BCHUSDT
    detail = pair_detail(y, x, DetailParams(johansen_lags=2, correlation_window=48))
    ols, kalman, huber = detail.hedges
    assert (ols.name, kalman.name, huber.name) == ("ols", "kalman", "huber")
    ref = sm.OLS(y, sm.add_constant(x)).fit()
    assert (ols.alpha, ols.beta) == (pytest.approx(ref.params[0]), pytest.approx(ref.params[1]))
    assert huber.beta == pytest.approx(sm.RLM(y, sm.add_constant(x), M=sm.robust.norms.HuberT()).fit().params[1])
    adf = adfuller(ref.resid, result_object=True)
    assert (ols.adf_t, ols.adf_p, ols.adf_lag) == (
        pytest.approx(adf.statistic, abs=1e-8),
        pytest.approx(adf.pvalue),
        adf.lags,
    )
    np.testing.assert_allclose(ols.adf_critical_values, [adf.critical_values[k] for k in ("1%", "5%", "10%")])
    np.testing.assert_allclose(
        detail.johansen.trace_statistic, coint_johansen(np.column_stack([y, x]), 0, 2).trace_stat
    )
    np.testing.assert_array_equal(detail.correlation, rolling_correlation(y, x, 48))
    assert detail.relative_y[0] == detail.relative_x[0] == 1.0
    assert detail.relative_y[-1] == pytest.approx(np.exp(y[-1] - y[0]))
    assert detail.kalman_beta.shape == y.shape and detail.kalman_beta[-1] == kalman.beta
    assert detail.zscore[-1] == pytest.approx(ols.zscore)
    np.testing.assert_allclose(detail.spread, ref.resid, atol=1e-12)

    params = ScreenParams()
    [row] = combine_chunks(aligned.symbols, [screen_chunk(aligned.log_close, np.array([[3, 4]]), params)], params)
    assert (row.beta_huber, row.beta_kalman) == (huber.beta, kalman.beta)
    assert (row.zscore, row.adf_t) == (pytest.approx(ols.zscore, rel=1e-9), pytest.approx(ols.adf_t, abs=1e-9))


def test_the_chosen_hedge_defines_the_spread_and_z_score() -> None:
    rng = np.random.default_rng(6)
    x = 3.0 + np.cumsum(rng.normal(0, 0.01, 600))
    y = 0.2 + 1.1 * x + rng.normal(0, 0.004, 600)
    detail = pair_detail(y, x, DetailParams(spread_hedge="huber"))
    huber = detail.hedges[2]
    np.testing.assert_allclose(detail.spread, y - (huber.alpha + huber.beta * x))
    assert detail.zscore[-1] == pytest.approx(huber.zscore)


def test_live_zscore_is_the_window_z_score_at_the_last_bar_and_nan_without_spread() -> None:
    rng = np.random.default_rng(1)
    x = 2.0 + np.cumsum(rng.normal(0, 0.01, 300))
    y = 1.0 + 0.5 * x + rng.normal(0, 0.01, 300)
    ols = pair_detail(y, x, DetailParams()).hedges[0]
    now = live_zscore(y[-1], x[-1], ols.beta, ols.alpha, ols.spread_mean, ols.spread_std)
    assert now == pytest.approx(ols.zscore)
    assert np.isnan(live_zscore(1.0, 1.0, 1.0, 0.0, 0.0, 0.0))


def test_detail_params_that_cannot_work_are_refused() -> None:
    with pytest.raises(ValueError, match="spread_hedge must be 'ols', 'kalman' or 'huber', got 'tls'"):
        DetailParams(spread_hedge="tls")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="correlation_window must be at least 2"):
        DetailParams(correlation_window=1)
    with pytest.raises(ValueError, match="johansen_lags must be ≥ 0"):
        DetailParams(johansen_lags=-1)
