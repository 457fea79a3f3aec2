"""Simulated history: deterministic, gap-free, sane OHLC, anchored at the listed prices, exact aggregation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cryptoterm.adapters.sim import SimulatedMarket
from cryptoterm.adapters.sim.history import BarBuffer, aggregate
from cryptoterm.adapters.sim.universe import UNIVERSE, select_universe
from cryptoterm.config.schema import DemoConfig
from cryptoterm.domain.timeframes import DAY_MS, MINUTE_MS, timeframe_ms

START = 1_780_000_123_456  # not on a minute: the market floors it


@pytest.fixture(scope="module")
def market() -> SimulatedMarket:
    return SimulatedMarket(DemoConfig(seed=7, speed=0, history_days=10, minute_days=10), START)


def test_same_seed_same_history_other_seed_differs(market: SimulatedMarket) -> None:
    again = SimulatedMarket(DemoConfig(seed=7, speed=0, history_days=10, minute_days=10), START)
    other = SimulatedMarket(DemoConfig(seed=8, speed=0, history_days=10, minute_days=10), START)
    for field in ("open", "high", "low", "close", "volume", "trades"):
        np.testing.assert_array_equal(getattr(market.history, field), getattr(again.history, field))
    assert not np.array_equal(market.history.close, other.history.close)


def test_history_is_gap_free_and_ends_where_the_stream_starts(market: SimulatedMarket) -> None:
    times = market.history.open_time
    assert market.start_ms == START - START % MINUTE_MS
    assert market.history_start_ms % DAY_MS == 0
    assert market.start_ms - market.history_start_ms >= 10 * DAY_MS
    assert times[0] == market.history_start_ms
    assert times[-1] + MINUTE_MS == market.start_ms
    assert np.all(np.diff(times) == MINUTE_MS)
    assert market.history.close.shape == (20, len(times))


def test_ohlc_sane_and_volume_positive(market: SimulatedMarket) -> None:
    h = market.history
    assert np.all(h.low <= np.minimum(h.open, h.close))
    assert np.all(h.high >= np.maximum(h.open, h.close))
    assert np.all(h.low > 0)
    assert np.all(h.volume > 0)
    assert np.all(h.trades >= 1)
    # Continuous market: each bar opens at the previous close.
    np.testing.assert_array_equal(h.open[:, 1:], h.close[:, :-1])
    # Wicks exist (a bridge's extremes), yet are not absurd: median 1m range under 1% for every symbol.
    rng = (h.high - h.low) / h.close
    assert np.all(np.median(rng, axis=1) > 0)
    assert np.all(np.median(rng, axis=1) < 0.01)


def test_prices_on_tick_grid_and_anchored_to_listed_prices(market: SimulatedMarket) -> None:
    for i, spec in enumerate(market.specs):
        closes = market.history.close[i]
        assert closes[-1] == pytest.approx(spec.price, rel=1e-9)
        ticks = closes / spec.tick
        np.testing.assert_allclose(ticks, np.rint(ticks), atol=1e-6)
        # Plausible: two months never move a price by more than a factor of 4 either way.
        assert closes.min() / spec.price > 0.25 and closes.max() / spec.price < 4


def test_average_volume_matches_the_universe(market: SimulatedMarket) -> None:
    daily_quote = market.history.quote_volume.sum(axis=1) / 10.0
    targets = np.array([spec.quote_volume_24h for spec in market.specs])
    ratio = daily_quote / targets
    assert np.all((ratio > 0.4) & (ratio < 2.5)), ratio


@pytest.mark.parametrize("timeframe", ["5m", "15m", "1h", "4h", "1d"])
async def test_higher_timeframes_are_exact_aggregates(market: SimulatedMarket, timeframe: str) -> None:
    minutes = await market.fetch_candles("ETH/USDT", "1m", market.history_start_ms)
    frame = pd.DataFrame(minutes).set_index(pd.to_datetime([c.open_time for c in minutes], unit="ms"))
    rule = {"m": "min", "h": "h", "d": "D"}[timeframe[-1]]
    ref = frame.resample(timeframe[:-1] + rule).agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum", "trades": "sum"}
    )
    # Only closed buckets are served: the one still forming at the stream start is left out.
    open_ms = np.array([int(t.value // 1_000_000) for t in ref.index])
    ref = ref[open_ms + timeframe_ms(timeframe) <= market.start_ms]
    got = await market.fetch_candles("ETH/USDT", timeframe, market.history_start_ms)
    assert len(got) == len(ref)
    assert [c.open_time for c in got] == [int(t.value // 1_000_000) for t in ref.index]
    np.testing.assert_array_equal([c.open for c in got], ref["open"].to_numpy())
    np.testing.assert_array_equal([c.high for c in got], ref["high"].to_numpy())
    np.testing.assert_array_equal([c.low for c in got], ref["low"].to_numpy())
    np.testing.assert_array_equal([c.close for c in got], ref["close"].to_numpy())
    np.testing.assert_allclose([c.volume for c in got], ref["volume"].to_numpy(), rtol=1e-12)
    assert [c.trades for c in got] == ref["trades"].tolist()


def test_aggregate_keeps_partial_buckets_and_symbol_rows(market: SimulatedMarket) -> None:
    window = market.history.window(30, 30 + 150)  # starts mid-hour
    hourly = aggregate(window, 3_600_000)
    assert hourly.close.shape == (20, 3)
    np.testing.assert_array_equal(hourly.open[:, 0], window.open[:, 0])
    np.testing.assert_array_equal(hourly.close[:, -1], window.close[:, -1])
    np.testing.assert_allclose(hourly.volume.sum(axis=1), window.volume.sum(axis=1))


async def test_fetch_candles_window_and_errors(market: SimulatedMarket) -> None:
    since = market.start_ms - 60 * MINUTE_MS
    got = await market.fetch_candles("BTC/USDT", "1m", since, market.start_ms - 30 * MINUTE_MS)
    assert [c.open_time for c in got] == list(range(since, market.start_ms - 30 * MINUTE_MS, MINUTE_MS))
    assert all(c.closed for c in got)
    assert await market.fetch_candles("BTC/USDT", "1h", market.start_ms + DAY_MS) == []
    with pytest.raises(ValueError, match="DOGE/BTC"):
        await market.fetch_candles("DOGE/BTC", "1m", since)
    with pytest.raises(ValueError, match="7x"):
        await market.fetch_candles("BTC/USDT", "7x", since)


def test_universe_prefix_and_config_errors() -> None:
    assert len(UNIVERSE) == 20
    assert [s.symbol for s in select_universe(3)] == ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
    small = SimulatedMarket(DemoConfig(symbols=5, speed=0, history_days=1), START)
    assert small.symbols == ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT", "XRP/USDT"]
    assert small.history.close.shape[0] == 5
    with pytest.raises(ValueError, match=r"demo\.symbols"):
        select_universe(0)
    with pytest.raises(ValueError, match=r"demo\.speed"):
        SimulatedMarket(DemoConfig(speed=-1.0), START)
    with pytest.raises(ValueError, match=r"demo\.trades_per_second"):
        SimulatedMarket(DemoConfig(trades_per_second=0.0), START)
    with pytest.raises(ValueError, match=r"demo\.history_days"):
        SimulatedMarket(DemoConfig(history_days=0), START)


def test_bar_buffer_grows_and_reads_back_in_order(market: SimulatedMarket) -> None:
    buffer = BarBuffer(20, capacity=2)
    minutes = [market.history.window(k, k + 1) for k in range(7)]
    for bar in minutes:
        buffer.append(bar)
    view = buffer.view()
    expected = market.history.window(0, 7)
    assert len(buffer) == 7
    np.testing.assert_array_equal(view.open_time, expected.open_time)
    for field in ("open", "high", "low", "close", "volume", "quote_volume", "trades"):
        np.testing.assert_array_equal(getattr(view, field), getattr(expected, field))
