"""Binance market data over websockets: the `MarketStream` live mode runs on.

One combined-stream connection (`binance/streams.py`) carries every subscribed symbol's trades, best bid / ask,
diff depth and optionally klines and tickers. What it adds over a bare socket, and why:

* **Runtime (un)subscription** on the connection's control channel (`binance/control.py`), paced under
  Binance's 5 messages a second. `control` is that channel (requests, LIST_SUBSCRIPTIONS, send times).
* **Keepalive**: the websockets library answers Binance's pings and sends its own, so a dead TCP path is
  noticed within `ping_timeout`. A path that is alive but silent is the **stall watchdog**'s: no data for
  `[exchange.reliability] stall_after_s` (book tickers and depth are the heartbeat; replies and pongs are not
  data) drops the connection (`adapters/stall_watchdog.py`), counted in `health().stalls`.
* **Reconnects** on any drop, paced by `Backoff` (full jitter) and guarded by a `CircuitBreaker`; the new URL
  lists every current subscription. Binance cuts connections at 24 h, so the stream rotates at 23 h.
* **Gap marker**: a new connection after a drop first emits `Reconnected(source, symbols, gap_start_ms,
  gap_end_ms)` (the gap starts at the last data message); the feed backfills it over REST and restarts its books.
* **No duplicates**: trades are de-duplicated by id per symbol across reconnects (`adapters/trade_dedup.py`).
* **Order books live in the feed** (one per symbol): the stream delivers diffs and, when the feed's book asks
  (`request_resync`), a fresh REST snapshot (`binance/depth_snapshots.py` says why).
* **Bounded memory** (`adapters/event_queue.py`): newest-wins for live snapshots; trades and diffs are never
  dropped — the reader stops reading while the consumer is far behind. If the consumer dies, the stream stops.
* **Bad input never crashes**: malformed JSON, unknown event types and values no market sends
  (`adapters/market_values.py`) are counted in `health().errors`, logged once per kind and skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from cryptoterm.adapters.binance.control import ControlChannel, Pacer
from cryptoterm.adapters.binance.decode import BinanceDecoder, DecodeError, SubscriptionReply
from cryptoterm.adapters.binance.depth_snapshots import DepthSnapshots, FetchDepth
from cryptoterm.adapters.binance.streams import DEFAULT_WS_URLS, StreamPlan, TickerMode, combined_url
from cryptoterm.adapters.binance.symbols import SymbolMap
from cryptoterm.adapters.errors import RejectedError, redact
from cryptoterm.adapters.event_queue import DEFAULT_MAX_EVENTS
from cryptoterm.adapters.live_stream import LiveStream
from cryptoterm.adapters.recorder import Recorder
from cryptoterm.adapters.stall_watchdog import StallWatchdog
from cryptoterm.config.schema import ExchangeConfig
from cryptoterm.domain.market import DepthSnapshot, DepthUpdate, MarketEvent, Reconnected, TickerStats, Trade
from cryptoterm.domain.resilience import Backoff, CircuitBreaker
from cryptoterm.ports.clock import Clock
from cryptoterm.ports.market import BreakerState

__all__ = ["BinanceStream", "FetchDepth", "TickerMode"]

log = logging.getLogger(__name__)

_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
_NETWORK_ERRORS = (OSError, TimeoutError, ConnectionClosed, InvalidHandshake, InvalidURI, EOFError)


class BinanceStream(LiveStream):
    """A live Binance `MarketStream` (see the module docstring for what it guarantees).

    Construct it with the exchange config (`market`, `ws_url`, `trade_stream`, `reliability`) and the initial
    symbols; iterate `batches()` to start it. `klines` lists kline intervals to stream ("1m"); `tickers` adds
    per-symbol 24 h tickers ("symbol" = `@ticker`, "mini" = `@miniTicker`) or every market's mini ticker
    ("all_mini" = `!miniTicker@arr`); `mark_price` adds USDⓈ-M's `@markPrice@1s`. `fetch_depth` (an async REST
    snapshot call) is what `request_resync` uses.
    `recorder` receives every well-formed message for later replay.
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
        mark_price: bool = False,
        recorder: Recorder | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        max_messages_per_s: float = 4.0,
        max_connection_age_s: float = 23 * 3600.0,
        reply_timeout_s: float = 10.0,
        ping_interval_s: float = 20.0,
        max_message_bytes: int = 4 * 2**20,
        max_queued_events: int = DEFAULT_MAX_EVENTS,
    ) -> None:
        super().__init__(f"binance-{config.market}-ws", max_queued_events=max_queued_events)
        self.config = config
        self.base_url = (config.ws_url or DEFAULT_WS_URLS[config.market]).rstrip("/")
        plan = (config.market, config.trade_stream, book_ticker, depth, tuple(klines), tickers, mark_price)
        self._plan = StreamPlan(*plan)
        self._all_tickers = tickers == "all_mini"
        self._recorder = recorder
        self._clock = clock
        self._now_ms: Callable[[], int] = clock.now_ms if clock is not None else _wall_ms
        self._monotonic = monotonic
        rel = config.reliability
        self._backoff = Backoff(rel.backoff_initial_s, rel.backoff_max_s, rng)
        self._breaker = CircuitBreaker(rel.breaker_failures, rel.breaker_open_s, rel.breaker_successes)
        self._stall_after_s = rel.stall_after_s
        #: The control channel: SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS requests and their pacing.
        self.control = ControlChannel(self.name, Pacer(max_messages_per_s, monotonic), reply_timeout_s)
        self._max_age_s = max_connection_age_s
        # Keepalive on (the library also answers the exchange's pings); frames over max_size end the connection.
        self._connect_options = {
            "open_timeout": rel.request_timeout_s,
            "ping_interval": ping_interval_s,
            "ping_timeout": ping_interval_s,
            "max_size": max_message_bytes,
        }
        self._snapshots: DepthSnapshots | None = None
        if fetch_depth is not None and depth:
            on_snapshot, failed = self._emit_snapshot, self._snapshot_failed
            self._snapshots = DepthSnapshots(self.name, fetch_depth, on_snapshot, failed, rel.backoff_max_s, monotonic)

        self._symbol_map = SymbolMap()
        self._decoder = BinanceDecoder(self._symbol_map)
        self._symbols: dict[str, None] = {}  # ordered set of subscribed unified symbols
        self._ws: ClientConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self._stalled = False
        self._last_data_ms = 0
        self._connected_once = False
        for symbol in symbols:
            self._add_symbol(symbol)
        self._plan.check_count(self._symbols)

    # ------------------------------------------------------------------ MarketStream

    async def subscribe(self, symbols: Sequence[str]) -> None:
        """Start streaming `symbols` (already-subscribed ones are ignored). Raises `RejectedError` if the
        exchange refuses, `ValueError` for a malformed symbol or too many streams."""
        added = list(dict.fromkeys(s for s in symbols if s not in self._symbols))
        if not added:
            return
        try:
            for symbol in added:
                self._add_symbol(symbol)
            self._plan.check_count(self._symbols)
            await self._control("SUBSCRIBE", self._plan.for_symbols(added))
        except (ValueError, RejectedError):
            # Forget them, or every reconnect URL would carry streams the exchange refuses.
            for symbol in added:
                self._symbols.pop(symbol, None)
            raise

    async def unsubscribe(self, symbols: Sequence[str]) -> None:
        """Stop streaming `symbols`; events for them still in flight are dropped."""
        removed = [s for s in symbols if s in self._symbols]
        if not removed:
            return
        streams = [s for symbol in removed for s in self._plan.for_symbol(symbol)]
        for symbol in removed:
            del self._symbols[symbol]
            if self._snapshots is not None:
                self._snapshots.cancel(symbol)
        await self._control("UNSUBSCRIBE", streams)

    def request_resync(self, symbol: str) -> None:
        """The feed's book of `symbol` needs a snapshot: fetch one over REST and emit it (see `DepthResync`)."""
        if self._snapshots is not None and symbol in self._symbols and not self._closed:
            self._snapshots.request(symbol)

    def _breaker_state(self) -> BreakerState:
        return self._breaker.state

    def _detail(self) -> str:
        detail = f"{len(self.streams())} streams on {urlsplit(self.base_url).netloc}"
        if self._snapshots is not None:
            detail += f", {self._snapshots.fetched} depth snapshots fetched"
        return detail

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
        fetches = self._snapshots.tasks() if self._snapshots is not None else []
        await self._stop_tasks([self._task, *fetches])
        self.control.fail_pending(ConnectionError("stream closed"))
        if self._recorder is not None:
            self._recorder.flush()
        self._finish_close()

    # ------------------------------------------------------------------ streams and URLs

    @property
    def symbols(self) -> list[str]:
        return list(self._symbols)

    def _add_symbol(self, symbol: str) -> None:
        self._symbol_map.add(symbol)  # validates the form, raising ValueError naming the symbol
        self._symbols[symbol] = None

    def streams(self) -> list[str]:
        """Every stream name the connection should carry now."""
        return self._plan.for_symbols(self._symbols)

    def url(self) -> str:
        return combined_url(self.base_url, self.streams())

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
            self._finish_close()

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake early when closed."""
        self._changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout=seconds)

    async def _connection(self) -> bool:
        """One connection's life. Returns True when it ended by planned rotation, False on a drop or a stall."""
        streams = self.streams()
        url = combined_url(self.base_url, streams)
        parts = urlsplit(url)
        safe_url = redact(f"{parts.scheme}://{parts.netloc}{parts.path}")
        self._state = "reconnecting" if self._connected_once else "connecting"
        watchdog = StallWatchdog(self._stall_after_s, self._monotonic)
        guard: asyncio.Task[None] | None = None
        try:
            proxy = None if (parts.hostname or "") in _LOOPBACK_HOSTS else True
            async with connect(url, proxy=proxy, **self._connect_options) as ws:  # type: ignore[arg-type]
                self._ws = self.control.ws = ws
                self._state = "connected"
                connected_ms = self._now_ms()
                log.info("%s: connected to %s (%d streams)", self.name, safe_url, len(self.streams()))
                if self._connected_once:
                    self.reconnects += 1
                    gap_start = self._last_data_ms or connected_ms
                    self._queue.put([Reconnected(self.name, tuple(self._symbols), gap_start, connected_ms)])
                self._connected_once = True
                # (Un)subscriptions made while connecting may race the URL we connected with.
                current = self.streams()
                missing = [s for s in current if s not in streams]
                extra = [s for s in streams if s not in current]
                if missing:
                    self.control.spawn_change("SUBSCRIBE", missing)
                if extra:
                    self.control.spawn_change("UNSUBSCRIBE", extra)
                guard = asyncio.create_task(self._guard(ws, watchdog), name=f"{self.name}: stall watchdog")
                try:
                    async with asyncio.timeout(self._max_age_s) as age:
                        await self._read(ws, watchdog)
                except TimeoutError:
                    if age.expired():
                        log.info("%s: rotating the connection before the exchange's 24 h cut", self.name)
                        return True
                    raise
        except _NETWORK_ERRORS as exc:
            if self._closed:
                return False
            if not self._stalled:
                log.warning("%s: connection to %s lost: %s", self.name, safe_url, redact(str(exc)) or type(exc))
        finally:
            await self._stop_tasks([guard])
            self._stalled = False
            self._ws = self.control.ws = None
            self.control.fail_pending(ConnectionError("connection lost"))
            if not self._closed:
                self._state = "reconnecting"
        self._breaker.record_failure(self._monotonic())
        return False

    async def _guard(self, ws: ClientConnection, watchdog: StallWatchdog) -> None:
        """Drop the connection once it has been silent for `stall_after_s` (the reader then reconnects)."""
        silent_s = await watchdog.silence()
        self.stalls += 1
        self._stalled = True
        log.warning(
            "%s: no market data for %.1f s on an open connection (stalled; [exchange.reliability] stall_after_s "
            "= %g): reconnecting",
            self.name,
            silent_s,
            self._stall_after_s,
        )
        ws.transport.abort()

    async def _read(self, ws: ClientConnection, watchdog: StallWatchdog) -> None:
        """Read until the socket closes. The first message proves the link: breaker success, backoff reset."""
        decode = self._decoder.decode
        queue = self._queue
        got_any = False
        while True:
            if queue.full:
                watchdog.paused = True  # our consumer is behind: silence now is ours, not the exchange's
                await queue.wait_for_room()
                watchdog.paused = False
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
                self._bad_message(exc.kind, f"message {self.messages}: {exc}")
                continue
            if type(result) is SubscriptionReply:
                self.control.on_reply(result)
                continue
            assert isinstance(result, list)
            watchdog.count += 1
            self._last_data_ms = recv_ms
            if self._recorder is not None:
                self._recorder.write(raw, recv_ns)
            events = self._accept(result, recv_ms)
            if events:
                queue.put(events)

    def _accept(self, events: list[MarketEvent], recv_ms: int) -> list[MarketEvent]:
        """Drop duplicates and events of unsubscribed symbols; measure lag."""
        out: list[MarketEvent] = []
        symbols = self._symbols
        for ev in events:
            kind = type(ev)
            if kind is TickerStats and self._all_tickers:
                out.append(ev)  # every market's ticker was asked for
                continue
            if getattr(ev, "symbol", "") not in symbols:
                continue
            if kind is Trade:
                if not self._dedup.is_new(ev):  # type: ignore[arg-type]
                    continue
                self._lag_ms = float(recv_ms - ev.ts)  # type: ignore[union-attr]
            elif kind is DepthUpdate:
                self._lag_ms = float(recv_ms - ev.ts)  # type: ignore[union-attr]
            out.append(ev)
        return out

    # ------------------------------------------------------------------ order book snapshots

    def _emit_snapshot(self, snapshot: DepthSnapshot) -> None:
        if snapshot.symbol in self._symbols and not self._closed:
            log.info("%s: %s depth snapshot at update %d", self.name, snapshot.symbol, snapshot.last_update_id)
            self._queue.put([snapshot])

    def _snapshot_failed(self, text: str) -> None:
        self.errors += 1
        log.warning("%s: %s", self.name, text)

    # ------------------------------------------------------------------ control messages

    async def _control(self, method: str, params: list[str]) -> None:
        """Send SUBSCRIBE/UNSUBSCRIBE now if connected; otherwise the next connection's URL carries it."""
        self._start()
        self._changed.set()  # wake a loop idling with no streams
        await self.control.change(method, params)


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000
