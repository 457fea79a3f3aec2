"""Watchlist order: by a key, unknown values last in the user's order, volatility from 1m closes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cryptoterm.domain.market import TickerStats
from cryptoterm.domain.watch_sort import next_sort_key, realized_volatility_pct, sorted_symbols

NAN = float("nan")


def _ticker(
    symbol: str, last: float, open_24h: float, volume: float, bid: float = NAN, ask: float = NAN
) -> TickerStats:
    return TickerStats(symbol, 0, last, open_24h, last, last, 1.0, volume, bid, ask)


TICKERS = [
    _ticker("A/USDT", 110, 100, 5e6, 109.9, 110.1),  # +10 %, 18 bps
    _ticker("B/USDT", 95, 100, 9e6, 94.99, 95.01),  # -5 %, ~2 bps
    _ticker("C/USDT", 100, 0, NAN),  # no reference price, no volume, no book
    _ticker("D/USDT", 120, 100, 1e6, 119.0, 121.0),  # +20 %, ~167 bps
]


def test_each_key_both_ways_with_unknowns_last() -> None:
    assert sorted_symbols(TICKERS, "") == ["A/USDT", "B/USDT", "C/USDT", "D/USDT"]
    assert sorted_symbols(TICKERS, "change") == ["D/USDT", "A/USDT", "B/USDT", "C/USDT"]
    assert sorted_symbols(TICKERS, "change", descending=False) == ["B/USDT", "A/USDT", "D/USDT", "C/USDT"]
    assert sorted_symbols(TICKERS, "volume") == ["B/USDT", "A/USDT", "D/USDT", "C/USDT"]
    assert sorted_symbols(TICKERS, "spread", descending=False) == ["B/USDT", "A/USDT", "D/USDT", "C/USDT"]
    volatility = {"A/USDT": 0.5, "B/USDT": 2.0, "D/USDT": 1.0}
    assert sorted_symbols(TICKERS, "volatility", volatility=volatility) == ["B/USDT", "D/USDT", "A/USDT", "C/USDT"]


def test_volatility_is_numpys_sample_std_of_log_returns_scaled_to_the_span() -> None:
    rng = np.random.default_rng(3)
    closes = list(100 * np.exp(np.cumsum(rng.normal(0, 0.002, 61))))
    returns = np.diff(np.log(closes))
    expected = float(np.std(returns, ddof=1) * math.sqrt(len(returns)) * 100)
    assert realized_volatility_pct(closes) == pytest.approx(expected, rel=1e-12)
    assert math.isnan(realized_volatility_pct([100.0, 101.0]))


def test_unknown_key_is_refused_and_the_cycle_wraps() -> None:
    with pytest.raises(ValueError, match="unknown watchlist sort"):
        sorted_symbols(TICKERS, "colour")
    assert next_sort_key("") == "change"
    assert next_sort_key("volatility") == ""
