"""The market feed: bars out of trades, a bounded publish rate however fast the market, reconnect handling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from cryptoterm.domain.market import (
    BarClosed,
    BookTop,
    Candle,
    DepthSnapshot,
    DepthUpdate,
    MarketEvent,
    Reconnected,
    Trade,
)
from cryptoterm.ports.market import StreamHealth
from cryptoterm.services.market_feed import MarketFeed
from cryptoterm.services.market_snapshot import MarketSnapshot

T0 = 1_700_000_000_000 - 1_700_000_000_000 % 3_600_000  # an hour boundary


class FakeStream:
    """Yields prepared batches, then ends."""

    name = "fake"

    def __init__(self, batches: list[list[MarketEvent]]) -> None:
        self._batches = batches
        self.control: list[tuple[str, tuple[str, ...]]] = []

    async def batches(self) -> AsyncIterator[Sequence[MarketEvent]]:
        for batch in self._batches:
            yield batch
            await asyncio.sleep(0)

    async def subscribe(self, symbols: Sequence[str]) -> None:
        self.control.append(("subscribe", tuple(symbols)))

    async def unsubscribe(self, symbols: Sequence[str]) -> None:
        self.control.append(("unsubscribe", tuple(symbols)))

    def health(self) -> list[StreamHealth]:
        return [StreamHealth(name="fake", state="connected")]

    async def close(self) -> None:
        return None


class RecordingSink:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, Candle]] = []

    def submit_candles(self, exchange: str, symbol: str, timeframe: str, candles: Sequence[Candle]) -> None:
        self.rows.extend((exchange, symbol, timeframe, c) for c in candles)


class StepClock:
    """A monotonic clock that advances a fixed step each time it is read (a market faster than the screen)."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def _trades(symbol: str, start: int, count: int, every_ms: int, price: float = 100.0) -> list[Trade]:
    return [Trade(symbol, start + i * every_ms, price + i * 0.01, 1.0, "buy", i + 1) for i in range(count)]


def _feed(batches: list[list[MarketEvent]], **kwargs: object) -> tuple[MarketFeed, list[MarketSnapshot]]:
    published: list[MarketSnapshot] = []
    feed = MarketFeed(
        FakeStream(batches),
        exchange="test",
        mode="demo",
        symbols=["BTC/USDT", "ETH/USDT"],
        clock=lambda: T0,
        publish=published.append,
        **kwargs,  # type: ignore[arg-type]
    )
    return feed, published


async def test_publish_rate_is_bounded_however_many_batches_arrive() -> None:
    # 10,000 batches, each read 1 ms apart on the monotonic clock = 10 s of market at 1,000 batches/s.
    batches: list[list[MarketEvent]] = [[t] for t in _trades("BTC/USDT", T0, 10_000, 10)]
    clock = StepClock(0.0005)  # read twice per batch → 1 ms per batch
    feed, published = _feed(batches, max_fps=10.0, monotonic=clock)
    await feed.run()
    seconds = clock.now
    assert 9.0 < seconds < 11.0
    # At most max_fps per second, plus the final forced publish.
    assert len(published) <= 10 * seconds + 2
    assert len(published) >= 5 * seconds
    assert published[-1].stats.trades_total == 10_000


async def test_closed_bars_reach_the_sink_listeners_and_history() -> None:
    trades = _trades("BTC/USDT", T0, 180, 1_000)  # three minutes, one trade a second
    sink = RecordingSink()
    closed: list[BarClosed] = []
    feed, _ = _feed([trades[:90], trades[90:]], sink=sink)
    feed.on_bar_closed(closed.append)
    await feed.run()
    one_minute = [c for (_, s, tf, c) in sink.rows if tf == "1m" and s == "BTC/USDT"]
    assert [c.open_time for c in one_minute] == [T0, T0 + 60_000]
    assert all(c.trades == 60 for c in one_minute)
    assert [e.candle.open_time for e in closed if e.timeframe == "1m"] == [T0, T0 + 60_000]
    chart = feed.candles("BTC/USDT", "1m", 10)
    assert [c.closed for c in chart] == [True, True, False]
    assert chart[-1].open_time == T0 + 120_000


async def test_snapshot_carries_tickers_in_watchlist_order_with_book_tops() -> None:
    events: list[MarketEvent] = [
        *_trades("ETH/USDT", T0, 3, 100, 2000.0),
        BookTop("ETH/USDT", T0, 1999.9, 1, 2000.1, 2),
    ]
    feed, published = _feed([events])
    await feed.run()
    snapshot = published[-1]
    assert [t.symbol for t in snapshot.tickers] == ["BTC/USDT", "ETH/USDT"]
    eth = snapshot.tickers[1]
    assert eth.last == 2000.02 and eth.bid == 1999.9 and eth.ask == 2000.1


async def test_reconnect_resyncs_books_and_notifies_listeners() -> None:
    snap = DepthSnapshot("BTC/USDT", T0, 100, ((99.0, 1.0),), ((101.0, 1.0),))
    diff = DepthUpdate("BTC/USDT", T0 + 1, 101, 101, ((99.5, 2.0),), ())
    gap = Reconnected("fake", ("BTC/USDT",), T0 + 5, T0 + 9_000)
    seen: list[Reconnected] = []
    feed, _ = _feed([[snap, diff]])
    feed.on_reconnected(seen.append)
    await feed.run()
    book = feed.books.get("BTC/USDT")
    assert book is not None and book.best_bid() == (99.5, 2.0)
    feed.apply([gap])
    assert seen == [gap]
    assert feed.books.get("BTC/USDT") is None  # out of sync until a fresh snapshot arrives


async def test_replay_discovers_symbols_from_trades() -> None:
    feed, _ = _feed([_trades("SOL/USDT", T0, 2, 10)])
    feed.discover_symbols = True
    await feed.run()
    assert feed.symbols == ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
    assert feed.last_event_ms == T0 + 10


async def test_a_failing_listener_does_not_stop_the_feed() -> None:
    def broken(_: BarClosed) -> None:
        raise RuntimeError("listener bug")

    feed, published = _feed([_trades("BTC/USDT", T0, 130, 1_000)])
    feed.on_bar_closed(broken)
    await feed.run()
    assert published[-1].stats.bars_closed >= 2


async def test_heartbeat_never_closes_bars_before_market_time_exists() -> None:
    """A replay's clock reads 0 until its first event: closing bars by it must not make every trade late."""
    market_time = [0]
    feed = MarketFeed(FakeStream([]), exchange="t", mode="replay", symbols=[], clock=lambda: market_time[0])
    feed.close_due_bars()
    feed.apply(_trades("BTC/USDT", T0, 3, 1_000))
    assert feed.stats().late_trades == 0
    market_time[0] = T0 + 61_000
    feed.close_due_bars()
    assert [c.closed for c in feed.candles("BTC/USDT", "1m", 5)] == [True]


async def test_live_grace_keeps_a_bar_open_for_slightly_late_trades() -> None:
    now = [T0 + 60_500]
    feed = MarketFeed(FakeStream([]), exchange="t", mode="live", symbols=[], clock=lambda: now[0], close_grace_ms=2_000)
    feed.apply(_trades("BTC/USDT", T0, 2, 1_000))
    feed.close_due_bars()  # 0.5 s after the minute: still inside the grace
    feed.apply([Trade("BTC/USDT", T0 + 59_900, 101.0, 1.0, "sell", 99)])  # delayed trade of that minute
    now[0] = T0 + 62_500
    feed.close_due_bars()
    (bar,) = feed.candles("BTC/USDT", "1m", 5)
    assert bar.closed and bar.trades == 3 and bar.close == 101.0
    assert feed.stats().late_trades == 0


async def test_watchlist_changes_subscribe_and_unsubscribe_the_stream() -> None:
    stream = FakeStream([])
    feed = MarketFeed(stream, exchange="t", mode="live", symbols=["BTC/USDT"], clock=lambda: T0)
    assert await feed.watch("ETH/USDT") is True
    assert await feed.watch("ETH/USDT") is False  # already watched: no second subscription
    assert await feed.unwatch("BTC/USDT") is True
    assert await feed.unwatch("BTC/USDT") is False
    assert feed.symbols == ["ETH/USDT"]
    assert stream.control == [("subscribe", ("ETH/USDT",)), ("unsubscribe", ("BTC/USDT",))]
    assert [t.symbol for t in feed.snapshot().tickers] == ["ETH/USDT"]
