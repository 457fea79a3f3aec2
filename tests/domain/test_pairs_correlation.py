"""Return correlations per pair (Pearson, Spearman) and rolling, against numpy / scipy / pandas on real klines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from cryptoterm.domain.pairs import correlation_matrix, pair_correlations, rolling_correlation
from tests.domain.test_pairs_alignment import real_log_closes


@pytest.mark.shared
def test_pair_correlations_equal_corrcoef_and_spearmanr(shared_data: Path) -> None:
    closes = real_log_closes(shared_data, 5_000).log_close
    returns = np.diff(closes, axis=0)
    pairs = np.array([[0, 1], [7, 2], [3, 6], [5, 5]])
    ours = pair_correlations(closes, pairs)
    for row, (i, j) in enumerate(pairs):
        assert ours.pearson[row] == pytest.approx(np.corrcoef(returns[:, i], returns[:, j])[0, 1], abs=1e-12)
        assert ours.spearman[row] == pytest.approx(spearmanr(returns[:, i], returns[:, j]).statistic, abs=1e-12)
    assert ours.pearson[3] == pytest.approx(1.0)
    assert 0.5 < ours.pearson[0] < 1.0  # BTC and ETH hourly returns


@pytest.mark.shared
def test_correlation_matrix_equals_pandas(shared_data: Path) -> None:
    closes = real_log_closes(shared_data, 2_000).log_close
    frame = pd.DataFrame(np.diff(closes, axis=0))
    np.testing.assert_allclose(correlation_matrix(closes), frame.corr().to_numpy(), atol=1e-12)
    np.testing.assert_allclose(correlation_matrix(closes, "spearman"), frame.corr("spearman").to_numpy(), atol=1e-12)
    with pytest.raises(ValueError, match="method must be 'pearson' or 'spearman'"):
        correlation_matrix(closes, "kendall")


def test_rolling_correlation_lines_up_with_bars_and_equals_pandas() -> None:
    rng = np.random.default_rng(4)
    y, x = np.cumsum(rng.normal(size=(2, 300)), axis=1)
    ours = rolling_correlation(y, x, 50)
    assert ours.shape == (300,) and np.isnan(ours[:50]).all() and np.isfinite(ours[50:]).all()
    ry, rx = np.diff(y), np.diff(x)  # ry[k] is the return into bar k + 1
    assert ours[120] == pytest.approx(np.corrcoef(ry[70:120], rx[70:120])[0, 1], abs=1e-12)
    with pytest.raises(ValueError, match="window must be at least 2"):
        rolling_correlation(y, x, 1)
