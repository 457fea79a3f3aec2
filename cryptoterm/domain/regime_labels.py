"""The market regime's labels, apart from the classifier: the strategy parser checks `regime == "bull"` against
them without loading numpy and pandas (the config is parsed before anything is on screen)."""

from __future__ import annotations

from typing import Final

BULL: Final = "bull"
BEAR: Final = "bear"
RANGE: Final = "range"
HIGH_VOL: Final = "high-vol"
UNKNOWN: Final = "unknown"
#: Labels a strategy can test for.
LABELS: Final = (BULL, BEAR, RANGE, HIGH_VOL)
