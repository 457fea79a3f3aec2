"""Importing the pair statistics must not import statsmodels (about a second) or pandas: they load on use."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_pairs_package_imports_neither_statsmodels_scipy_nor_pandas() -> None:
    probe = (
        "import sys\n"
        "import cryptoterm.domain.pairs\n"
        "from cryptoterm.domain.pairs import screen, engle_granger, mackinnon, huber, johansen, spread\n"
        "print(','.join(m for m in ('statsmodels', 'scipy', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_the_probe_sees_statsmodels_once_a_test_runs() -> None:
    """The check above could pass by never noticing; computing a p-value must load statsmodels."""
    probe = (
        "import sys, numpy as np\n"
        "from cryptoterm.domain.pairs.mackinnon import mackinnon_pvalues\n"
        "mackinnon_pvalues(np.array([-3.0]), 'c', 2)\n"
        "print('statsmodels' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "True"
