"""The demo's history in two tiers: recent days at 1m, older days as 15m bars, equal to an all-1m history.

The same seed with `minute_days` covering the whole history is the reference: the tiered market draws the same
numbers in the same order, so its 1m tier is the reference's last days bit for bit, its 15m tier the exact
aggregate of the rest, and every candle from 15m up — over the whole history and into the live minutes — is the
reference's: the same prices and trade counts, the same volumes but for the last bits of a float sum taken in
another order (15m sums summed). Below 15m only the 1m tier's days (and the live minutes) have bars.
"""

from __future__ import annotations

import numpy as np
import pytest

from cryptoterm.adapters.sim import SimulatedMarket
from cryptoterm.adapters.sim.history import COARSE_MS, aggregate
from cryptoterm.config.schema import DemoConfig
from cryptoterm.domain.market import Candle
from cryptoterm.domain.timeframes import DAY_MS, MINUTE_MS

START = 1_780_000_123_456
EXACT = ("open_time", "open", "high", "low", "close", "trades", "closed")
FIELDS = ("open_time", "open", "high", "low", "close", "volume", "quote_volume", "trades")


def assert_same_candles(got: list[Candle], want: list[Candle]) -> None:
    assert len(got) == len(want)
    for field in EXACT:
        assert [getattr(c, field) for c in got] == [getattr(c, field) for c in want], field
    for field in ("volume", "quote_volume"):
        np.testing.assert_allclose([getattr(c, field) for c in got], [getattr(c, field) for c in want], rtol=1e-12)


@pytest.fixture(scope="module")
def pair() -> tuple[SimulatedMarket, SimulatedMarket]:
    reference = SimulatedMarket(DemoConfig(seed=11, speed=0, symbols=6, history_days=9, minute_days=9), START)
    tiered = SimulatedMarket(DemoConfig(seed=11, speed=0, symbols=6, history_days=9, minute_days=3), START)
    return reference, tiered


def test_the_minute_tier_is_the_references_last_days(pair: tuple[SimulatedMarket, SimulatedMarket]) -> None:
    reference, tiered = pair
    assert tiered.minute_start_ms % DAY_MS == 0
    assert tiered.start_ms - tiered.minute_start_ms < 4 * DAY_MS
    split = int(np.searchsorted(reference.history.open_time, tiered.minute_start_ms))
    assert len(tiered.history) == len(reference.history) - split
    recent, older = reference.history.window(split, len(reference.history)), reference.history.window(0, split)
    got = tiered.history.window(0, len(tiered.history))
    for field in FIELDS:
        np.testing.assert_array_equal(getattr(got, field), getattr(recent, field))
    coarse = aggregate(older, COARSE_MS)
    for field in FIELDS:
        np.testing.assert_array_equal(getattr(tiered.coarse_history, field), getattr(coarse, field))
    assert tiered.coarse_history.open_time[-1] + COARSE_MS == tiered.minute_start_ms


def test_it_holds_a_fraction_of_the_memory(pair: tuple[SimulatedMarket, SimulatedMarket]) -> None:
    reference, tiered = pair
    coarse = tiered.coarse_history
    coarse_bytes = sum(getattr(coarse, field).nbytes for field in FIELDS)
    assert tiered.history.nbytes + coarse_bytes < 0.6 * reference.history.nbytes


@pytest.mark.parametrize("timeframe", ["15m", "1h", "4h", "1d"])
def test_candles_from_15m_up_reach_the_whole_history_unchanged(
    pair: tuple[SimulatedMarket, SimulatedMarket], timeframe: str
) -> None:
    reference, tiered = pair
    since = reference.history_start_ms
    want = reference.candles("ETH/USDT", timeframe, since)
    got = tiered.candles("ETH/USDT", timeframe, since)
    assert_same_candles(got, want)
    assert got[0].open_time < tiered.minute_start_ms  # reaches into the 15m tier


def test_below_15m_only_the_minute_tier_has_bars(pair: tuple[SimulatedMarket, SimulatedMarket]) -> None:
    reference, tiered = pair
    since = reference.history_start_ms
    for timeframe in ("1m", "5m"):
        got = tiered.candles("SOL/USDT", timeframe, since)
        assert got[0].open_time == tiered.minute_start_ms
        assert got == [c for c in reference.candles("SOL/USDT", timeframe, since) if c.open_time >= got[0].open_time]


def test_live_minutes_and_their_candles_match_the_reference() -> None:
    reference = SimulatedMarket(DemoConfig(seed=5, speed=0, symbols=4, history_days=4, minute_days=4), START)
    tiered = SimulatedMarket(DemoConfig(seed=5, speed=0, symbols=4, history_days=4, minute_days=1), START)
    for _ in range(40):  # into the live minutes: trade ids and prices carry on from the same history
        assert tiered.next_batch() == reference.next_batch()
    since = reference.history_start_ms
    for timeframe in ("15m", "1h"):
        assert_same_candles(
            tiered.candles("BTC/USDT", timeframe, since), reference.candles("BTC/USDT", timeframe, since)
        )
    now = tiered.now_ms()
    assert tiered.candles("BTC/USDT", "1m", now - 30 * MINUTE_MS) == reference.candles(
        "BTC/USDT", "1m", now - 30 * MINUTE_MS
    )
