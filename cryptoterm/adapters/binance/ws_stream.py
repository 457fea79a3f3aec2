"""Binance market data over websockets: the `MarketStream` live mode runs on.

One combined-stream connection (`/stream?streams=a/b/c`) carries every subscribed symbol's trades
(`@trade` or `@aggTrade`), best bid/ask (`@bookTicker`), diff depth (`@depth@100ms`) and optionally klines and
tickers. What it adds over a bare socket, and why:

* **Runtime (un)subscription** with the `SUBSCRIBE`/`UNSUBSCRIBE` methods, each reply matched by `id`. Binance
  drops a connection that sends more than 5 messages a second (pings and pongs included), so control
  messages go through a pacer spaced at `max_messages_per_s` (default 4, leaving room for pongs).
* **Keepalive**: the websockets library answers Binance's pings with pongs and sends its own pings (both
  left enabled) so a dead TCP path is noticed within `ping_timeout`.
* **Reconnects** on any drop, paced by `Backoff` (full jitter) and guarded by a `CircuitBreaker`; the new
  connection's URL already lists every current subscription. Binance cuts connections at 24 h, so the stream
  rotates proactively at `max_connection_age_s` (23 h).
* **Gap marker**: after a reconnect a `Reconnected(source, symbols, gap_start_ms, gap_end_ms)` event is
  emitted first on the new connection; the feed backfills that window over REST. Order books are reset
  and re-snapshotted after every reconnect.
* **No duplicates**: trades are de-duplicated by trade id per symbol across reconnects.
* **Order books**: given `fetch_depth` (an async REST snapshot call), the stream keeps one `OrderBook` per
  symbol in sync using Binance's documented procedure, fetches a snapshot whenever a book needs one (start,
  gap, reconnect) and emits each applied snapshot as a `DepthSnapshot` event ahead of the diffs that follow.
* **Bad input never crashes**: malformed or truncated JSON and unknown event types are counted in
  `health().errors`, logged (URLs redacted) and skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Literal
from urllib.parse import urlsplit

import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from cryptoterm.adapters.binance.decode import BinanceDecoder, DecodeError, SubscriptionReply
from cryptoterm.adapters.binance.symbols import SymbolMap, to_stream
from cryptoterm.adapters.errors import RejectedError, redact
from cryptoterm.adapters.recorder import Recorder
from cryptoterm.config.schema import ExchangeConfig
from cryptoterm.domain.market import DepthSnapshot, DepthUpdate, MarketEvent, Reconnected, TickerStats, Trade
from cryptoterm.domain.orderbook import OrderBook
from cryptoterm.domain.resilience import Backoff, CircuitBreaker
from cryptoterm.ports.clock import Clock
from cryptoterm.ports.market import ConnectionState, StreamHealth

log = logging.getLogger(__name__)

FetchDepth = Callable[[str], Awaitable[DepthSnapshot]]
TickerMode = Literal["none", "symbol", "mini", "all_mini"]

DEFAULT_WS_URLS = {"spot": "wss://stream.binance.com:9443", "usdm": "wss://fstream.binance.com"}
#: Streams Binance allows on one connection.
MAX_STREAMS = {"spot": 1024, "usdm": 200}
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
_NETWORK_ERRORS = (OSError, TimeoutError, ConnectionClosed, InvalidHandshake, InvalidURI, EOFError)


class _Pacer:
    """Spaces outgoing control messages so no one-second window holds more than `rate` of them."""

    def __init__(self, rate: float, monotonic: Callable[[], float]) -> None:
        if rate <= 0:
            raise ValueError(f"max_messages_per_s must be positive, got {rate!r}")
        self._interval = 1.0 / rate
        self._monotonic = monotonic
        self._next = 0.0
        self._lock = asyncio.Lock()
        self.sent = 0

    async def wait(self) -> None:
        async with self._lock:
            now = self._monotonic()
            if self._next > now:
                await asyncio.sleep(self._next - now)
                now = self._next
            self._next = now + self._interval
            self.sent += 1


class _Rotate(Exception):
    """The connection reached its maximum age and is replaced (not a failure)."""


class BinanceStream:
    """A live Binance `MarketStream` (see the module docstring for what it guarantees).

    Construct it with the exchange config (`market`, `ws_url`, `trade_stream`, `reliability`) and the initial
    symbols; iterate `batches()` to start it. `klines` lists kline intervals to stream ("1m"); `tickers` adds
    per-symbol 24 h tickers ("symbol" = `@ticker`, "mini" = `@miniTicker`) or every market's mini ticker
    ("all_mini" = `!miniTicker@arr`). `recorder` receives every well-formed message for later replay.
    """

    def __init__(
        self,
        config: ExchangeConfig,
        symbols: Sequence[str] = (),
        *,
        fetch_depth: FetchDepth | None = None,
        depth: bool = True,
        book_ticker: bool = True,
        klines: Sequence[str] = (),
        tickers: TickerMode = "none",
        recorder: Recorder | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        max_messages_per_s: float = 4.0,
        max_connection_age_s: float = 23 * 3600.0,
        reply_timeout_s: float = 10.0,
        ping_interval_s: float = 20.0,
        max_message_bytes: int = 4 * 2**20,
    ) -> None:
        self.config = config
        self.name = f"binance-{config.market}-ws"
        self.base_url = (config.ws_url or DEFAULT_WS_URLS[config.market]).rstrip("/")
        self._futures = config.market == "usdm"
        self._fetch_depth = fetch_depth
        self._depth = depth
        self._book_ticker = book_ticker
        self._klines = tuple(klines)
        self._tickers: TickerMode = tickers
        self._recorder = recorder
        self._clock = clock
        self._now_ms: Callable[[], int] = clock.now_ms if clock is not None else _wall_ms
        self._monotonic = monotonic
        rel = config.reliability
        self._backoff = Backoff(rel.backoff_initial_s, rel.backoff_max_s, rng)
        self._breaker = CircuitBreaker(rel.breaker_failures, rel.breaker_open_s, rel.breaker_successes)
        self._open_timeout_s = rel.request_timeout_s
        self._pacer = _Pacer(max_messages_per_s, monotonic)
        self._max_age_s = max_connection_age_s
        self._reply_timeout_s = reply_timeout_s
        self._ping_interval_s = ping_interval_s
        self._max_message_bytes = max_message_bytes

        self._symbol_map = SymbolMap()
        self._decoder = BinanceDecoder(self._symbol_map)
        self._symbols: dict[str, None] = {}  # ordered set of subscribed unified symbols
        self.books: dict[str, OrderBook] = {}
        self._fetching: dict[str, asyncio.Task[None]] = {}
        self._last_trade_id: dict[str, int] = {}

        self._queue: asyncio.Queue[list[MarketEvent] | None] = asyncio.Queue()
        self._ws: ClientConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self._closed = False
        self._next_id = 0
        self._pending: dict[int, asyncio.Future[SubscriptionReply]] = {}

        self._state: ConnectionState = "disconnected"
        self.messages = 0
        self.errors = 0
        self.reconnects = 0
        self.duplicates = 0
        self._last_message_ms = 0
        self._lag_ms = float("nan")
        self._connected_once = False
        for symbol in symbols:
            self._add_symbol(symbol)
        self._check_stream_count()

    # ------------------------------------------------------------------ MarketStream

    async def batches(self) -> AsyncIterator[list[MarketEvent]]:
        """Events in arrival order, everything queued since the last batch in one list."""
        self._start()
        queue = self._queue
        while True:
            first = await queue.get()
            if first is None:
                return
            batch = first
            while not queue.empty():
                more = queue.get_nowait()
                if more is None:
                    yield batch
                    return
                batch.extend(more)
            yield batch

    async def subscribe(self, symbols: Sequence[str]) -> None:
        """Start streaming `symbols` (already-subscribed ones are ignored). Raises `RejectedError` if the
        exchange refuses, `ValueError` for a malformed symbol or too many streams."""
        added = list(dict.fromkeys(s for s in symbols if s not in self._symbols))
        if not added:
            return
        try:
            for symbol in added:
                self._add_symbol(symbol)
            self._check_stream_count()
            await self._control("SUBSCRIBE", [s for symbol in added for s in self._streams_for(symbol)])
        except (ValueError, RejectedError):
            # Forget them, or every reconnect URL would carry streams the exchange refuses.
            for symbol in added:
                self._symbols.pop(symbol, None)
                self.books.pop(symbol, None)
            raise

    async def unsubscribe(self, symbols: Sequence[str]) -> None:
        """Stop streaming `symbols`; events for them still in flight are dropped."""
        removed = [s for s in symbols if s in self._symbols]
        if not removed:
            return
        streams = [s for symbol in removed for s in self._streams_for(symbol)]
        for symbol in removed:
            del self._symbols[symbol]
            self.books.pop(symbol, None)
            task = self._fetching.pop(symbol, None)
            if task is not None:
                task.cancel()
        await self._control("UNSUBSCRIBE", streams)

    def health(self) -> list[StreamHealth]:
        synced = sum(1 for b in self.books.values() if not b.needs_snapshot)
        detail = f"{len(self.streams())} streams on {urlsplit(self.base_url).netloc}"
        if self.books:
            detail += f", books in sync {synced}/{len(self.books)}"
        if self.duplicates:
            detail += f", {self.duplicates} duplicate trades dropped"
        return [
            StreamHealth(
                name=self.name,
                state=self._state,
                messages=self.messages,
                reconnects=self.reconnects,
                errors=self.errors,
                last_message_ms=self._last_message_ms,
                last_event_lag_ms=self._lag_ms,
                breaker=self._breaker.state,
                detail=detail,
            )
        ]

    async def close(self) -> None:
        """Stop for good: close the socket, cancel snapshot fetches, end `batches()`."""
        if self._closed:
            return
        self._closed = True
        self._changed.set()
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()
        tasks = [t for t in (self._task, *self._fetching.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._fail_pending(ConnectionError("stream closed"))
        self._state = "closed"
        if self._recorder is not None:
            self._recorder.flush()
        self._queue.put_nowait(None)

    # ------------------------------------------------------------------ streams and URLs

    @property
    def symbols(self) -> list[str]:
        return list(self._symbols)

    def _add_symbol(self, symbol: str) -> None:
        self._symbol_map.add(symbol)  # validates the form, raising ValueError naming the symbol
        self._symbols[symbol] = None
        if self._depth and self._fetch_depth is not None:
            self.books[symbol] = OrderBook(symbol, futures=self._futures)

    def _streams_for(self, symbol: str) -> list[str]:
        s = to_stream(symbol)
        streams = [f"{s}@{self.config.trade_stream}"]
        if self._book_ticker:
            streams.append(f"{s}@bookTicker")
        if self._depth:
            streams.append(f"{s}@depth@100ms")
        streams.extend(f"{s}@kline_{interval}" for interval in self._klines)
        if self._tickers == "symbol":
            streams.append(f"{s}@ticker")
        elif self._tickers == "mini":
            streams.append(f"{s}@miniTicker")
        return streams

    def streams(self) -> list[str]:
        """Every stream name the connection should carry now."""
        streams = [s for symbol in self._symbols for s in self._streams_for(symbol)]
        if self._tickers == "all_mini":
            streams.append("!miniTicker@arr")
        return streams

    def _check_stream_count(self) -> None:
        limit = MAX_STREAMS[self.config.market]
        if len(self.streams()) > limit:
            raise ValueError(f"{len(self.streams())} streams exceed Binance's {limit} per connection")

    def url(self) -> str:
        return f"{self.base_url}/stream?streams={'/'.join(self.streams())}"

    # ------------------------------------------------------------------ connection loop

    def _start(self) -> None:
        if self._task is None and not self._closed:
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def _run(self) -> None:
        try:
            while not self._closed:
                if not self.streams():
                    self._state = "disconnected"
                    self._changed.clear()
                    await self._changed.wait()
                    continue
                now = self._monotonic()
                if not self._breaker.allow(now):
                    self._state = "reconnecting"
                    await self._sleep(max(self._breaker.remaining_open_s(now), 0.05))
                    continue
                rotated = await self._connection()
                if self._closed:
                    break
                if not rotated:
                    delay = self._backoff.next_delay()
                    log.info("%s: reconnecting in %.2fs", self.name, delay)
                    await self._sleep(delay)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug, not a network problem: report it and end the stream visibly
            log.exception("%s: stream stopped by an unexpected error", self.name)
            self.errors += 1
            self._state = "closed"
            self._queue.put_nowait(None)

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake early when closed."""
        self._changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout=seconds)

    async def _connection(self) -> bool:
        """One connection's life. Returns True when it ended by planned rotation, False on a drop."""
        streams = self.streams()
        url = f"{self.base_url}/stream?streams={'/'.join(streams)}"
        safe_url = redact(f"{urlsplit(url).scheme}://{urlsplit(url).netloc}{urlsplit(url).path}")
        self._state = "reconnecting" if self._connected_once else "connecting"
        host = urlsplit(url).hostname or ""
        try:
            async with connect(
                url,
                open_timeout=self._open_timeout_s,
                ping_interval=self._ping_interval_s,  # keepalive on: the library also answers pings
                ping_timeout=self._ping_interval_s,
                max_size=self._max_message_bytes,
                proxy=None if host in _LOOPBACK_HOSTS else True,
            ) as ws:
                self._ws = ws
                self._state = "connected"
                connected_ms = self._now_ms()
                log.info("%s: connected to %s (%d streams)", self.name, safe_url, len(self.streams()))
                if self._connected_once:
                    self.reconnects += 1
                    # Binance's procedure after any reconnect: every book starts over from a fresh snapshot
                    # (and the feed, seeing the marker, drops its copies until that snapshot arrives).
                    for book in self.books.values():
                        book.reset()
                    gap_start = self._last_message_ms or connected_ms
                    self._emit([Reconnected(self.name, tuple(self._symbols), gap_start, connected_ms)])
                self._connected_once = True
                # (Un)subscriptions made while connecting may race the URL we connected with.
                current = self.streams()
                missing = [s for s in current if s not in streams]
                extra = [s for s in streams if s not in current]
                if missing:
                    self._spawn_control("SUBSCRIBE", missing)
                if extra:
                    self._spawn_control("UNSUBSCRIBE", extra)
                try:
                    async with asyncio.timeout(self._max_age_s) as age:
                        await self._read(ws)
                except TimeoutError:
                    if age.expired():
                        log.info("%s: rotating the connection before the exchange's 24 h cut", self.name)
                        return True
                    raise
        except _NETWORK_ERRORS as exc:
            if self._closed:
                return False
            log.warning("%s: connection to %s lost: %s", self.name, safe_url, redact(str(exc)) or type(exc))
        finally:
            self._ws = None
            self._fail_pending(ConnectionError("connection lost"))
            if not self._closed:
                self._state = "reconnecting"
        self._breaker.record_failure(self._monotonic())
        return False

    async def _read(self, ws: ClientConnection) -> None:
        """Read until the socket closes. The first message proves the link: breaker success, backoff reset."""
        decode = self._decoder.decode
        got_any = False
        while True:
            raw = await ws.recv(decode=False)
            recv_ns = time.time_ns()
            recv_ms = recv_ns // 1_000_000 if self._clock is None else self._clock.now_ms()
            self.messages += 1
            self._last_message_ms = recv_ms
            if not got_any:
                got_any = True
                self._breaker.record_success(self._monotonic())
                self._backoff.reset()
            try:
                result = decode(raw, recv_ms)
            except DecodeError as exc:
                self.errors += 1
                log.warning("%s: skipped message %d: %s", self.name, self.messages, exc)
                continue
            if type(result) is SubscriptionReply:
                self._on_reply(result)
                continue
            assert isinstance(result, list)
            if self._recorder is not None:
                self._recorder.write(raw, recv_ns)
            events = self._accept(result, recv_ms)
            if events:
                self._emit(events)

    def _accept(self, events: list[MarketEvent], recv_ms: int) -> list[MarketEvent]:
        """Drop duplicates and events of unsubscribed symbols; feed order books; measure lag."""
        out: list[MarketEvent] = []
        for ev in events:
            kind = type(ev)
            if kind is Trade:
                assert isinstance(ev, Trade)
                if ev.symbol not in self._symbols:
                    continue
                last = self._last_trade_id.get(ev.symbol, -1)
                if ev.trade_id <= last:
                    self.duplicates += 1
                    continue
                self._last_trade_id[ev.symbol] = ev.trade_id
                self._lag_ms = float(recv_ms - ev.ts)
            elif kind is DepthUpdate:
                assert isinstance(ev, DepthUpdate)
                if ev.symbol not in self._symbols:
                    continue
                self._lag_ms = float(recv_ms - ev.ts)
                book = self.books.get(ev.symbol)
                if book is not None:
                    book.on_update(ev)
                    if book.needs_snapshot and ev.symbol not in self._fetching:
                        self._fetching[ev.symbol] = asyncio.create_task(self._resync(book))
            elif kind is TickerStats and self._tickers == "all_mini":
                pass  # every market's ticker was asked for
            elif getattr(ev, "symbol", "") not in self._symbols:
                continue
            out.append(ev)
        return out

    def _emit(self, events: list[MarketEvent]) -> None:
        self._queue.put_nowait(events)

    # ------------------------------------------------------------------ order book snapshots

    async def _resync(self, book: OrderBook) -> None:
        """Fetch snapshots until the book joins the diff stream (Binance: retry while the snapshot is older
        than the buffered diffs). Fetch failures back off and retry while the symbol stays subscribed."""
        assert self._fetch_depth is not None
        backoff = Backoff(0.05, max(0.05, self.config.reliability.backoff_max_s))
        try:
            while not self._closed and self.books.get(book.symbol) is book and book.needs_snapshot:
                try:
                    snapshot = await self._fetch_depth(book.symbol)
                except Exception as exc:
                    self.errors += 1
                    log.warning("%s: depth snapshot for %s failed: %s", self.name, book.symbol, redact(str(exc)))
                    await self._sleep(backoff.next_delay())
                    continue
                if book.on_snapshot(snapshot) == "synced":
                    log.info("%s: %s book in sync at update %d", self.name, book.symbol, book.last_update_id)
                    self._emit([snapshot])
                    return
                await asyncio.sleep(backoff.next_delay())
        finally:
            if self._fetching.get(book.symbol) is asyncio.current_task():
                del self._fetching[book.symbol]

    # ------------------------------------------------------------------ control messages

    async def _control(self, method: str, params: list[str]) -> None:
        """Send SUBSCRIBE/UNSUBSCRIBE now if connected; otherwise the next connection's URL carries it."""
        self._start()
        self._changed.set()  # wake a loop idling with no streams
        if self._ws is None or not params:
            return
        try:
            reply = await self.request(method, params)
        except (ConnectionError, ConnectionClosed):
            return  # the reconnect URL lists the current streams
        if reply.error is not None:
            raise RejectedError(f"{method} {len(params)} streams refused: {reply.error}")

    def _spawn_control(self, method: str, params: list[str]) -> None:
        task = asyncio.create_task(self._control(method, params))
        task.add_done_callback(_log_task_error)

    async def request(self, method: str, params: list[str] | None = None) -> SubscriptionReply:
        """Send one control request (paced) and wait for the reply with the same id."""
        ws = self._ws
        if ws is None:
            raise ConnectionError("not connected")
        self._next_id += 1
        request_id = self._next_id
        future: asyncio.Future[SubscriptionReply] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            await self._pacer.wait()
            body: dict[str, object] = {"method": method, "id": request_id}
            if params is not None:
                body["params"] = params
            await ws.send(msgspec.json.encode(body).decode())
            return await asyncio.wait_for(future, self._reply_timeout_s)
        finally:
            self._pending.pop(request_id, None)

    async def list_subscriptions(self) -> list[str]:
        """The streams the server says this connection carries (LIST_SUBSCRIPTIONS)."""
        reply = await self.request("LIST_SUBSCRIPTIONS")
        return [str(s) for s in reply.result or []]

    def _on_reply(self, reply: SubscriptionReply) -> None:
        future = self._pending.get(reply.id)
        if future is None:
            log.warning("%s: reply to unknown request id %d", self.name, reply.id)
            return
        if not future.done():
            future.set_result(reply)

    def _fail_pending(self, exc: Exception) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(exc)
        self._pending.clear()

    @property
    def control_messages_sent(self) -> int:
        return self._pacer.sent


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


def _log_task_error(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("binance control request failed: %s", task.exception())
