"""The live simulated stream: deterministic, paced by the injected clock, continuous with the history, and
consistent with what the history source serves for the same minutes."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import numpy as np
import pytest

from cryptoterm.adapters.sim import SimulatedMarket
from cryptoterm.adapters.sim.model import REGIMES
from cryptoterm.config.schema import DemoConfig
from cryptoterm.domain.bars import BarBuilder
from cryptoterm.domain.market import BookTop, DepthSnapshot, DepthUpdate, MarketEvent, Trade
from cryptoterm.domain.timeframes import MINUTE_MS
from cryptoterm.ports.clock import Clock
from cryptoterm.ports.market import HistorySource, MarketStream

START = 1_780_002_000_000  # on an hour boundary


def _market(seed: int = 7, **kwargs: float) -> SimulatedMarket:
    config = DemoConfig(seed=seed, speed=kwargs.pop("speed", 0.0), history_days=2, **kwargs)  # type: ignore[arg-type]
    return SimulatedMarket(config, START)


def _run(market: SimulatedMarket, batches: int) -> list[list[MarketEvent]]:
    return [market.next_batch() for _ in range(batches)]


def test_implements_both_ports() -> None:
    market = _market()
    stream: MarketStream = market
    source: HistorySource = market
    clock: Clock = market
    assert stream.name == source.name == "sim"
    assert clock.now_ms() == START


async def test_same_seed_same_events_other_seed_differs() -> None:
    first, second, other = _market(), _market(), _market(seed=8)
    for m in (first, second, other):
        await m.subscribe(["BTC/USDT", "SOL/USDT"])
    a, b, c = _run(first, 300), _run(second, 300), _run(other, 300)
    assert sum(map(len, a)) > 1000
    assert a == b
    assert a != c


async def test_batches_at_speed_zero_equal_next_batch_and_never_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    reference = _run(_market(), 50)
    delays: list[float] = []
    real_sleep = asyncio.sleep

    async def recording_sleep(delay: float) -> None:
        delays.append(delay)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", recording_sleep)
    market = SimulatedMarket(DemoConfig(seed=7, speed=0.0, history_days=2), START, clock=lambda: 0)
    got: list[list[MarketEvent]] = []
    async for batch in market.batches():
        got.append(list(batch))
        if market.now_ms() >= START + 50 * market.batch_ms:
            break
    assert got == [batch for batch in reference if batch]
    assert sum(map(len, got)) >= 500
    assert delays and all(d == 0 for d in delays)


async def test_speed_paces_against_the_injected_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    wall = [1_000_000]

    async def advancing_sleep(delay: float) -> None:
        wall[0] += round(delay * 1000)

    monkeypatch.setattr(asyncio, "sleep", advancing_sleep)
    market = SimulatedMarket(DemoConfig(seed=7, speed=10.0, history_days=2), START, clock=lambda: wall[0])
    async for _ in market.batches():
        if market.now_ms() >= START + 30_000:
            break
    # 30 s of simulated time at 10x took 3 s of (fake) wall time.
    assert market.now_ms() == START + 30_000
    assert wall[0] - 1_000_000 == 3_000


async def test_close_ends_the_stream_and_shows_in_health() -> None:
    market = _market()
    count = 0
    async for _ in market.batches():
        count += 1
        if count == 5:
            await market.close()
    assert count == 5
    (health,) = market.health()
    assert health.state == "closed"
    assert health.messages > 0
    assert "seed 7" in health.detail


async def test_events_are_ordered_and_trade_ids_consecutive() -> None:
    market = _market()
    await market.subscribe(["ETH/USDT"])
    last_id: dict[str, int] = {}
    for k, batch in enumerate(_run(market, 1200)):
        lo, hi = START + k * 100, START + (k + 1) * 100
        stamps = [e.ts for e in batch if isinstance(e, Trade | BookTop | DepthSnapshot | DepthUpdate)]
        assert len(stamps) == len(batch)
        assert stamps == sorted(stamps)
        assert all(lo <= ts < hi for ts in stamps)
        for event in batch:
            if isinstance(event, Trade):
                assert event.qty > 0 and event.side in ("buy", "sell")
                if event.symbol in last_id:
                    assert event.trade_id == last_id[event.symbol] + 1
                last_id[event.symbol] = event.trade_id
    assert set(last_id) == set(market.symbols)


def test_live_prices_continue_the_history() -> None:
    market = _market()
    assert market.regime == REGIMES[market.history_regimes[-1]].name  # the phase carries on too
    first: dict[str, float] = {}
    for batch in _run(market, 600):
        for event in batch:
            if isinstance(event, Trade):
                first.setdefault(event.symbol, event.price)
    for i, symbol in enumerate(market.symbols):
        last_close = market.history.close[i, -1]
        assert abs(first[symbol] / last_close - 1) < 0.005, symbol


async def test_bars_built_from_the_stream_equal_the_served_candles() -> None:
    market = _market()
    builder = BarBuilder(("1m", "5m"))
    closed: dict[tuple[str, str], list[tuple[int, float, float, float, float, float, int]]] = defaultdict(list)
    for batch in _run(market, 10 * 600 + 50):  # ten minutes, and trades of the eleventh close the tenth
        for bar in builder.on_trades([e for e in batch if isinstance(e, Trade)]):
            c = bar.candle
            closed[bar.symbol, bar.timeframe].append((c.open_time, c.open, c.high, c.low, c.close, c.volume, c.trades))
    for symbol in ("BTC/USDT", "DOGE/USDT", "ETC/USDT"):
        for timeframe, count in (("1m", 10), ("5m", 2)):
            served = await market.fetch_candles(symbol, timeframe, START)
            assert len(served) == count
            built = closed[symbol, timeframe][:count]
            assert [b[:5] for b in built] == [(c.open_time, c.open, c.high, c.low, c.close) for c in served]
            np.testing.assert_allclose([b[5] for b in built], [c.volume for c in served], rtol=1e-9)
            assert [b[6] for b in built] == [c.trades for c in served]
    # History and live bars join without a gap.
    around = await market.fetch_candles("BTC/USDT", "1m", START - 5 * MINUTE_MS)
    assert [c.open_time for c in around] == list(range(START - 5 * MINUTE_MS, START + 10 * MINUTE_MS, MINUTE_MS))


def test_live_bars_have_the_history_volatility_and_volume() -> None:
    # One batch per minute and a low trade rate keep four simulated hours cheap.
    config = DemoConfig(seed=7, speed=0.0, history_days=2, trades_per_second=5.0)
    market = SimulatedMarket(config, START, batch_ms=MINUTE_MS)
    for _ in range(240):
        market.next_batch()
    bars = market.bars_1m()
    live = bars.window(len(bars) - 240, len(bars))
    past = bars.window(len(bars) - 240 - 1440, len(bars) - 240)
    vol_ratio = np.diff(np.log(live.close)).std(axis=1) / np.diff(np.log(past.close)).std(axis=1)
    volume_ratio = live.volume.mean(axis=1) / past.volume.mean(axis=1)
    assert 0.5 < np.median(vol_ratio) < 2.0, vol_ratio
    assert 0.4 < np.median(volume_ratio) < 2.5, volume_ratio
    assert np.all(live.low <= np.minimum(live.open, live.close))
    assert np.all(live.high >= np.maximum(live.open, live.close))


async def test_tickers_markets_and_book_tops() -> None:
    market = _market()
    last_trade: dict[str, float] = {}
    tops: dict[str, BookTop] = {}
    for batch in _run(market, 900):
        for event in batch:
            if isinstance(event, Trade):
                last_trade[event.symbol] = event.price
            elif isinstance(event, BookTop):
                tops[event.symbol] = event
    tickers = {t.symbol: t for t in await market.fetch_tickers()}
    assert set(tickers) == set(market.symbols)
    for symbol, ticker in tickers.items():
        assert ticker.last == last_trade[symbol]
        assert ticker.low_24h <= ticker.last <= ticker.high_24h
        assert ticker.volume_24h > 0 and ticker.quote_volume_24h > ticker.volume_24h * ticker.low_24h * 0.99
        assert ticker.bid < ticker.ask
        assert (ticker.bid, ticker.ask) == (tops[symbol].bid, tops[symbol].ask)
        assert ticker.bid <= ticker.last <= ticker.ask
        assert np.isfinite(ticker.change_pct) and abs(ticker.change_pct) < 50
    only = await market.fetch_tickers(["SOL/USDT"])
    assert [t.symbol for t in only] == ["SOL/USDT"]
    markets = await market.markets()
    assert [m.symbol for m in markets] == market.symbols
    assert markets[0].exchange_id == "BTCUSDT" and markets[0].quote == "USDT"
