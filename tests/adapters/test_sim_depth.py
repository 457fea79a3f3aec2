"""Simulated depth: one snapshot, then diffs whose update ids chain exactly as Binance's, consumed by the same
`OrderBook` the live feed uses, and always agreeing with the published best bid / ask."""

from __future__ import annotations

import pytest

from cryptoterm.adapters.sim import SimulatedMarket
from cryptoterm.config.schema import DemoConfig
from cryptoterm.domain.market import BookTop, DepthSnapshot, DepthUpdate, MarketEvent, Trade
from cryptoterm.domain.orderbook import OrderBook

START = 1_780_002_000_000
WATCHED = ("BTC/USDT", "DOGE/USDT")


@pytest.fixture
async def market() -> SimulatedMarket:
    m = SimulatedMarket(DemoConfig(seed=3, speed=0.0, history_days=1), START)
    await m.subscribe([*WATCHED, "NOPE/USDT"])  # unknown symbols are skipped with a warning
    return m


def _depth(batch: list[MarketEvent], symbol: str) -> list[DepthSnapshot | DepthUpdate]:
    return [e for e in batch if isinstance(e, DepthSnapshot | DepthUpdate) and e.symbol == symbol]


async def test_snapshot_once_then_chained_diffs(market: SimulatedMarket) -> None:
    batches = [market.next_batch() for _ in range(600)]
    for symbol in WATCHED:
        events = [e for batch in batches for e in _depth(batch, symbol)]
        assert isinstance(events[0], DepthSnapshot)
        assert not any(isinstance(e, DepthSnapshot) for e in events[1:])
        assert len(events) > 500  # a diff nearly every 100 ms, like Binance's @100ms stream
        last = events[0].last_update_id
        for update in events[1:]:
            assert isinstance(update, DepthUpdate)
            assert update.first_update_id == last + 1
            assert update.final_update_id >= update.first_update_id
            assert update.final_update_id - update.first_update_id + 1 == len(update.bids) + len(update.asks)
            last = update.final_update_id
    assert not any(e.symbol == "ETH/USDT" for b in batches for e in b if isinstance(e, DepthUpdate))


async def test_the_live_order_book_code_applies_every_diff(market: SimulatedMarket) -> None:
    books = {symbol: OrderBook(symbol) for symbol in WATCHED}
    checked = 0
    for _ in range(900):
        batch = market.next_batch()
        for event in batch:
            if isinstance(event, DepthSnapshot):
                assert books[event.symbol].on_snapshot(event) == "synced"
            elif isinstance(event, DepthUpdate):
                assert books[event.symbol].on_update(event)
            elif isinstance(event, BookTop) and event.symbol in books:
                book = books[event.symbol]
                assert book.best_bid() == (event.bid, event.bid_qty)
                assert book.best_ask() == (event.ask, event.ask_qty)
                assert event.bid < event.ask
                checked += 1
    assert checked >= 1800
    for symbol, book in books.items():
        assert book.gaps == 0 and not book.needs_snapshot
        assert 90 <= book.bid_levels <= 100 and 90 <= book.ask_levels <= 100
        served = await market.fetch_depth(symbol, limit=1000)
        mine = book.snapshot()
        assert served.last_update_id == book.last_update_id
        assert served.bids == mine.bids and served.asks == mine.asks
        assert len((await market.fetch_depth(symbol, limit=5)).bids) == 5


async def test_book_tracks_trades(market: SimulatedMarket) -> None:
    last_trade: dict[str, float] = {}
    for _ in range(300):
        for event in market.next_batch():
            if isinstance(event, Trade):
                last_trade[event.symbol] = event.price
            elif isinstance(event, BookTop) and event.symbol in last_trade:
                # The last taker hit one side of the book: that side is at the trade price.
                assert last_trade[event.symbol] in (event.bid, event.ask)


async def test_unsubscribe_stops_depth_and_resubscribe_snapshots_again(market: SimulatedMarket) -> None:
    before = [e for _ in range(20) for e in _depth(market.next_batch(), "BTC/USDT")]
    await market.unsubscribe(["BTC/USDT"])
    quiet = [e for _ in range(20) for e in _depth(market.next_batch(), "BTC/USDT")]
    assert quiet == []
    assert _depth(market.next_batch(), "DOGE/USDT")  # the other stays subscribed
    await market.subscribe(["BTC/USDT"])
    again = _depth(market.next_batch(), "BTC/USDT")
    assert len(again) == 1 and isinstance(again[0], DepthSnapshot)
    last = before[-1]
    assert isinstance(last, DepthUpdate)
    assert again[0].last_update_id > last.final_update_id  # ids never go back


async def test_one_off_depth_for_an_unsubscribed_symbol(market: SimulatedMarket) -> None:
    for _ in range(50):
        market.next_batch()
    snapshot = await market.fetch_depth("ETH/USDT", limit=20)
    tickers = {t.symbol: t for t in await market.fetch_tickers(["ETH/USDT"])}
    assert len(snapshot.bids) == len(snapshot.asks) == 20
    assert snapshot.bids[0][0] == tickers["ETH/USDT"].bid
    assert snapshot.asks[0][0] == tickers["ETH/USDT"].ask
    assert [p for p, _ in snapshot.bids] == sorted((p for p, _ in snapshot.bids), reverse=True)
    assert [p for p, _ in snapshot.asks] == sorted(p for p, _ in snapshot.asks)
    assert all(q > 0 for _, q in snapshot.bids + snapshot.asks)
    with pytest.raises(ValueError, match="unknown symbol"):
        await market.fetch_depth("NOPE/USDT")
