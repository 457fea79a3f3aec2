"""The market feed: one stream in, bars / tickers / books / store writes / UI snapshots out.

It runs on the event loop and does only cheap work per event (the bar builder touches one forming bar per
trade). The UI is decoupled by time, not by event: `publish` is called at most `max_fps` times per second with
an immutable snapshot, however fast the market is, so tick rate can never freeze the screen.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from cryptoterm.domain.bars import BarBuilder
from cryptoterm.domain.market import (
    BarClosed,
    BookTop,
    Candle,
    DepthSnapshot,
    DepthUpdate,
    Kline,
    MarketEvent,
    MarkPrice,
    Reconnected,
    Rewound,
    TickerStats,
    Trade,
)
from cryptoterm.domain.ticker_stats import TickerBook
from cryptoterm.domain.timeframes import TIMEFRAMES
from cryptoterm.ports.market import DepthResync, HistorySource, MarketStream
from cryptoterm.services.candle_ring import CandleRing
from cryptoterm.services.market_snapshot import FeedStats, MarketSnapshot
from cryptoterm.services.order_books import OrderBooks

log = logging.getLogger(__name__)

Publish = Callable[[MarketSnapshot], None]
BarListener = Callable[[BarClosed], None]
TradeListener = Callable[[Sequence[Trade]], None]
ReconnectListener = Callable[[Reconnected], None]
RewindListener = Callable[[Rewound], None]


class CandleSink(Protocol):
    """Where closed bars (and, with `[store].record_trades`, trades) go to be stored (the batching store writer);
    must never block."""

    def submit_candles(self, exchange: str, symbol: str, timeframe: str, candles: Sequence[Candle]) -> None: ...

    def submit_trades(self, exchange: str, trades: Sequence[Trade]) -> None: ...


class MarketFeed:
    """Consumes a `MarketStream` and maintains everything the screens and scanner read."""

    def __init__(
        self,
        stream: MarketStream,
        *,
        exchange: str,
        mode: str,
        symbols: Sequence[str],
        clock: Callable[[], int],
        publish: Publish | None = None,
        max_fps: float = 10.0,
        sink: CandleSink | None = None,
        sink_queue: Callable[[], int] | None = None,
        history_limit: int = 2000,
        monotonic: Callable[[], float] = time.monotonic,
        close_grace_ms: int = 0,
        record_trades: bool = False,
    ) -> None:
        self.stream = stream
        self.exchange = exchange
        self.mode = mode
        self.symbols: list[str] = list(symbols)
        self._clock = clock
        self._publish = publish
        self._min_publish_interval = 1.0 / max_fps if max_fps > 0 else 0.0
        self._sink = sink
        #: Every trade goes to the sink too (`[store].record_trades`); the writer batches them.
        self._record_trades = record_trades and sink is not None
        self._sink_queue = sink_queue
        self._monotonic = monotonic
        self._close_grace_ms = close_grace_ms
        self._history_limit = history_limit
        self._bars = BarBuilder(TIMEFRAMES)
        self._tickers = TickerBook(self._bars)
        self.books = OrderBooks(request_snapshot=self._request_snapshot)
        #: When True (replays), symbols are added to `symbols` as their first trade arrives.
        self.discover_symbols = False
        self.last_event_ms = 0
        self._reconnect_listeners: list[ReconnectListener] = []
        self._rewind_listeners: list[RewindListener] = []
        #: The newest mark price and funding of each perpetual (USDⓈ-M streams `@markPrice@1s`).
        self.mark_prices: dict[str, MarkPrice] = {}
        self._history: dict[tuple[str, str], CandleRing] = {}
        self._listeners: list[BarListener] = []
        self._trade_listeners: list[TradeListener] = []
        self._messages = 0
        self._trades = 0
        self._bars_closed = 0
        self._last_message_ms = 0
        self._rate_window: deque[tuple[float, int]] = deque(maxlen=64)
        self._last_publish = 0.0
        self._stopped = asyncio.Event()

    def _request_snapshot(self, symbol: str) -> None:
        """The feed's book of `symbol` needs a snapshot: ask a stream that fetches them (others send their own)."""
        if isinstance(self.stream, DepthResync):
            self.stream.request_resync(symbol)

    def attach(self, stream: MarketStream) -> None:
        """Set the stream once the runtime has built it (construction of the feed stays cheap)."""
        self.stream = stream

    async def watch(self, symbol: str) -> bool:
        """Add `symbol` to the watchlist and subscribe the stream to it; False when it is already watched."""
        if symbol in self.symbols:
            return False
        await self.stream.subscribe([symbol])
        self.symbols.append(symbol)
        return True

    async def unwatch(self, symbol: str) -> bool:
        """Remove `symbol` from the watchlist and unsubscribe the stream; False when it was not watched."""
        if symbol not in self.symbols:
            return False
        self.symbols.remove(symbol)
        await self.stream.unsubscribe([symbol])
        return True

    def on_reconnected(self, listener: ReconnectListener) -> None:
        """Register a callback for stream gap markers (the runtime backfills the gap over REST)."""
        self._reconnect_listeners.append(listener)

    def on_rewound(self, listener: RewindListener) -> None:
        """Register a callback for a replay going back in time (after the feed has forgotten its state)."""
        self._rewind_listeners.append(listener)

    # ----------------------------------------------------------------- history
    async def load_history(
        self,
        source: HistorySource,
        since_ms: int,
        timeframes: Iterable[str] = TIMEFRAMES,
        until_ms: int | None = None,
    ) -> None:
        """Fill the in-memory series from a history source so charts and tickers have depth at once."""
        for symbol in self.symbols:
            for timeframe in timeframes:
                candles = await source.fetch_candles(symbol, timeframe, since_ms, until_ms)
                self.add_history(symbol, timeframe, candles)

    def add_history(self, symbol: str, timeframe: str, candles: Sequence[Candle]) -> None:
        """Merge closed candles (e.g. from a backfill) into the in-memory series, keeping it ordered."""
        if not candles:
            return
        series = self._series(symbol, timeframe)
        if series and candles[0].open_time <= series.last_open_time():
            merged = {c.open_time: c for c in series}
            merged.update((c.open_time, c) for c in candles if c.closed)
            series.clear()
            series.extend(merged[k] for k in sorted(merged)[-self._history_limit :])
        else:
            series.extend(c for c in candles if c.closed)
        if timeframe == "1m":
            self._tickers.seed(symbol, [c for c in candles if c.closed])

    def seed_forming(self, symbol: str, timeframe: str, closed: Sequence[Candle], forming: Candle | None) -> None:
        """Start the bar builder where history ends, so the first live bar of every timeframe is complete."""
        candles = [*closed[-2:], forming] if forming is not None else list(closed[-2:])
        self._bars.seed(symbol, timeframe, [c for c in candles if c is not None])

    def _series(self, symbol: str, timeframe: str) -> CandleRing:
        key = (symbol, timeframe)
        series = self._history.get(key)
        if series is None:
            series = self._history[key] = CandleRing(self._history_limit)
        return series

    # ----------------------------------------------------------------- reads (UI thread, cheap)
    def candles(self, symbol: str, timeframe: str, limit: int) -> list[Candle]:
        """The newest `limit` bars: closed history plus the forming bar last (if any)."""
        series = self._history.get((symbol, timeframe))
        forming = self._bars.forming(symbol, timeframe)
        out = series.newest(limit) if series is not None and limit > 0 else []
        if forming is not None and (not out or forming.open_time > out[-1].open_time):
            out.append(forming)
            out = out[-limit:]
        return out

    def on_trades(self, listener: TradeListener) -> None:
        """Register a callback for every batch of trades, in arrival order (alerts checked trade by trade); it
        runs on the event loop inside `apply`, so it must be cheap."""
        self._trade_listeners.append(listener)

    def on_bar_closed(self, listener: BarListener) -> None:
        """Register a callback for every closed bar (setup tracker, alerts); called on the event loop."""
        self._listeners.append(listener)

    def snapshot(self) -> MarketSnapshot:
        """An immutable view of the market now, for the UI."""
        now = self._clock()
        tickers = self._tickers.snapshots(now, self.symbols)
        forming = {symbol: self._bars.forming_all(symbol) for symbol in self.symbols}
        return MarketSnapshot(ts=now, tickers=tickers, stats=self.stats(), forming=forming)

    def ticker_stats(self) -> tuple[TickerStats, ...]:
        """The watched symbols' tickers now (what a snapshot carries, without the rest of it)."""
        return self._tickers.snapshots(self._clock(), self.symbols)

    def stats(self) -> FeedStats:
        return FeedStats(
            mode=self.mode,
            exchange=self.exchange,
            messages_total=self._messages,
            messages_per_s=self._rate(),
            trades_total=self._trades,
            last_message_ms=self._last_message_ms,
            bars_closed=self._bars_closed,
            late_trades=self._bars.late_trades,
            store_queue=self._sink_queue() if self._sink_queue is not None else 0,
            health=tuple(self.stream.health()),
        )

    def _rate(self) -> float:
        if len(self._rate_window) < 2:
            return 0.0
        (t0, n0), (t1, n1) = self._rate_window[0], self._rate_window[-1]
        return (n1 - n0) / (t1 - t0) if t1 > t0 else 0.0

    # ----------------------------------------------------------------- the loop
    async def run(self) -> None:
        """Consume the stream until it ends or `stop()` is called; publishes snapshots at a bounded rate."""
        heartbeat = asyncio.create_task(self._heartbeat(), name="feed-heartbeat")
        try:
            async for batch in self.stream.batches():
                self.apply(batch)
                self._maybe_publish()
                if self._stopped.is_set():
                    break
        finally:
            heartbeat.cancel()
        self._maybe_publish(force=True)

    def stop(self) -> None:
        self._stopped.set()

    async def _heartbeat(self) -> None:
        """Close bars on time in a quiet market and keep ages / rates on screen fresh (1 Hz)."""
        while True:
            await asyncio.sleep(1.0)
            self.close_due_bars()
            self._maybe_publish(force=True)

    def close_due_bars(self) -> None:
        """Close bars whose period ended by the market clock, less a grace for exchange clock skew.

        A clock reading of 0 means "no market time yet" (a replay before its first event): advancing the
        builder to the wall clock then would make every replayed trade late, so nothing is closed.
        """
        now = self._clock()
        if now > 0:
            self._emit_closed(self._bars.advance(now - self._close_grace_ms))

    def apply(self, batch: Sequence[MarketEvent]) -> None:
        """Apply one batch of events. Per-event work is a type dispatch plus one small update."""
        trades: list[Trade] = []
        for event in batch:
            kind = type(event)
            if kind is Trade:
                trades.append(event)  # type: ignore[arg-type]
            elif kind is BookTop or kind is TickerStats:
                self._tickers.on_event(event)
            elif kind is DepthUpdate or kind is DepthSnapshot:
                self.books.apply(event)  # type: ignore[arg-type]
            elif kind is Reconnected:
                self._reconnected(event)  # type: ignore[arg-type]
            elif kind is MarkPrice:
                self.mark_prices[event.symbol] = event  # type: ignore[union-attr,assignment]
            elif kind is Rewound:
                self._rewound(event)  # type: ignore[arg-type]
            elif kind is Kline:
                continue  # bars are built from trades; exchange klines are only used by backfill
        if trades:
            self._trades += len(trades)
            last = trades[-1].ts
            self._last_message_ms = last
            if last > self.last_event_ms:
                self.last_event_ms = last
            if self.discover_symbols:
                self._discover(trades)
            if self._record_trades:
                self._sink.submit_trades(self.exchange, trades)  # type: ignore[union-attr]
            self._emit_closed(self._bars.on_trades(trades))
            for trade_listener in self._trade_listeners:
                try:
                    trade_listener(trades)
                except Exception:
                    log.exception("trade listener failed")
        self._messages += len(batch)
        self._rate_window.append((self._monotonic(), self._messages))

    def _discover(self, trades: list[Trade]) -> None:
        known = set(self.symbols)
        for trade in trades:
            if trade.symbol not in known:
                known.add(trade.symbol)
                self.symbols.append(trade.symbol)

    def _reconnected(self, event: Reconnected) -> None:
        self.books.resync_all()
        for listener in self._reconnect_listeners:
            try:
                listener(event)
            except Exception:
                log.exception("reconnect listener failed")

    def _rewound(self, event: Rewound) -> None:
        """A replay starts over: bars, tickers, books and the market clock begin again from nothing."""
        self._bars = BarBuilder(TIMEFRAMES)
        self._tickers = TickerBook(self._bars)
        self._history.clear()
        self.books.resync_all()
        self.mark_prices.clear()
        self.last_event_ms = 0
        for listener in self._rewind_listeners:
            try:
                listener(event)
            except Exception:
                log.exception("rewind listener failed")

    def _emit_closed(self, closed: list[BarClosed]) -> None:
        if not closed:
            return
        self._tickers.on_bars(closed)
        for event in closed:
            self._bars_closed += 1
            self._series(event.symbol, event.timeframe).append(event.candle)
            if self._sink is not None:
                self._sink.submit_candles(self.exchange, event.symbol, event.timeframe, (event.candle,))
            for listener in self._listeners:
                try:
                    listener(event)
                except Exception:
                    log.exception("bar listener failed for %s %s", event.symbol, event.timeframe)

    def _maybe_publish(self, force: bool = False) -> None:
        if self._publish is None:
            return
        now = self._monotonic()
        if not force and now - self._last_publish < self._min_publish_interval:
            return
        self._last_publish = now
        self._publish(self.snapshot())
