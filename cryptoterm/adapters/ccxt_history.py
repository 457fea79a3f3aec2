"""REST history from any ccxt exchange: markets, paged candles, tickers, depth snapshots.

One `CcxtHistory` owns one `ccxt.async_support` client. ccxt is imported on first use, not at import time,
because importing it costs more than half a second and the TUI must start instantly.

Every call goes through `_call`, which is where reliability lives: only `RetryableError`s are retried (with
full-jitter backoff, never sooner than the server's `Retry-After`), a per-client circuit breaker stops
hammering an exchange that keeps failing, and ccxt errors are translated into the project's error types with
credentials redacted. `RejectedError`s (unknown symbol, bad request, bad key) surface at once.

Two failures that used to pass for success are refused:

* **A body that is not JSON** (a 200 cut off in transit, a proxy's HTML page): ccxt hands back the text, or an
  empty page, and an empty page reads as "no more history" — a download ended early and said nothing. Data
  requests refuse such bodies (`ccxt_client.refuse_bodies_that_are_not_json`: `IncompleteResponseError`,
  retried, then reported; ccxt's own `BadResponse` becomes the same error). An empty page that did parse ends
  the history only when the exchange confirms it: the first bar at or after the cursor must lie past the window
  (a real outage, a market listed later); otherwise the page is retried, then `IncompleteHistoryError` names the
  series. A rule from the clock alone would misread every real outage as a failure.
* **A long ban**: a 418 / 429 whose `Retry-After` exceeds `[exchange.reliability] max_wait_s` fails at once
  (`ExchangeBanned`, one line saying when the ban ends, UTC) instead of sleeping through it; until then every call
  fails at once without a request (asking during a Binance ban lengthens it). `banned_until_ms` (also in `stats`)
  is for the health screen. Shorter waits are waited.

`rest_url` (a loopback test server, a proxy, a regional mirror) replaces the scheme and host of every REST
base URL in `exchange.urls["api"]` while keeping each path, so Binance's `public` entry
(`https://api.binance.com/api/v3`) becomes `<rest_url>/api/v3` and `fapiPublic` becomes `<rest_url>/fapi/v1`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from cryptoterm.adapters.ccxt_client import (
    CCXT_LOG,
    EXPECT_JSON,
    add_secrets_to_redact,
    ccxt_symbol,
    make_client,
    refuse_bodies_that_are_not_json,
    ticker_from_ccxt,
)
from cryptoterm.adapters.ccxt_client import rebase_urls as rebase_urls
from cryptoterm.adapters.errors import (
    ExchangeBanned,
    ExchangeUnavailable,
    IncompleteHistoryError,
    IncompleteResponseError,
    RateLimitedError,
    RejectedError,
    RetryableError,
    parse_retry_after,
    redact,
    translate_ccxt_error,
)
from cryptoterm.config.schema import ExchangeConfig
from cryptoterm.domain.market import Candle, DepthSnapshot, SymbolInfo, TickerStats
from cryptoterm.domain.resilience import Backoff, CircuitBreaker
from cryptoterm.domain.timeframes import timeframe_ms

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Candles per request. Binance serves up to 1000; ccxt clamps to each exchange's own maximum.
DEFAULT_PAGE_LIMIT = 1000


@dataclass
class RequestStats:
    """Counters for the health screen and for tests: what this client asked and how it went."""

    calls: int = 0
    attempts: int = 0
    retries: int = 0
    rate_limited: int = 0
    failures: int = 0
    breaker_rejections: int = 0
    #: Answers whose body was not JSON (retried).
    incomplete: int = 0
    #: Empty candle pages checked with the exchange before being taken as the end of history.
    empty_pages_checked: int = 0
    #: When the exchange's current ban ends (epoch ms), 0 when not banned.
    banned_until_ms: int = 0


class CcxtHistory:
    """`HistorySource` over ccxt (spot, or USDⓈ-M perpetuals with `market = "usdm"`).

    Symbols are the project's unified spot-style strings ("BTC/USDT") in both markets; for `usdm` they are
    mapped to ccxt's linear swap symbols ("BTC/USDT:USDT") at this boundary.

    `sleep`, `monotonic` and `now_ms` exist so tests can run retries without waiting and freeze "now";
    production uses the defaults.
    """

    def __init__(
        self,
        config: ExchangeConfig,
        *,
        page_limit: int = DEFAULT_PAGE_LIMIT,
        max_attempts: int = 5,
        backoff_initial_s: float | None = None,
        backoff_max_s: float | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        now_ms: Callable[[], int] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if page_limit < 1:
            raise ValueError(f"page_limit must be >= 1, got {page_limit}")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {max_attempts}")
        self.config = config
        self.name = f"ccxt:{config.id}"
        self.page_limit = page_limit
        self.max_attempts = max_attempts
        rel = config.reliability
        self.max_wait_s = rel.max_wait_s
        self.backoff = Backoff(
            backoff_initial_s if backoff_initial_s is not None else rel.backoff_initial_s,
            backoff_max_s if backoff_max_s is not None else rel.backoff_max_s,
            rng=rng,
        )
        self.breaker = CircuitBreaker(rel.breaker_failures, rel.breaker_open_s, rel.breaker_successes)
        self.stats = RequestStats()
        self._sleep = sleep
        self._monotonic = monotonic
        self._now_ms = now_ms if now_ms is not None else (lambda: int(time.time() * 1000))
        self._secrets = tuple(s for s in (config.api_key, config.api_secret) if s)
        self._exchange: Any = None
        self._markets_loaded = False

    def __repr__(self) -> str:
        # Never let credentials reach a log line through a repr.
        return f"CcxtHistory(id={self.config.id!r}, market={self.config.market!r}, rest_url={self.config.rest_url!r})"

    # -- client ------------------------------------------------------------------------------------------

    def _client(self) -> Any:
        if self._exchange is None:
            import ccxt.async_support as ccxt_async  # lazy: see module docstring

            add_secrets_to_redact(self._secrets)
            self._exchange = make_client(ccxt_async, self.config, logger=CCXT_LOG)
            refuse_bodies_that_are_not_json(self._exchange)
        return self._exchange

    def _ccxt_symbol(self, symbol: str) -> str:
        return ccxt_symbol(self.config, symbol)

    @staticmethod
    def _project_symbol(symbol: str) -> str:
        return symbol.split(":", 1)[0]

    @property
    def banned_until_ms(self) -> int:
        """When the exchange's current ban ends (epoch ms); 0 when there is none."""
        until = self.stats.banned_until_ms
        return until if until > self._now_ms() else 0

    async def _call(self, what: str, fn: Callable[[], Awaitable[T]], *, data: bool = True) -> T:
        """Run one ccxt call with translation, retries, `Retry-After`, bans and the circuit breaker.

        `data` calls (candles, tickers, depth) must answer with JSON; `load_markets` may read other endpoints."""
        self.stats.calls += 1
        if self.banned_until_ms:
            until_ms = self.stats.banned_until_ms
            wait_s = (until_ms - self._now_ms()) / 1000
            raise ExchangeBanned.of(f"{self.config.id} {what}", wait_s, until_ms, self.max_wait_s)
        attempt = 0
        while True:
            now = self._monotonic()
            if not self.breaker.allow(now):
                self.stats.breaker_rejections += 1
                raise ExchangeUnavailable(
                    f"{self.config.id} {what}: circuit open after repeated failures; "
                    f"next probe in {self.breaker.remaining_open_s(now):.1f}s"
                )
            attempt += 1
            self.stats.attempts += 1
            token = EXPECT_JSON.set(f"{what}" if data else "")
            try:
                result = await fn()
            except Exception as exc:
                error = translate_ccxt_error(exc, self._retry_after_header(), self._secrets)
                if not isinstance(error, RetryableError):
                    # The exchange answered: it is up, the request was wrong.
                    self.breaker.record_success(self._monotonic())
                    raise error from None
                if isinstance(error, RateLimitedError) and (wait_s := error.retry_after_s or 0.0) > self.max_wait_s:
                    self.stats.rate_limited += 1
                    self.stats.banned_until_ms = until_ms = self._now_ms() + int(wait_s * 1000)
                    raise ExchangeBanned.of(f"{self.config.id} {what}", wait_s, until_ms, self.max_wait_s) from None
                self.stats.failures += 1
                if isinstance(error, IncompleteResponseError):
                    self.stats.incomplete += 1
                self.breaker.record_failure(self._monotonic())
                if attempt >= self.max_attempts or self.breaker.state == "open":
                    raise error from None
                delay = self.backoff.next_delay()
                if isinstance(error, RateLimitedError):
                    self.stats.rate_limited += 1
                    if error.retry_after_s is not None:
                        delay = max(delay, error.retry_after_s)
                self.stats.retries += 1
                log.warning("%s %s failed (%s); retry %d in %.2fs", self.name, what, error, attempt, delay)
                await self._sleep(delay)
                continue
            finally:
                EXPECT_JSON.reset(token)
            self.breaker.record_success(self._monotonic())
            self.backoff.reset()
            return result

    def _retry_after_header(self) -> float | None:
        headers = getattr(self._exchange, "last_response_headers", None) or {}
        for key, value in headers.items():
            if str(key).lower() == "retry-after":
                return parse_retry_after(str(value))
        return None

    async def _load_markets(self) -> dict[str, Any]:
        exchange = self._client()
        markets: dict[str, Any] = await self._call("load_markets", lambda: exchange.load_markets(), data=False)
        self._markets_loaded = True
        return markets

    async def _ensure_markets(self) -> None:
        if not self._markets_loaded:
            await self._load_markets()

    # -- HistorySource -----------------------------------------------------------------------------------

    async def markets(self) -> list[SymbolInfo]:
        """Markets of the configured kind (spot, or linear perpetuals for `usdm`), as unified symbols."""
        raw = await self._load_markets()
        usdm = self.config.market == "usdm"
        result: list[SymbolInfo] = []
        for market in raw.values():
            if usdm and not (market.get("swap") and market.get("linear")):
                continue
            if not usdm and not market.get("spot"):
                continue
            result.append(
                SymbolInfo(
                    symbol=self._project_symbol(str(market["symbol"])),
                    base=str(market["base"]),
                    quote=str(market["quote"]),
                    exchange_id=str(market["id"]),
                    active=market.get("active") is not False,
                    kind="perp" if usdm else "spot",
                )
            )
        result.sort(key=lambda info: info.symbol)
        return result

    async def fetch_candles(
        self, symbol: str, timeframe: str, since_ms: int, until_ms: int | None = None
    ) -> list[Candle]:
        """Closed candles with since_ms <= open_time < until_ms, every page of them."""
        candles: list[Candle] = []
        async for page in self.candle_pages(symbol, timeframe, since_ms, until_ms):
            candles.extend(page)
        return candles

    async def candle_pages(
        self, symbol: str, timeframe: str, since_ms: int, until_ms: int | None = None
    ) -> AsyncIterator[list[Candle]]:
        """The same candles as `fetch_candles`, one exchange page at a time (for progress reporting).

        Paging stops at `until_ms`, at an empty page the exchange confirms (see the module docstring), or when a
        page makes no progress. The still-forming bar (open_time + length > now) is never returned: stored
        history must hold only final bars. Raises `IncompleteHistoryError` when pages stay empty where the
        exchange has bars.
        """
        step = timeframe_ms(timeframe)
        exchange = self._client()
        await self._ensure_markets()
        if exchange.timeframes and timeframe not in exchange.timeframes:
            raise RejectedError(f"{self.config.id} has no {timeframe!r} candles")
        cursor = since_ms
        now = self._now_ms()
        end = now - step + 1 if until_ms is None else min(until_ms, now - step + 1)
        while cursor < end:
            page = await self._page(symbol, timeframe, cursor, end)
            attempt = 1
            while not page and await self._has_bars(symbol, timeframe, cursor, end):
                if attempt >= self.max_attempts:
                    raise IncompleteHistoryError(
                        f"{self.config.id} {symbol} {timeframe}: {attempt} empty answers for the candles from "
                        f"{_utc(cursor)} although the exchange has bars before {_utc(end)}; history incomplete"
                    )
                delay = self.backoff.next_delay()
                log.warning(
                    "%s %s %s: empty page where bars exist; retry in %.2fs", self.name, symbol, timeframe, delay
                )
                await self._sleep(delay)
                attempt += 1
                page = await self._page(symbol, timeframe, cursor, end)
            if not page:
                return
            yield page
            next_cursor = page[-1].open_time + step
            if next_cursor <= cursor:
                return
            cursor = next_cursor

    async def _page(self, symbol: str, timeframe: str, start: int, end: int) -> list[Candle]:
        """One page of candles with start <= open_time < end."""
        exchange = self._client()
        ccxt_symbol = self._ccxt_symbol(symbol)

        async def fetch() -> list[list[Any]]:
            rows: list[list[Any]] = await exchange.fetch_ohlcv(
                ccxt_symbol, timeframe, start, self.page_limit, {"until": end - 1}
            )
            return rows

        rows = await self._call(f"fetch_ohlcv {symbol} {timeframe}", fetch)
        return [_candle(row) for row in rows if start <= int(row[0]) < end]

    async def _has_bars(self, symbol: str, timeframe: str, start: int, end: int) -> bool:
        """Whether the exchange has a bar in [start, end), asked as "the first bar at or after `start`": an empty
        page over a real outage, or before a market was listed, is confirmed; one where bars exist is not."""
        exchange = self._client()
        ccxt_symbol = self._ccxt_symbol(symbol)
        self.stats.empty_pages_checked += 1

        async def first_bar() -> list[list[Any]]:
            rows: list[list[Any]] = await exchange.fetch_ohlcv(ccxt_symbol, timeframe, start, 1)
            return rows

        rows = await self._call(f"fetch_ohlcv {symbol} {timeframe} (first bar from {_utc(start)})", first_bar)
        return any(start <= int(row[0]) < end for row in rows)

    async def supported_timeframes(self) -> tuple[str, ...]:
        """Timeframes the exchange serves candles for (empty when ccxt does not say)."""
        exchange = self._client()
        await self._ensure_markets()
        return tuple(exchange.timeframes or ())

    async def fetch_tickers(self, symbols: Sequence[str] | None = None) -> list[TickerStats]:
        """24 h statistics for `symbols` (all of the configured kind when None)."""
        exchange = self._client()
        await self._ensure_markets()
        wanted = [self._ccxt_symbol(s) for s in symbols] if symbols is not None else None
        raw: dict[str, Any] = await self._call("fetch_tickers", lambda: exchange.fetch_tickers(wanted))
        now = self._now_ms()
        return [ticker_from_ccxt(self._project_symbol(str(t["symbol"])), t, now) for t in raw.values()]

    async def fetch_depth(self, symbol: str, limit: int = 1000) -> DepthSnapshot:
        """An order-book snapshot; `last_update_id` is ccxt's `nonce` (Binance `lastUpdateId`), 0 if absent."""
        exchange = self._client()
        await self._ensure_markets()
        ccxt_symbol = self._ccxt_symbol(symbol)
        book: dict[str, Any] = await self._call(
            f"fetch_order_book {symbol}", lambda: exchange.fetch_order_book(ccxt_symbol, limit)
        )
        return DepthSnapshot(
            symbol=symbol,
            ts=int(book.get("timestamp") or self._now_ms()),
            last_update_id=int(book.get("nonce") or 0),
            bids=tuple((float(p), float(q)) for p, q, *_ in book.get("bids", [])),
            asks=tuple((float(p), float(q)) for p, q, *_ in book.get("asks", [])),
        )

    async def close(self) -> None:
        """Close the ccxt client (its aiohttp session); safe to call twice or before any request."""
        exchange, self._exchange = self._exchange, None
        self._markets_loaded = False
        if exchange is not None:
            try:
                await exchange.close()
            except Exception as exc:  # closing must not mask the error that led here
                log.warning("%s close failed: %s", self.name, redact(str(exc), self._secrets))


def _utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def _candle(row: Sequence[Any]) -> Candle:
    return Candle(
        open_time=int(row[0]),
        open=float(row[1]),
        high=float(row[2]),
        low=float(row[3]),
        close=float(row[4]),
        volume=float(row[5]) if row[5] is not None else 0.0,
    )
