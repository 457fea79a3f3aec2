"""Benjamini-Hochberg and Bonferroni adjusted p-values equal statsmodels' `multipletests`."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

from cryptoterm.domain.pairs import benjamini_hochberg, bonferroni

PVALUES = st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=1, max_size=300)


@settings(max_examples=200, deadline=None)
@given(pvalues=PVALUES)
def test_equal_to_multipletests(pvalues: list[float]) -> None:
    p = np.array(pvalues)
    np.testing.assert_allclose(benjamini_hochberg(p), multipletests(p, method="fdr_bh")[1], rtol=1e-15, atol=0)
    np.testing.assert_allclose(bonferroni(p), multipletests(p, method="bonferroni")[1], rtol=1e-15, atol=0)


@settings(max_examples=100, deadline=None)
@given(pvalues=PVALUES, holes=st.lists(st.integers(0, 299), max_size=20))
def test_untested_pairs_stay_nan_and_leave_the_family(pvalues: list[float], holes: list[int]) -> None:
    p = np.array(pvalues)
    missing = sorted({h for h in holes if h < len(p)})
    with_holes = p.copy()
    with_holes[missing] = np.nan
    kept = np.setdiff1d(np.arange(len(p)), missing)
    for adjust, method in ((benjamini_hochberg, "fdr_bh"), (bonferroni, "bonferroni")):
        result = adjust(with_holes)
        assert np.isnan(result[missing]).all()
        if kept.size:
            np.testing.assert_allclose(result[kept], multipletests(p[kept], method=method)[1], rtol=1e-15, atol=0)


def test_chance_passes_are_caught() -> None:
    """1,000 null pairs: about 50 pass p < 0.05 raw; adjusted, none should."""
    p = np.random.default_rng(0).uniform(size=1_000)
    assert (p < 0.05).sum() > 30
    assert (benjamini_hochberg(p) < 0.05).sum() == 0 and (bonferroni(p) < 0.05).sum() == 0
