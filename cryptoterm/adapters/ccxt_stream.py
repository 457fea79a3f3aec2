"""Live market data from any exchange ccxt.pro supports: trades, tickers and order books.

Binance has its own hand-written websocket adapter (faster, and it keeps the diff-depth sequencing rules);
this one covers every other exchange through ccxt.pro's unified `watch_*` calls. ccxt.pro keeps the socket,
subscriptions and the order-book sequencing; this adapter turns its dicts into the project's market events,
runs one watcher task per (symbol, channel), and decides what a failure means:

* retryable errors (network, timeouts, exchange unavailable, rate limits) → wait with full-jitter backoff
  and watch again; a shared circuit breaker stops all watchers from hammering an exchange that keeps failing.
  When a trades watcher gets data again, a `Reconnected` marker for its symbol comes first, so the feed backfills
  the trades it missed over REST;
* rejected errors (unknown symbol, channel not supported) → that watcher stops and says why in `health()`;
* **stalls**: ccxt.pro multiplexes every channel over one connection per endpoint, and keepalive cannot see a
  connection that is open but silent. So nothing arriving on any channel for `[exchange.reliability]
  stall_after_s`, or nothing on one continuous channel (a ticker or a book: exchanges update them every second
  or faster) while its watcher waits, is a stall: every websocket connection of the client is failed with a
  network error, which sends each watcher down its normal retry path onto a fresh connection. Trades alone are
  not a heartbeat per channel (a quiet market trades rarely); they count towards the connection's silence.
  Counted in `health().stalls`;
* trades with values no market sends (`adapters/market_values.py`) and books with bad levels are skipped and
  counted; trades sent twice are dropped by a watermark one bad id cannot poison (`adapters/trade_dedup.py`).

Events reach the consumer through the bounded queue of `adapters/event_queue.py`. ccxt.pro is imported on first
use (it pulls in all of ccxt).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal

from cryptoterm.adapters.ccxt_client import ccxt_symbol, make_client, ticker_from_ccxt
from cryptoterm.adapters.errors import RateLimitedError, RetryableError, redact, translate_ccxt_error
from cryptoterm.adapters.event_queue import DEFAULT_MAX_EVENTS
from cryptoterm.adapters.live_stream import LiveStream
from cryptoterm.adapters.market_values import BadMarketValue, check_levels, check_trade
from cryptoterm.config.schema import ExchangeConfig
from cryptoterm.domain.market import DepthSnapshot, MarketEvent, Reconnected, Side, Trade
from cryptoterm.domain.resilience import Backoff, CircuitBreaker
from cryptoterm.ports.market import BreakerState

log = logging.getLogger(__name__)

Channel = Literal["trades", "ticker", "book"]
CHANNELS: tuple[Channel, ...] = ("trades", "ticker", "book")
#: Channels an exchange updates continuously: one of them silent while its watcher waits is a stall.
CONTINUOUS: frozenset[Channel] = frozenset({"ticker", "book"})


def _wall_ms() -> int:
    return int(time.time() * 1000)


def trades_from_ccxt(
    symbol: str, raw: Sequence[dict[str, Any]], recv_ms: int = 0
) -> tuple[list[Trade], list[BadMarketValue]]:
    """Project trades from ccxt trade dicts: the trades, and why each one no market sends was left out (see
    `adapters/market_values.py`). Exchanges with non-numeric ids get id 0 (never de-duplicated: their ids carry
    no order)."""
    trades: list[Trade] = []
    rejected: list[BadMarketValue] = []
    for t in raw:
        raw_id = t.get("id")
        trade_id = int(raw_id) if isinstance(raw_id, str | int) and str(raw_id).isdigit() else 0
        side: Side = "sell" if t.get("side") == "sell" else "buy"
        price, qty, ts = _number(t.get("price")), _number(t.get("amount")), int(t.get("timestamp") or 0)
        try:
            check_trade(price, qty, ts, trade_id, recv_ms, f"{symbol} trade")
        except BadMarketValue as bad:
            rejected.append(bad)
            continue
        trades.append(Trade(symbol=symbol, ts=ts, price=price, qty=qty, side=side, trade_id=trade_id))
    return trades, rejected


def book_from_ccxt(symbol: str, raw: dict[str, Any], levels: int, now_ms: int) -> DepthSnapshot:
    """The top `levels` of a ccxt order book as a snapshot; `last_update_id` is ccxt's `nonce` (or 0).
    Raises `BadMarketValue` for a level no market sends."""
    bids = tuple((float(p), float(q)) for p, q, *_ in list(raw.get("bids", []))[:levels])
    asks = tuple((float(p), float(q)) for p, q, *_ in list(raw.get("asks", []))[:levels])
    check_levels(bids, f"{symbol} book")
    check_levels(asks, f"{symbol} book")
    return DepthSnapshot(symbol, int(raw.get("timestamp") or now_ms), int(raw.get("nonce") or 0), bids, asks)


def _number(value: Any) -> float:
    return float("nan") if value is None else float(value)


class CcxtStream(LiveStream):
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
        max_queued_events: int = DEFAULT_MAX_EVENTS,
    ) -> None:
        unknown = [c for c in channels if c not in CHANNELS]
        if unknown:
            raise ValueError(f"unknown channel(s) {unknown} (expected some of {', '.join(CHANNELS)})")
        super().__init__(f"ccxt-{config.id}-{config.market}-stream", max_queued_events=max_queued_events)
        self.config = config
        self.channels: tuple[Channel, ...] = tuple(dict.fromkeys(channels))
        self._now_ms = now_ms
        self._monotonic = monotonic
        self._sleep = sleep
        self._rng = rng if rng is not None else random.Random()
        rel = config.reliability
        self._breaker = CircuitBreaker(rel.breaker_failures, rel.breaker_open_s, rel.breaker_successes)
        self._stall_after_s = rel.stall_after_s
        self._secrets = tuple(s for s in (config.api_key, config.api_secret) if s)
        self._exchange: Any = None
        self._symbols: dict[str, None] = dict.fromkeys(symbols)
        self._tasks: dict[tuple[str, Channel], asyncio.Task[None]] = {}
        self._stall_task: asyncio.Task[None] | None = None
        #: (symbol, channel) → monotonic time it last got data or began waiting (absent while backing off).
        self._quiet_since: dict[tuple[str, Channel], float] = {}
        self._last_data_s = monotonic()
        self._last_trade_ms: dict[str, int] = {}
        self._started = False
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
                    self._quiet_since.pop((symbol, channel), None)
                await self._stop_tasks([self._tasks.pop((symbol, channel), None) for channel in CHANNELS])

    def _breaker_state(self) -> BreakerState:
        return self._breaker.state

    def _detail(self) -> str:
        watching = sum(1 for t in self._tasks.values() if not t.done())
        detail = f"{watching} watcher(s) on {len(self._symbols)} symbol(s)"
        if self._stopped:
            reasons = "; ".join(f"{s} {c}: {why}" for (s, c), why in sorted(self._stopped.items()))
            detail += f"; stopped: {reasons}"
        return detail

    async def close(self) -> None:
        """Stop every watcher, close the ccxt client, end `batches()`."""
        if self._closed:
            return
        self._closed = True
        await self._stop_tasks([*self._tasks.values(), self._stall_task])
        self._tasks.clear()
        exchange, self._exchange = self._exchange, None
        if exchange is not None:
            try:
                await exchange.close()
            except Exception as exc:
                log.warning("%s close failed: %s", self.name, redact(str(exc), self._secrets))
        self._finish_close()

    # -- watchers ----------------------------------------------------------------------------------------

    def _start(self) -> None:
        if self._started or self._closed:
            return
        self._started = True
        self._state = "connecting"
        self._last_data_s = self._monotonic()  # silence is measured from the start, not from construction
        for symbol in self._symbols:
            self._start_symbol(symbol)
        self._stall_task = asyncio.create_task(self._watch_for_stalls(), name=f"{self.name}: stall watchdog")

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
            parsed, rejected = trades_from_ccxt(symbol, raw_trades, self._now_ms())
            for bad in rejected:
                self._bad_message(bad.kind, str(bad))
            trades = self._new_trades(parsed)
            if trades:
                self._lag_ms = float(self._now_ms() - trades[-1].ts)  # type: ignore[union-attr]
            return trades
        if channel == "ticker":
            return [ticker_from_ccxt(symbol, await exchange.watch_ticker(ccxt_symbol), now)]
        book = await exchange.watch_order_book(ccxt_symbol, None)
        return [book_from_ccxt(symbol, book, self.config.depth_levels, self._now_ms())]

    async def _watch(self, symbol: str, channel: Channel) -> None:
        rel = self.config.reliability
        backoff = Backoff(rel.backoff_initial_s, rel.backoff_max_s, random.Random(self._rng.random()))
        key = (symbol, channel)
        failed = False
        while not self._closed and symbol in self._symbols:
            now_s = self._monotonic()
            if not self._breaker.allow(now_s):
                await self._sleep(max(self._breaker.remaining_open_s(now_s), 0.01))
                continue
            self._quiet_since.setdefault(key, now_s)
            try:
                events = await self._watch_once(symbol, channel)
            except asyncio.CancelledError:
                raise
            except BadMarketValue as bad:
                self._bad_message(bad.kind, str(bad))
                continue
            except Exception as exc:
                self._quiet_since.pop(key, None)  # backing off: its silence is not the exchange's
                error = translate_ccxt_error(exc, secrets=self._secrets)
                self.errors += 1
                if not isinstance(error, RetryableError):
                    self._stopped[key] = str(error)
                    log.error("%s %s %s stopped: %s", self.name, symbol, channel, error)
                    return
                self._breaker.record_failure(self._monotonic())
                self._state = "reconnecting"
                failed = True
                delay = backoff.next_delay()
                if isinstance(error, RateLimitedError) and error.retry_after_s is not None:
                    delay = max(delay, error.retry_after_s)
                log.warning("%s %s %s: %s; retry in %.2fs", self.name, symbol, channel, error, delay)
                await self._sleep(delay)
                continue
            self._breaker.record_success(self._monotonic())
            backoff.reset()
            self._state = "connected"
            self._quiet_since[key] = self._last_data_s = self._monotonic()
            if failed:
                failed = False
                self.reconnects += 1
                if channel == "trades":  # trades were missed meanwhile: the feed backfills the gap
                    now_ms = self._now_ms()
                    events.insert(0, Reconnected(self.name, (symbol,), self._last_trade_ms.get(symbol, now_ms), now_ms))
            if events:
                if channel == "trades":
                    self._last_trade_ms[symbol] = self._now_ms()
                self.messages += len(events)
                self._last_message_ms = self._now_ms()
                if self._queue.full:
                    await self._queue.wait_for_room()
                self._queue.put(events)

    # -- stalls ------------------------------------------------------------------------------------------

    async def _watch_for_stalls(self) -> None:
        """Fail the client's connections when they went silent (see the module docstring)."""
        stall_s = self._stall_after_s
        while not self._closed:
            await asyncio.sleep(stall_s / 4)  # wall time, whatever sleep the backoff was given
            now = self._monotonic()
            if self._queue.full:  # the consumer is behind: the watchers wait, the silence is ours
                self._last_data_s = now
                self._quiet_since = dict.fromkeys(self._quiet_since, now)
                continue
            waiting = self._quiet_since
            silent = [key for key, since in waiting.items() if key[1] in CONTINUOUS and now - since >= stall_s]
            if waiting and now - self._last_data_s >= stall_s:
                why = f"no data on any channel for {now - self._last_data_s:.1f} s"
            elif silent:
                symbol, channel = silent[0]
                why = f"no {channel} update for {symbol} for {now - waiting[silent[0]]:.1f} s"
            else:
                continue
            self._drop_connections(why)
            self._last_data_s = now
            self._quiet_since = dict.fromkeys(self._quiet_since, now)

    def _drop_connections(self, why: str) -> None:
        exchange = self._exchange
        clients = list((getattr(exchange, "clients", None) or {}).values())
        if not clients:
            return
        from ccxt.base.errors import NetworkError  # lazy: ccxt is loaded already (a client exists)

        self.stalls += 1
        log.warning(
            "%s: %s on an open connection (stalled; [exchange.reliability] stall_after_s = %g): reconnecting",
            self.name,
            why,
            self._stall_after_s,
        )
        for client in clients:
            client.on_error(NetworkError(f"{self.name}: stalled: {why}"))
