"""Adjusted p-values for a screen: with 44,850 pairs, about 2,200 pass p < 0.05 by chance alone.

Benjamini-Hochberg controls the false discovery rate (the expected share of false pairs among those reported);
Bonferroni controls the chance of even one false pair, and is far stricter. Both equal statsmodels'
`multipletests(p, method="fdr_bh" | "bonferroni")[1]`. NaN p-values (pairs that could not be tested) are left out
of the family and stay NaN, so they neither count as tests nor get a value.
"""

from __future__ import annotations

import numpy as np

from cryptoterm.domain.pairs.arrays import FloatArray


def benjamini_hochberg(pvalues: FloatArray) -> FloatArray:
    """Benjamini-Hochberg adjusted p-values, in the input order."""
    p = np.asarray(pvalues, dtype=np.float64)
    result = np.full(p.shape, np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    if tested.size == 0:
        return result
    order = np.argsort(p[tested])
    ranked = p[tested][order]
    scaled = ranked / (np.arange(1, ranked.size + 1) / ranked.size)
    adjusted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    result[tested[order]] = adjusted
    return result


def bonferroni(pvalues: FloatArray) -> FloatArray:
    """Bonferroni adjusted p-values: p · m, capped at 1 (m = the number of tested pairs)."""
    p = np.asarray(pvalues, dtype=np.float64)
    family = int(np.count_nonzero(~np.isnan(p)))
    result: FloatArray = np.minimum(p * family, 1.0)
    return result
