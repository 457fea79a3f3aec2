"""The watchlist's row order: as the user arranged it, or by change, volume, spread or volatility.

Sorting is by one key, high to low or low to high; markets whose value is unknown (no ticker yet, no spread
without a book) always go last, in the user's order, so a market that just joined never jumps to the top. Ties
keep the user's order too (the sort is stable). Volatility is the realized volatility of the last hour's 1m
closes (the standard deviation of the log returns scaled to one hour, in percent): the feed's own bars, so every
watched market has it. Pure: tickers and closes are arguments.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

from cryptoterm.domain.market import TickerStats

#: Sort keys in the order `o` cycles through them ("" = the user's order).
SORT_KEYS: tuple[str, ...] = ("", "change", "volume", "spread", "volatility")
SORT_LABELS: dict[str, str] = {
    "": "watchlist order",
    "change": "24 h change",
    "volume": "24 h quote volume",
    "spread": "spread",
    "volatility": "1 h volatility",
}
#: 1m bars the volatility is measured over (an hour of returns needs one more close).
VOLATILITY_BARS = 61


def realized_volatility_pct(closes: Sequence[float]) -> float:
    """Standard deviation of the log returns of `closes`, scaled to the whole span (√n), in percent; NaN with
    fewer than three usable closes."""
    returns = [math.log(b / a) for a, b in itertools.pairwise(closes) if a > 0 and b > 0 and math.isfinite(a / b)]
    n = len(returns)
    if n < 2:
        return float("nan")
    mean = sum(returns) / n
    variance = sum((r - mean) ** 2 for r in returns) / (n - 1)
    return math.sqrt(variance * n) * 100.0


def sort_value(ticker: TickerStats, key: str, volatility: Mapping[str, float]) -> float:
    """The value of `ticker` under `key` (NaN: unknown)."""
    if key == "change":
        return ticker.change_pct
    if key == "volume":
        return ticker.quote_volume_24h
    if key == "spread":
        return ticker.spread_bps
    if key == "volatility":
        return volatility.get(ticker.symbol, float("nan"))
    raise ValueError(f"unknown watchlist sort {key!r} (one of {', '.join(k for k in SORT_KEYS if k)})")


def sorted_symbols(
    tickers: Sequence[TickerStats],
    key: str,
    *,
    descending: bool = True,
    volatility: Mapping[str, float] | None = None,
) -> list[str]:
    """The symbols of `tickers` (given in the user's order) sorted by `key`; "" keeps the user's order."""
    if not key:
        return [t.symbol for t in tickers]
    volatility = volatility or {}
    known: list[tuple[float, str]] = []
    unknown: list[str] = []
    for ticker in tickers:
        value = sort_value(ticker, key, volatility)
        if math.isfinite(value):
            known.append((value, ticker.symbol))
        else:
            unknown.append(ticker.symbol)
    known.sort(key=lambda item: -item[0] if descending else item[0])
    return [symbol for _, symbol in known] + unknown


def next_sort_key(key: str) -> str:
    """The key after `key` in `SORT_KEYS`, wrapping to the user's order."""
    index = SORT_KEYS.index(key) if key in SORT_KEYS else 0
    return SORT_KEYS[(index + 1) % len(SORT_KEYS)]
