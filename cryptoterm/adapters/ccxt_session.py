"""One authenticated ccxt client for a live exchange account, and the one way every call to it goes.

The client is built like every cryptoterm ccxt client (`ccxt_client.make_client`: the configured market only,
`[exchange] rest_url` rebasing the endpoints — testnet, a proxy, the loopback exchange in tests), then given
the API key and secret read from the environment (never from `[exchange]`). ccxt is imported on first use.

`read` runs a request that is safe to repeat (a query, a cancel): errors the network caused are retried with
backoff, up to `[exchange.reliability]` request limits; anything else — and the last network error — becomes
`OrderRejected` with one redacted line. Placing an order never goes through `read`: a placement is not safe to
repeat (see `ccxt_broker`). The client's own log records pass the redacting filter of `ccxt_client`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import msgspec

from cryptoterm.adapters.ccxt_client import CCXT_LOG, add_secrets_to_redact, ccxt_symbol, make_client
from cryptoterm.adapters.credentials import ApiCredentials
from cryptoterm.adapters.errors import RetryableError, translate_ccxt_error
from cryptoterm.adapters.order_errors import exchange_answer, refusal_reason
from cryptoterm.config.schema import ExchangeConfig
from cryptoterm.domain.resilience import Backoff
from cryptoterm.domain.trading.orders import OrderRejected

T = TypeVar("T")
log = logging.getLogger(__name__)


class ExchangeRefused(OrderRejected):
    """A refusal from the exchange itself, with its error code (Binance's -2013 "no such order" …) for callers
    that treat some codes as answers rather than failures."""

    def __init__(self, message: str, code: int | None) -> None:
        super().__init__(message)
        self.code = code


class CcxtSession:
    """The account's ccxt client, its markets, and calls translated into one-line refusals."""

    def __init__(
        self,
        config: ExchangeConfig,
        credentials: ApiCredentials,
        *,
        attempts: int = 4,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        now_ms: Callable[[], int] | None = None,
    ) -> None:
        # The keys never enter a config struct (whose repr a log line could print): the client gets them directly.
        self.config = msgspec.structs.replace(config, api_key="", api_secret="")
        self.credentials = credentials
        self.attempts = max(1, attempts)
        self.backoff = Backoff(config.reliability.backoff_initial_s, config.reliability.backoff_max_s)
        self.sleep = sleep if sleep is not None else asyncio.sleep
        self.now_ms = now_ms if now_ms is not None else (lambda: int(time.time() * 1000))
        self._exchange: Any = None
        self._markets: Mapping[str, Any] | None = None

    def __repr__(self) -> str:
        return f"CcxtSession(id={self.config.id!r}, rest_url={self.config.rest_url!r}, {self.credentials!r})"

    @property
    def secrets(self) -> tuple[str, ...]:
        return self.credentials.secrets

    @property
    def key_envs(self) -> tuple[str, str]:
        return (self.credentials.key_env, self.credentials.secret_env)

    def client(self) -> Any:
        if self._exchange is None:
            import ccxt.async_support as ccxt_async  # lazy: importing ccxt costs over half a second

            add_secrets_to_redact(self.secrets)
            options = {"warnOnFetchOpenOrdersWithoutSymbol": False, "fetchOpenOrders": {"warnWithoutSymbol": False}}
            exchange = make_client(ccxt_async, self.config, extra_options=options, logger=CCXT_LOG)
            exchange.apiKey = self.credentials.key
            exchange.secret = self.credentials.secret
            self._exchange = exchange
        return self._exchange

    async def close(self) -> None:
        if self._exchange is not None:
            await self._exchange.close()
            self._exchange = None

    def ccxt_symbol(self, symbol: str) -> str:
        return ccxt_symbol(self.config, symbol)

    async def markets(self) -> Mapping[str, Any]:
        if self._markets is None:
            exchange = self.client()
            loaded: Mapping[str, Any] = await self.read(f"{self.config.id} markets", lambda: exchange.load_markets())
            self._markets = loaded
        return self._markets

    async def market(self, symbol: str, what: str = "") -> Mapping[str, Any]:
        """The ccxt market of a project symbol; `OrderRejected` naming it when the exchange does not list it."""
        markets = await self.markets()
        market: Mapping[str, Any] | None = markets.get(self.ccxt_symbol(symbol))
        if market is None:
            raise OrderRejected(f"{what or symbol}: {self.config.id} does not list {symbol}")
        return market

    def reason(self, exc: BaseException, market: Mapping[str, Any] | None = None, side: str = "") -> str:
        """The exchange's refusal (or the network's failure) in words, redacted."""
        if isinstance(exc, RetryableError):
            return str(exc)
        return refusal_reason(exc, market=market, side=side, key_envs=self.key_envs, secrets=self.secrets)

    def translate(self, exc: BaseException) -> Exception:
        return translate_ccxt_error(exc, secrets=self.secrets)

    async def read(self, what: str, call: Callable[[], Awaitable[T]], *, market: Mapping[str, Any] | None = None) -> T:
        """`call()`, retried while the network fails; `OrderRejected` ("what: reason") otherwise."""
        for attempt in range(1, self.attempts + 1):
            try:
                result = await call()
            except Exception as exc:
                error = self.translate(exc)
                if isinstance(error, RetryableError) and attempt < self.attempts:
                    delay = self.backoff.next_delay()
                    log.warning("%s failed (%s); retry %d in %.2fs", what, error, attempt, delay)
                    await self.sleep(delay)
                    continue
                if isinstance(error, RetryableError):
                    raise OrderRejected(f"{what}: {error}") from None
                code, _message = exchange_answer(exc)
                raise ExchangeRefused(f"{what}: {self.reason(exc, market)}", code) from None
            self.backoff.reset()
            return result
        raise AssertionError("unreachable: the last attempt returns or raises")
