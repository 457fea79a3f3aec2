"""The market views' services: tape and book-history rings stay bounded, the universe asks for every ticker in one
request, the futures figures take the newest of stream and REST, and a replay going back clears what it built.
Real data: a real spot recording through the feed fills the tape trade for trade and the book history."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import pytest

from cryptoterm.adapters.replay import ReplayStream
from cryptoterm.config.schema import AppConfig
from cryptoterm.domain.market import DepthSnapshot, MarkPrice, Rewound, SymbolInfo, TickerStats, Trade
from cryptoterm.domain.orderbook import OrderBook
from cryptoterm.ports.futures import OpenInterest
from cryptoterm.services.book_history import BookHistory
from cryptoterm.services.futures_stats import FuturesStats
from cryptoterm.services.market_feed import MarketFeed
from cryptoterm.services.market_universe import MarketUniverse
from cryptoterm.services.market_views import MarketViews
from cryptoterm.services.trade_tape import TradeTape

T0 = 1_723_161_600_000
SPOT = "ws/hftbacktest_binance-spot_btcusdt_2024-08-08.jsonl.gz"


def _trade(i: int, symbol: str = "BTC/USDT") -> Trade:
    return Trade(symbol, T0 + i, 100.0 + i % 3, 0.1, "buy" if i % 2 else "sell", i)


def test_the_tape_keeps_a_fixed_ring_per_symbol() -> None:
    tape = TradeTape(capacity=100)
    tape.on_trades([_trade(i) for i in range(1000)] + [_trade(5, "ETH/USDT")])
    kept = tape.recent("BTC/USDT")
    assert len(kept) == 100 and kept[0].trade_id == 900 and kept[-1].trade_id == 999
    assert [t.trade_id for t in tape.recent("BTC/USDT", 3)] == [997, 998, 999]
    assert tape.recent("SOL/USDT") == [] and tape.last("ETH/USDT") == _trade(5, "ETH/USDT")
    assert tape.trades_seen == 1001
    tape.clear()
    assert tape.symbols() == [] and tape.clears == 1
    with pytest.raises(ValueError, match="capacity"):
        TradeTape(0)


def test_the_tape_gives_back_every_trade_as_it_came_across_the_ring_seam() -> None:
    """Kept as flat arrays, read back as `Trade`s: equal field for field, newest last, wherever the ring wrapped."""
    trades = [Trade("BTC/USDT", T0 + i, 60_000.5 + i * 0.25, 0.001 * (i + 1), "buy" if i % 3 else "sell", 10**12 + i)
              for i in range(23)]  # fmt: skip
    tape = TradeTape(capacity=7)
    for k in range(0, 23, 5):  # batches of several sizes, the ring wrapping inside some of them
        tape.on_trades(trades[k : k + 5])
    assert tape.recent("BTC/USDT") == trades[-7:]
    assert tape.recent("BTC/USDT", 2) == trades[-2:] and tape.recent("BTC/USDT", 50) == trades[-7:]
    assert tape.last("BTC/USDT") == trades[-1]


class _Books:
    def __init__(self, books: dict[str, OrderBook]) -> None:
        self.books = books

    def get(self, symbol: str) -> OrderBook | None:
        return self.books.get(symbol)


def _book(symbol: str, bid_qty: float) -> OrderBook:
    book = OrderBook(symbol)
    book.on_snapshot(DepthSnapshot(symbol, 0, 1, ((99.0, bid_qty),), ((101.0, 1.0),)))
    return book


def test_book_history_samples_synced_books_into_bounded_rings() -> None:
    history = BookHistory(capacity=5)
    books = _Books({"BTC/USDT": _book("BTC/USDT", 3.0)})
    for second in range(8):
        assert history.sample(books, ["BTC/USDT", "ETH/USDT"], T0 + second * 1000) == 1
    assert history.sample(books, ["BTC/USDT"], T0 + 7000) == 0  # the clock did not move: nothing new
    series = history.series("BTC/USDT")
    assert [s.ts for s in series] == [T0 + s * 1000 for s in range(3, 8)]
    assert series[-1].spread_bps == pytest.approx(2.0 / 100.0 * 10_000)
    assert series[-1].imbalance == pytest.approx(0.75)
    assert history.series("ETH/USDT") == []


class _History:
    """A `HistorySource` that counts what it is asked."""

    name = "fake"

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.calls: list[str] = []
        self.price = 100.0

    async def markets(self) -> list[SymbolInfo]:
        self.calls.append("markets")
        if self.fail:
            raise ConnectionError("no route to host")
        return [SymbolInfo(f"C{i}/USDT", f"C{i}", "USDT", f"C{i}USDT") for i in range(300)]

    async def fetch_tickers(self, symbols: Sequence[str] | None = None) -> list[TickerStats]:
        self.calls.append("tickers" if symbols is None else f"tickers {len(symbols)}")
        if self.fail:
            raise ConnectionError("no route to host")
        self.price *= 1.01
        return [TickerStats(f"C{i}/USDT", 0, self.price + i, 100, 1, 1, 1, 1e6 + i) for i in range(300)]


async def test_the_universe_reads_every_ticker_in_one_request_per_refresh() -> None:
    history = _History()
    clock = [T0]
    universe = MarketUniverse(history, lambda: [], lambda: (), lambda: clock[0])  # type: ignore[arg-type]
    assert await universe.load_markets()
    for minute in range(3):
        clock[0] = T0 + minute * 60_000
        assert await universe.refresh()
    assert history.calls == ["markets", "tickers", "tickers", "tickers"]  # never one request per symbol
    assert len(universe.markets()) == 300 and universe.listed and universe.version == 4
    board = universe.board("1h", limit=5)
    assert len(board.gainers) == 5 and board.span_ms == 120_000 and board.samples == 3


async def test_a_failing_exchange_is_one_line_and_the_last_answer_stays(caplog: pytest.LogCaptureFixture) -> None:
    history = _History()
    universe = MarketUniverse(history, lambda: [], lambda: (), lambda: T0)  # type: ignore[arg-type]
    await universe.load_markets()
    await universe.refresh()
    history.fail = True
    caplog.set_level("WARNING")
    assert not await universe.refresh()
    assert not await universe.refresh()
    assert universe.error == "tickers: no route to host"
    assert len([r for r in caplog.records if "reading the tickers failed" in r.getMessage()]) == 1
    assert len(universe.tickers()) == 300  # what was read before is still shown


async def test_a_replay_universe_is_the_feeds_symbols_and_tickers() -> None:
    ticker = TickerStats("BTC/USDT", 0, 61_000.0, 60_000.0, 1, 1, 1, 1e9)
    universe = MarketUniverse(None, lambda: ["BTC/USDT"], lambda: (ticker,), lambda: T0)
    assert await universe.load_markets() and universe.listed
    await universe.refresh()
    assert universe.markets() == [SymbolInfo("BTC/USDT", "BTC", "USDT", "BTCUSDT")]
    assert universe.board("24h").gainers[0].change_pct == pytest.approx(61_000 / 60_000 * 100 - 100)


class _Futures:
    def __init__(self) -> None:
        self.asked: list[str] = []

    async def premium_index(self, symbols: Sequence[str] | None = None) -> list[MarkPrice]:
        self.asked.append("premiumIndex")
        return [MarkPrice("BTC/USDT", T0, 61_000.0, 60_990.0, 0.0001, T0 + 3_600_000)]

    async def open_interest(self, symbol: str) -> OpenInterest:
        self.asked.append(f"openInterest {symbol}")
        return OpenInterest(symbol, T0, 80_000.0)


async def test_futures_figures_take_the_newest_of_stream_and_rest() -> None:
    source = _Futures()
    streamed: dict[str, MarkPrice] = {}
    stats = FuturesStats(source, lambda: streamed, lambda: ["BTC/USDT", "ETH/USDT"])
    assert stats.quote("BTC/USDT") is None
    assert await stats.refresh_funding()
    assert await stats.refresh_open_interest() == 2
    quote = stats.quote("BTC/USDT")
    assert quote is not None and quote.mark == 61_000.0 and quote.funding_rate == 0.0001
    assert quote.open_interest == 80_000.0 and quote.open_interest_notional == 80_000.0 * 61_000.0
    streamed["BTC/USDT"] = MarkPrice("BTC/USDT", T0 + 1000, 61_050.0, 61_040.0, 0.0002, T0 + 3_600_000)
    assert stats.quote("BTC/USDT").mark == 61_050.0  # type: ignore[union-attr]
    assert source.asked == ["premiumIndex", "openInterest BTC/USDT", "openInterest ETH/USDT"]
    eth = stats.quotes()["ETH/USDT"]
    assert math.isnan(eth.mark) and eth.open_interest == 80_000.0


def test_a_replay_going_back_clears_the_feed_and_the_views() -> None:
    feed = MarketFeed(_NoStream(), exchange="replay", mode="replay", symbols=["BTC/USDT"], clock=lambda: T0)
    views = MarketViews(feed, AppConfig(), lambda: feed.last_event_ms)
    views.open(None)
    feed.apply([_trade(i) for i in range(50)] + [MarkPrice("BTC/USDT", T0, 1.0, 1.0, 0.0, 0)])
    assert len(views.tape.recent("BTC/USDT")) == 50 and feed.candles("BTC/USDT", "1m", 5)
    assert feed.last_event_ms == T0 + 49 and "BTC/USDT" in feed.mark_prices
    rewound: list[Rewound] = []
    feed.on_rewound(rewound.append)
    feed.apply([Rewound("replay:x", T0)])
    assert rewound == [Rewound("replay:x", T0)]
    assert views.tape.recent("BTC/USDT") == [] and feed.candles("BTC/USDT", "1m", 5) == []
    assert feed.last_event_ms == 0 and feed.mark_prices == {}
    feed.apply([_trade(1)])  # the trades from the start again are not late
    assert feed.stats().late_trades == 0 and len(views.tape.recent("BTC/USDT")) == 1


class _NoStream:
    name = "none"

    async def batches(self):  # type: ignore[no-untyped-def]
        return
        yield []

    async def subscribe(self, symbols: object) -> None:
        return None

    async def unsubscribe(self, symbols: object) -> None:
        return None

    def health(self) -> list[object]:
        return []

    async def close(self) -> None:
        return None


async def test_a_real_recording_fills_the_tape_and_the_book_history(shared_data: Path) -> None:
    stream = ReplayStream(shared_data / SPOT, speed=0)
    feed = MarketFeed(stream, exchange="replay", mode="replay", symbols=[], clock=lambda: feed.last_event_ms)
    feed.discover_symbols = True
    views = MarketViews(feed, AppConfig(), lambda: feed.last_event_ms)
    views.open(None)
    sampled = 0
    async for batch in stream.batches():
        feed.apply(batch)
        sampled += views.sample_books()
    trades = views.tape.recent("BTC/USDT")
    assert views.tape.trades_seen == 9757 and len(trades) == AppConfig().tape.capacity
    assert trades[-1].trade_id == 3735693015  # the recording's last trade
    series = views.book_history.series("BTC/USDT")
    assert sampled == len(series) >= 10  # one a batch (4,096 events at speed 0) once the book is in sync
    assert all(s.spread_bps > 0 and 0 <= s.imbalance <= 1 for s in series)
    assert [s.ts for s in series] == sorted({s.ts for s in series})
