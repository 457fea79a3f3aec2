"""Batched ADF equals statsmodels' `adfuller`; MacKinnon p-values over arrays equal `mackinnonp` / `mackinnoncrit`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.tsa.adfvalues import mackinnoncrit, mackinnonp
from statsmodels.tsa.stattools import adfuller

from cryptoterm.domain.pairs import adf_batch, ols_fit, spread_statistics
from cryptoterm.domain.pairs.mackinnon import mackinnon_critical_values, mackinnon_pvalues
from tests.domain.test_pairs_alignment import real_log_closes


def _spreads(shared_data: Path, bars: int) -> np.ndarray:
    closes = real_log_closes(shared_data, bars).log_close
    y = closes[:, [0, 1, 2, 3, 4, 5]].T.copy()
    x = closes[:, [1, 2, 3, 4, 6, 7]].T.copy()
    return ols_fit(y, x).resid


@pytest.mark.shared
@pytest.mark.parametrize("regression", ["c", "n"])
@pytest.mark.parametrize("bars", [120, 1_200])
def test_adf_equals_adfuller_on_real_spreads_and_prices(shared_data: Path, regression: str, bars: int) -> None:
    spreads = _spreads(shared_data, bars)
    prices = real_log_closes(shared_data, bars).log_close.T[:3]
    series = np.concatenate([spreads, prices])
    ours = adf_batch(series, regression=regression)  # type: ignore[arg-type]
    for row, values in enumerate(series):
        ref = adfuller(values, regression=regression, result_object=True)
        assert ours.statistic[row] == pytest.approx(ref.statistic, abs=1e-8)
        assert (ours.used_lag[row], ours.nobs[row]) == (ref.lags, ref.nobs)


@pytest.mark.shared
def test_spread_statistics_carry_adfuller_p_value_and_critical_values(shared_data: Path) -> None:
    spreads = _spreads(shared_data, 800)
    stats = spread_statistics(spreads)
    for row, values in enumerate(spreads):
        ref = adfuller(values, result_object=True)
        assert stats.adf_pvalue[row] == pytest.approx(ref.pvalue, abs=1e-6)
        np.testing.assert_allclose(
            stats.adf_critical_values[row], [ref.critical_values[k] for k in ("1%", "5%", "10%")]
        )
        assert stats.zscore[row] == pytest.approx((values[-1] - values.mean()) / values.std(ddof=1), rel=1e-12)


def test_a_fixed_lag_without_search_equals_adfuller_autolag_none() -> None:
    rng = np.random.default_rng(11)
    series = np.cumsum(rng.normal(size=(4, 300)), axis=1)
    ours = adf_batch(series, regression="c", maxlag=5, autolag=None)
    for row, values in enumerate(series):
        ref = adfuller(values, maxlag=5, autolag=None, result_object=True)
        assert ours.statistic[row] == pytest.approx(ref.statistic, abs=1e-8) and ours.used_lag[row] == 5


def test_constant_and_non_finite_series_give_nan_and_leave_the_others_alone() -> None:
    rng = np.random.default_rng(5)
    good = np.cumsum(rng.normal(size=200))
    broken = good.copy()
    broken[50] = np.nan
    series = np.stack([np.full(200, 2.0), good, broken])
    ours = adf_batch(series, regression="c")
    assert np.isnan(ours.statistic[0]) and np.isnan(ours.statistic[2])
    assert ours.statistic[1] == pytest.approx(adfuller(good, result_object=True).statistic, abs=1e-8)


def test_a_window_so_short_the_search_reaches_an_exact_fit_picks_the_same_lag_and_says_nan() -> None:
    """20 bars without a constant: maxlag 9 leaves 10 rows for 10 columns; statsmodels picks that lag (its
    criterion is -inf) and reports t = 0 for a regression without residual variance; we pick it too, and say NaN."""
    series = np.cumsum(np.random.default_rng(12).normal(size=(3, 20)), axis=1)
    ours = adf_batch(series, regression="n")
    for row, values in enumerate(series):
        ref = adfuller(values, regression="n", result_object=True)
        assert ref.lags == ours.used_lag[row] == 9 and ref.statistic == 0.0
    assert np.isnan(ours.statistic).all()
    longer = np.cumsum(np.random.default_rng(12).normal(size=(3, 25)), axis=1)
    assert np.isfinite(adf_batch(longer, regression="n").statistic).all()


def test_a_lag_beyond_what_the_series_allows_is_refused() -> None:
    with pytest.raises(ValueError, match="maxlag 60 must be between 0 and"):
        adf_batch(np.cumsum(np.ones((1, 100)), axis=1), maxlag=60)


@settings(max_examples=200, deadline=None)
@given(
    statistic=st.floats(-30.0, 5.0, allow_nan=False),
    regression=st.sampled_from(["c", "n", "ct"]),
    n_series=st.integers(1, 6),
)
def test_mackinnon_pvalues_equal_mackinnonp(statistic: float, regression: str, n_series: int) -> None:
    ours = mackinnon_pvalues(np.array([statistic]), regression, n_series)  # type: ignore[arg-type]
    assert ours[0] == mackinnonp(statistic, regression=regression, N=n_series)


def test_mackinnon_pvalues_at_the_table_edges() -> None:
    stats = np.array([-np.inf, -25.0, -18.86, -2.62, -2.6200001, 0.92, 0.95, np.inf, np.nan])
    ours = mackinnon_pvalues(stats, "c", 2)
    expected = [mackinnonp(s, regression="c", N=2) for s in stats[:-1]]
    np.testing.assert_array_equal(ours[:-1], expected)
    assert np.isnan(ours[-1])


def test_mackinnon_critical_values_equal_mackinnoncrit_per_sample_size() -> None:
    nobs = np.array([40, 1_999, 40, 19_598])
    ours = mackinnon_critical_values("c", 2, nobs)
    for row, size in enumerate(nobs):
        np.testing.assert_array_equal(ours[row], mackinnoncrit(N=2, regression="c", nobs=size))
