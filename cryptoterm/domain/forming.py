"""The still-forming bar of a larger timeframe, folded from the closed 1m bars it already contains.

A chart opened mid-hour should show the hour so far, not an empty slot: the 1h, 4h and 1d bars forming now are
the aggregate of the minutes since their bucket opened, exactly what the bar builder will reach at their close.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptoterm.domain.market import Candle


def fold_forming(open_time: int, minutes: Sequence[Candle]) -> Candle | None:
    """The forming bar opening at `open_time` from the closed 1m bars since; None when there are none yet."""
    if not minutes:
        return None
    return Candle(
        open_time,
        minutes[0].open,
        max(c.high for c in minutes),
        min(c.low for c in minutes),
        minutes[-1].close,
        sum(c.volume for c in minutes),
        sum(c.quote_volume for c in minutes),
        sum(c.trades for c in minutes),
        closed=False,
    )
