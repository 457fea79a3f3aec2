"""One symbol's closed candles of any timeframe, read from the demo's two history tiers (see `history.py`).

A timeframe that is a whole number of 15m is built from the 15m tier followed by the recent minutes folded into
15m bars, so it reaches the whole history; any other (1m, 5m) from the minutes alone. Either way the candles are
exact aggregates, and only buckets that have closed by `now_ms` are returned.
"""

from __future__ import annotations

import numpy as np

from cryptoterm.adapters.sim.bars import Bars
from cryptoterm.adapters.sim.history import COARSE_MS, aggregate, concat
from cryptoterm.domain.market import Candle
from cryptoterm.domain.timeframes import MINUTE_MS, bucket_start


def tier_candles(coarse: Bars, minutes: Bars, tf_ms: int, since_ms: int, until_ms: int, now_ms: int) -> list[Candle]:
    """Closed `tf_ms` candles with since_ms <= open_time < until_ms, from one symbol's 15m tier (`coarse`, maybe
    empty) and its 1m bars after it (`minutes`: the 1m tier, then the live minutes)."""
    if len(coarse) == 0 or tf_ms % COARSE_MS:
        bars, base_ms = minutes, MINUTE_MS
    else:
        bars, base_ms = concat([coarse, aggregate(minutes, COARSE_MS)]), COARSE_MS
    lo = int(np.searchsorted(bars.open_time, bucket_start(since_ms, tf_ms), side="left"))
    hi = int(np.searchsorted(bars.open_time, until_ms, side="left"))
    if hi <= lo:
        return []
    one = bars.window(lo, hi)
    if tf_ms != base_ms:
        one = aggregate(one, tf_ms)
    keep = (one.open_time >= since_ms) & (one.open_time < until_ms) & (one.open_time + tf_ms <= now_ms)
    start, stop = np.flatnonzero(keep)[[0, -1]] if keep.any() else (0, -1)
    return one.window(int(start), int(stop) + 1).candles()
