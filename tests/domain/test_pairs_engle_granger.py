"""The batched Engle-Granger test equals statsmodels' `coint(y, x)` on real 1h klines, in both directions.

8 symbols → 28 pairs → 56 directed tests, on 2,000 common bars (maxlag 26) and on a 150-bar window (maxlag 14,
where the lag search and its common sample matter most); t within 1e-8, p within 1e-6, critical values equal.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from statsmodels.tools.sm_exceptions import CollinearityWarning
from statsmodels.tsa.stattools import coint

from cryptoterm.domain.pairs import default_maxlag, engle_granger, pair_chunks
from tests.domain.test_pairs_alignment import real_log_closes


def _reference(log_closes: np.ndarray, pairs: np.ndarray, **options: object) -> np.ndarray:
    """(P, 2 directions, 5) = t, p, crit 1 %, 5 %, 10 % from statsmodels."""
    out = np.empty((len(pairs), 2, 5))
    for row, (i, j) in enumerate(pairs):
        for direction, (a, b) in enumerate(((i, j), (j, i))):
            t, p, crit = coint(log_closes[:, a], log_closes[:, b], **options)
            out[row, direction] = [t, p, *crit]
    return out


def _assert_equal_to_statsmodels(log_closes: np.ndarray, **options: object) -> None:
    pairs = np.concatenate(pair_chunks([str(c) for c in range(log_closes.shape[1])], 1000))
    ours = engle_granger(log_closes, pairs, **options)  # type: ignore[arg-type]
    ref = _reference(log_closes, pairs, **options)
    for direction, test in enumerate((ours.forward, ours.reverse)):
        np.testing.assert_allclose(test.statistic, ref[:, direction, 0], rtol=0, atol=1e-8)
        np.testing.assert_allclose(test.pvalue, ref[:, direction, 1], rtol=0, atol=1e-6)
        np.testing.assert_allclose(np.broadcast_to(test.critical_values, (len(pairs), 3)), ref[:, direction, 2:])


@pytest.mark.shared
def test_coint_both_directions_on_2000_real_bars(shared_data: Path) -> None:
    aligned = real_log_closes(shared_data, 2_000)
    assert aligned.log_close.shape == (2_000, 8)
    _assert_equal_to_statsmodels(aligned.log_close)


@pytest.mark.shared
def test_coint_on_a_short_window(shared_data: Path) -> None:
    aligned = real_log_closes(shared_data, 150)
    assert default_maxlag(150, "n") == 14
    _assert_equal_to_statsmodels(aligned.log_close)


@pytest.mark.shared
def test_coint_with_a_fixed_lag_and_with_bic(shared_data: Path) -> None:
    log_closes = real_log_closes(shared_data, 600).log_close[:, :5]
    _assert_equal_to_statsmodels(log_closes, maxlag=3, autolag=None)
    _assert_equal_to_statsmodels(log_closes, maxlag=8, autolag="bic")


@pytest.mark.shared
def test_the_pairs_are_really_tested_on_their_own_data(shared_data: Path) -> None:
    """A kernel that mixed up rows would still produce plausible numbers; swapping legs must swap directions."""
    log_closes = real_log_closes(shared_data, 1_000).log_close
    one_way = engle_granger(log_closes, np.array([[0, 1], [2, 5]]))
    other_way = engle_granger(log_closes, np.array([[2, 5], [1, 0]]))
    np.testing.assert_array_equal(
        one_way.forward.statistic[::-1], [other_way.forward.statistic[0], other_way.reverse.statistic[1]]
    )
    assert one_way.forward.statistic[0] != one_way.forward.statistic[1]


def test_nearly_collinear_legs_give_minus_infinity_like_statsmodels() -> None:
    rng = np.random.default_rng(7)
    x = np.cumsum(rng.normal(0, 0.01, 500)) + 5.0
    y = 2.0 * x + 1.0 + rng.normal(0, 1e-9, 500)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CollinearityWarning)
        t, p, _ = coint(y, x)
    ours = engle_granger(np.column_stack([y, x]), np.array([[0, 1]]))
    assert t == ours.forward.statistic[0] == -np.inf
    assert p == ours.forward.pvalue[0] == 0.0


def test_a_constant_leg_gives_nan_not_an_exception_and_spares_the_other_pairs() -> None:
    rng = np.random.default_rng(3)
    walk = np.cumsum(rng.normal(0, 0.01, (400, 2)), axis=0)
    closes = np.column_stack([walk, np.full(400, 3.0)])
    result = engle_granger(closes, np.array([[0, 2], [0, 1]]))
    assert np.isnan(result.forward.statistic[0]) and np.isnan(result.forward.pvalue[0])
    t, p, _ = coint(walk[:, 0], walk[:, 1])
    assert result.forward.statistic[1] == pytest.approx(t, abs=1e-8)
    assert result.forward.pvalue[1] == pytest.approx(p, abs=1e-6)


def test_a_window_too_short_for_the_test_names_its_length() -> None:
    with pytest.raises(ValueError, match="1 bars are too few"):
        engle_granger(np.ones((1, 2)), np.array([[0, 1]]))
