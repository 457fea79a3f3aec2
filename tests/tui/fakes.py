"""A deterministic market for the TUI tests: fixed seed, frozen clock, the `FeedView` / `RuntimeView` shape.

Prices follow a seeded random walk per symbol; 1m bars are generated and the larger timeframes aggregated
from them, so every timeframe is consistent. Nothing here reads a wall clock, so snapshots render the same
on every run.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence

from cryptoterm.config.schema import AppConfig
from cryptoterm.domain.market import Candle, TickerStats
from cryptoterm.domain.timeframes import bucket_start, timeframe_ms
from cryptoterm.ports.market import StreamHealth
from cryptoterm.services.market_snapshot import FeedStats, MarketSnapshot
from cryptoterm.tui.context import BooksView, Publish, ScanningView
from cryptoterm.wiring.options import RunOptions

START_MS = 1_723_161_600_000  # 2024-08-09 00:00:00 UTC
BASE_PRICES = {
    "BTC/USDT": 61_000.0,
    "ETH/USDT": 2_650.0,
    "BNB/USDT": 520.0,
    "SOL/USDT": 155.0,
    "XRP/USDT": 0.57,
    "ADA/USDT": 0.34,
    "DOGE/USDT": 0.105,
    "AVAX/USDT": 24.0,
    "LINK/USDT": 10.6,
    "DOT/USDT": 4.7,
}


def _aggregate(bars: Sequence[Candle], timeframe: str) -> list[Candle]:
    length = timeframe_ms(timeframe)
    out: list[Candle] = []
    for bar in bars:
        start = bucket_start(bar.open_time, length)
        if out and out[-1].open_time == start:
            prev = out[-1]
            out[-1] = prev._replace(
                high=max(prev.high, bar.high),
                low=min(prev.low, bar.low),
                close=bar.close,
                volume=prev.volume + bar.volume,
                quote_volume=prev.quote_volume + bar.quote_volume,
                trades=prev.trades + bar.trades,
                closed=bar.closed,
            )
        else:
            out.append(bar._replace(open_time=start))
    return out


class FakeFeed:
    """Seeded candles for each symbol; `tick()` moves every price one step and publishes a snapshot."""

    #: No order books (the screen fakes' `BookFeed` has some).
    books: BooksView | None = None

    def __init__(
        self, symbols: Sequence[str], *, seed: int = 7, minutes: int = 24 * 60, publish: Publish | None = None
    ) -> None:
        self.symbols = list(symbols)
        self._rng = random.Random(seed)
        self._publish = publish
        self.now_ms = START_MS + minutes * 60_000
        self.messages = 0
        self.late_trades = 0
        self.candle_requests: list[tuple[str, str, int]] = []
        self._bars: dict[str, list[Candle]] = {}
        self._book: dict[str, tuple[float, float]] = {}
        self._stop = asyncio.Event()
        for symbol in self.symbols:
            self._bars[symbol] = self._walk(BASE_PRICES.get(symbol, 10.0), minutes)

    def _walk(self, price: float, minutes: int) -> list[Candle]:
        bars: list[Candle] = []
        t = START_MS
        for i in range(minutes):
            o = price
            c = o * (1 + self._rng.gauss(0, 0.0015))
            h = max(o, c) * (1 + abs(self._rng.gauss(0, 0.0007)))
            lo = min(o, c) * (1 - abs(self._rng.gauss(0, 0.0007)))
            v = abs(self._rng.gauss(20, 8)) * 1000 / o
            bars.append(Candle(t, o, h, lo, c, v, v * c, 50, closed=i < minutes - 1))
            price = c
            t += 60_000
        return bars

    # ------------------------------------------------------------------ FeedView
    async def run(self) -> None:
        await self._stop.wait()

    def stop(self) -> None:
        self._stop.set()

    def candles(self, symbol: str, timeframe: str, limit: int) -> list[Candle]:
        self.candle_requests.append((symbol, timeframe, limit))
        bars = self._bars.get(symbol, [])
        series = bars if timeframe == "1m" else _aggregate(bars, timeframe)
        return series[-limit:] if limit > 0 else []

    def ticker(self, symbol: str) -> TickerStats:
        bars = self._bars[symbol]
        day = bars[-1440:]
        last = day[-1].close
        spread = last * 0.0002
        return TickerStats(
            symbol=symbol,
            ts=self.now_ms,
            last=last,
            open_24h=day[0].open,
            high_24h=max(b.high for b in day),
            low_24h=min(b.low for b in day),
            volume_24h=sum(b.volume for b in day),
            quote_volume_24h=sum(b.quote_volume for b in day),
            bid=last - spread / 2,
            ask=last + spread / 2,
        )

    def snapshot(self) -> MarketSnapshot:
        health = (StreamHealth("sim", "connected", messages=self.messages, last_message_ms=self.now_ms - 250),)
        stats = FeedStats(
            mode="demo",
            exchange="sim",
            messages_total=self.messages,
            messages_per_s=812.5,
            trades_total=self.messages,
            last_message_ms=self.now_ms - 250,
            late_trades=self.late_trades,
            health=health,
        )
        tickers = tuple(self.ticker(s) for s in self.symbols)
        forming = {s: {"1m": self._bars[s][-1]} for s in self.symbols}
        return MarketSnapshot(ts=self.now_ms, tickers=tickers, stats=stats, forming=forming)

    # ------------------------------------------------------------------ test controls
    def set_last(self, symbol: str, price: float) -> None:
        """Trade `symbol` at `price` in the forming bar (the clock does not move)."""
        bars = self._bars[symbol]
        bar = bars[-1]
        bars[-1] = bar._replace(close=price, high=max(bar.high, price), low=min(bar.low, price))
        self.messages += 1

    def tick(self) -> MarketSnapshot:
        """Move every symbol one step and publish the new snapshot."""
        for symbol in self.symbols:
            last = self._bars[symbol][-1].close
            self.set_last(symbol, last * (1 + self._rng.gauss(0, 0.001)))
        snapshot = self.snapshot()
        if self._publish is not None:
            self._publish(snapshot)
        return snapshot


class FakeRuntime:
    """The `RuntimeView` shape around a `FakeFeed`: no scanner and no store (the screen fakes add both)."""

    scanning: ScanningView | None = None
    store: object = None
    alerts: object = None
    anomalies: object = None
    broker: object = None
    journal: object = None
    views: object = None

    def __init__(self, feed: FakeFeed, *, mode: str = "demo", exchange: str = "sim") -> None:
        self.feed = feed
        self.mode = mode
        self.exchange = exchange
        self.started = 0
        self.closed = 0

    async def start(self) -> None:
        self.started += 1

    async def close(self) -> None:
        self.closed += 1
        self.feed.stop()

    async def add_symbol(self, symbol: str) -> None:
        """Only symbols the fake market was seeded with can be (re-)added."""
        if symbol not in self.feed._bars:
            raise ValueError(f"{symbol}: not listed on {self.exchange}")
        if symbol not in self.feed.symbols:
            self.feed.symbols.append(symbol)

    async def remove_symbol(self, symbol: str) -> None:
        if symbol in self.feed.symbols:
            self.feed.symbols.remove(symbol)


def fake_builder(**feed_kwargs: object):  # type: ignore[no-untyped-def]
    """An `EngineBuilder` that makes a `FakeRuntime` over the config's watchlist."""

    def build(config: AppConfig, options: RunOptions, publish: Publish) -> FakeRuntime:
        feed = FakeFeed(config.watchlist.symbols, publish=publish, **feed_kwargs)  # type: ignore[arg-type]
        return FakeRuntime(feed, mode=options.mode)

    return build
