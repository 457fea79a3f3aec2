"""Live market data from any exchange ccxt.pro supports: trades, tickers and order books.

Binance has its own hand-written websocket adapter (faster, and it keeps the diff-depth sequencing rules);
this one covers every other exchange through ccxt.pro's unified `watch_*` calls. ccxt.pro keeps the socket,
subscriptions and the order-book sequencing; this adapter turns its dicts into the project's market events,
runs one watcher task per (symbol, channel), and decides what a failure means:

* retryable errors (network, timeouts, exchange unavailable, rate limits) → wait with full-jitter backoff
  and watch again; a shared circuit breaker stops all watchers from hammering an exchange that keeps failing;
* rejected errors (unknown symbol, channel not supported) → that watcher stops and says why in `health()`.

ccxt.pro is imported on first use (it pulls in all of ccxt).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Literal

from cryptoterm.adapters.ccxt_client import ccxt_symbol, make_client, ticker_from_ccxt
from cryptoterm.adapters.errors import RateLimitedError, RetryableError, redact, translate_ccxt_error
from cryptoterm.config.schema import ExchangeConfig
from cryptoterm.domain.market import DepthSnapshot, MarketEvent, Side, Trade
from cryptoterm.domain.resilience import Backoff, CircuitBreaker
from cryptoterm.ports.market import ConnectionState, StreamHealth

log = logging.getLogger(__name__)

Channel = Literal["trades", "ticker", "book"]
CHANNELS: tuple[Channel, ...] = ("trades", "ticker", "book")


def _wall_ms() -> int:
    return int(time.time() * 1000)


def trades_from_ccxt(symbol: str, raw: Sequence[dict[str, Any]], after_id: int = -1) -> tuple[list[Trade], int]:
    """Project trades from ccxt trade dicts, dropping ids at or below `after_id` (a re-sent trade).

    Returns the trades and the new highest id. Exchanges with non-numeric ids get id 0 and are never
    de-duplicated (their ids carry no order).
    """
    trades: list[Trade] = []
    last = after_id
    for t in raw:
        raw_id = t.get("id")
        trade_id = int(raw_id) if isinstance(raw_id, str | int) and str(raw_id).isdigit() else 0
        if trade_id:
            if trade_id <= last:
                continue
            last = trade_id
        side: Side = "sell" if t.get("side") == "sell" else "buy"
        trades.append(
            Trade(
                symbol=symbol,
                ts=int(t.get("timestamp") or 0),
                price=float(t["price"]),
                qty=float(t["amount"]),
                side=side,
                trade_id=trade_id,
            )
        )
    return trades, last


def book_from_ccxt(symbol: str, raw: dict[str, Any], levels: int, now_ms: int) -> DepthSnapshot:
    """The top `levels` of a ccxt order book as a snapshot; `last_update_id` is ccxt's `nonce` (or 0)."""
    return DepthSnapshot(
        symbol=symbol,
        ts=int(raw.get("timestamp") or now_ms),
        last_update_id=int(raw.get("nonce") or 0),
        bids=tuple((float(p), float(q)) for p, q, *_ in list(raw.get("bids", []))[:levels]),
        asks=tuple((float(p), float(q)) for p, q, *_ in list(raw.get("asks", []))[:levels]),
    )


class CcxtStream:
    """`MarketStream` over ccxt.pro for `config.id` (spot, or linear perpetuals with `market = "usdm"`).

    `channels` picks what to watch per symbol. `ws_url` in the config replaces the scheme and host of the
    exchange's websocket URLs (loopback servers, proxies); `rest_url` does the same for REST (ccxt.pro also
    loads markets and, for some exchanges, book snapshots over REST).
    """

    def __init__(
        self,
        config: ExchangeConfig,
        symbols: Sequence[str] = (),
        *,
        channels: Sequence[Channel] = ("trades", "ticker"),
        now_ms: Callable[[], int] = _wall_ms,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        unknown = [c for c in channels if c not in CHANNELS]
        if unknown:
            raise ValueError(f"unknown channel(s) {unknown} (expected some of {', '.join(CHANNELS)})")
        self.config = config
        self.name = f"ccxt-{config.id}-{config.market}-stream"
        self.channels: tuple[Channel, ...] = tuple(dict.fromkeys(channels))
        self._now_ms = now_ms
        self._monotonic = monotonic
        self._sleep = sleep
        self._rng = rng if rng is not None else random.Random()
        rel = config.reliability
        self._breaker = CircuitBreaker(rel.breaker_failures, rel.breaker_open_s, rel.breaker_successes)
        self._secrets = tuple(s for s in (config.api_key, config.api_secret) if s)
        self._exchange: Any = None
        self._symbols: dict[str, None] = dict.fromkeys(symbols)
        self._tasks: dict[tuple[str, Channel], asyncio.Task[None]] = {}
        self._last_trade_id: dict[str, int] = {}
        self._queue: asyncio.Queue[list[MarketEvent] | None] = asyncio.Queue()
        self._started = False
        self._closed = False
        self._state: ConnectionState = "disconnected"
        self.messages = 0
        self.errors = 0
        self.reconnects = 0
        self.duplicates = 0
        self._last_message_ms = 0
        self._lag_ms = float("nan")
        self._stopped: dict[tuple[str, Channel], str] = {}

    def __repr__(self) -> str:
        return f"CcxtStream(id={self.config.id!r}, market={self.config.market!r}, symbols={list(self._symbols)})"

    # -- client ------------------------------------------------------------------------------------------

    def _client(self) -> Any:
        if self._exchange is None:
            import ccxt.pro as ccxt_pro  # lazy: see module docstring

            # The full 24 h ticker carries bid/ask; ccxt.pro's default mini ticker does not.
            extra = {"watchTickers": {"name": "ticker"}} if self.config.id.startswith("binance") else {}
            self._exchange = make_client(ccxt_pro, self.config, extra_options=extra)
        return self._exchange

    def _ccxt_symbol(self, symbol: str) -> str:
        return ccxt_symbol(self.config, symbol)

    # -- MarketStream ------------------------------------------------------------------------------------

    async def batches(self) -> AsyncIterator[list[MarketEvent]]:
        """Events in arrival order; everything queued since the previous batch comes as one list."""
        self._start()
        while True:
            first = await self._queue.get()
            if first is None:
                return
            batch = first
            while not self._queue.empty():
                more = self._queue.get_nowait()
                if more is None:
                    yield batch
                    return
                batch.extend(more)
            yield batch

    async def subscribe(self, symbols: Sequence[str]) -> None:
        """Watch `symbols` too (already-watched ones are ignored)."""
        for symbol in symbols:
            if symbol not in self._symbols:
                self._symbols[symbol] = None
                if self._started:
                    self._start_symbol(symbol)

    async def unsubscribe(self, symbols: Sequence[str]) -> None:
        """Stop watching `symbols`; their watcher tasks are cancelled."""
        for symbol in symbols:
            if self._symbols.pop(symbol, 0) is None:
                for channel in CHANNELS:
                    task = self._tasks.pop((symbol, channel), None)
                    if task is not None:
                        task.cancel()
                        with contextlib.suppress(asyncio.CancelledError, Exception):
                            await task

    def health(self) -> list[StreamHealth]:
        watching = sum(1 for t in self._tasks.values() if not t.done())
        detail = f"{watching} watcher(s) on {len(self._symbols)} symbol(s)"
        if self._stopped:
            reasons = "; ".join(f"{s} {c}: {why}" for (s, c), why in sorted(self._stopped.items()))
            detail += f"; stopped: {reasons}"
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
        """Stop every watcher, close the ccxt client, end `batches()`."""
        if self._closed:
            return
        self._closed = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        exchange, self._exchange = self._exchange, None
        if exchange is not None:
            try:
                await exchange.close()
            except Exception as exc:
                log.warning("%s close failed: %s", self.name, redact(str(exc), self._secrets))
        self._state = "closed"
        self._queue.put_nowait(None)

    # -- watchers ----------------------------------------------------------------------------------------

    def _start(self) -> None:
        if self._started or self._closed:
            return
        self._started = True
        self._state = "connecting"
        for symbol in self._symbols:
            self._start_symbol(symbol)

    def _start_symbol(self, symbol: str) -> None:
        for channel in self.channels:
            key = (symbol, channel)
            if key not in self._tasks or self._tasks[key].done():
                self._stopped.pop(key, None)
                self._tasks[key] = asyncio.create_task(self._watch(symbol, channel), name=f"{self.name}:{key}")

    async def _watch_once(self, symbol: str, channel: Channel) -> list[MarketEvent]:
        exchange = self._client()
        ccxt_symbol = self._ccxt_symbol(symbol)
        now = self._now_ms()
        if channel == "trades":
            raw_trades = await exchange.watch_trades(ccxt_symbol)
            trades, last = trades_from_ccxt(symbol, raw_trades, self._last_trade_id.get(symbol, -1))
            self.duplicates += len(raw_trades) - len(trades)
            self._last_trade_id[symbol] = last
            if trades:
                self._lag_ms = float(self._now_ms() - trades[-1].ts)
            return list(trades)
        if channel == "ticker":
            return [ticker_from_ccxt(symbol, await exchange.watch_ticker(ccxt_symbol), now)]
        levels = self.config.depth_levels
        book = await exchange.watch_order_book(ccxt_symbol, None)
        return [book_from_ccxt(symbol, book, levels, self._now_ms())]

    async def _watch(self, symbol: str, channel: Channel) -> None:
        rel = self.config.reliability
        backoff = Backoff(rel.backoff_initial_s, rel.backoff_max_s, random.Random(self._rng.random()))
        while not self._closed and symbol in self._symbols:
            now_s = self._monotonic()
            if not self._breaker.allow(now_s):
                await self._sleep(max(self._breaker.remaining_open_s(now_s), 0.01))
                continue
            try:
                events = await self._watch_once(symbol, channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error = translate_ccxt_error(exc, secrets=self._secrets)
                self.errors += 1
                if not isinstance(error, RetryableError):
                    self._stopped[(symbol, channel)] = str(error)
                    log.error("%s %s %s stopped: %s", self.name, symbol, channel, error)
                    return
                self._breaker.record_failure(self._monotonic())
                self._state = "reconnecting"
                self.reconnects += 1
                delay = backoff.next_delay()
                if isinstance(error, RateLimitedError) and error.retry_after_s is not None:
                    delay = max(delay, error.retry_after_s)
                log.warning("%s %s %s: %s; retry in %.2fs", self.name, symbol, channel, error, delay)
                await self._sleep(delay)
                continue
            self._breaker.record_success(self._monotonic())
            backoff.reset()
            self._state = "connected"
            if events:
                self.messages += len(events)
                self._last_message_ms = self._now_ms()
                self._queue.put_nowait(events)
