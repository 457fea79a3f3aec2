"""Timeframes and exact UTC bucket boundaries.

Every bar in cryptoterm is keyed by its open time in epoch milliseconds (UTC), which is Binance's native key,
so bars built from trades, fetched over REST and stored in SQLite all line up without conversion.
"""

from __future__ import annotations

from typing import Final

MINUTE_MS: Final = 60_000
HOUR_MS: Final = 60 * MINUTE_MS
DAY_MS: Final = 24 * HOUR_MS

#: Timeframes the bar builder maintains for every symbol, smallest first.
TIMEFRAMES: Final[tuple[str, ...]] = ("1m", "5m", "15m", "1h", "4h", "1d")

_UNIT_MS: Final = {"m": MINUTE_MS, "h": HOUR_MS, "d": DAY_MS, "w": 7 * DAY_MS}


def timeframe_ms(timeframe: str) -> int:
    """Length of one bar of `timeframe` ("1m", "4h", "1d", …) in milliseconds.

    Raises ValueError naming the bad value, so config and CLI errors can quote it.
    """
    if len(timeframe) < 2 or timeframe[-1] not in _UNIT_MS or not timeframe[:-1].isdigit():
        raise ValueError(f"unknown timeframe {timeframe!r} (expected one of {', '.join(TIMEFRAMES)})")
    count = int(timeframe[:-1])
    if count <= 0:
        raise ValueError(f"unknown timeframe {timeframe!r} (count must be positive)")
    return count * _UNIT_MS[timeframe[-1]]


def bucket_start(ts_ms: int, timeframe_length_ms: int) -> int:
    """Open time of the bar that contains `ts_ms`.

    Epoch-aligned flooring is exact for every timeframe up to 1d because the Unix epoch starts on a UTC
    midnight, which is also how Binance aligns its klines.
    """
    return ts_ms - (ts_ms % timeframe_length_ms)
