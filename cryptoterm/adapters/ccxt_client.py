"""Building a ccxt client (REST or ccxt.pro) from `[exchange]`, the same way for history and streams.

One place decides what every cryptoterm ccxt client shares: only the configured market type is loaded (with
Binance, loading every market type calls private endpoints as soon as keys are set), currencies and margins
are not fetched, rate limiting is on, the request timeout comes from `[exchange.reliability]`, keys are passed
only when set, and `rest_url` / `ws_url` rebase the exchange's endpoints (testnet, regional, proxy, loopback).
For REST history, two guards are added: ccxt's own log records pass through a redacting filter (ccxt logs request
headers with API keys at DEBUG), and `refuse_bodies_that_are_not_json` stops a body that did not parse from
becoming an empty page (see `adapters/ccxt_history.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

from cryptoterm.adapters.errors import IncompleteResponseError, RejectedError, redact
from cryptoterm.config.schema import ExchangeConfig
from cryptoterm.domain.market import TickerStats


def rebase_urls(urls: Any, base_url: str, schemes: tuple[str, ...] = ("http://", "https://")) -> Any:
    """Replace scheme and host of every URL (nested in ccxt's `urls["api"]`) with `base_url`, keeping paths."""
    base = base_url.rstrip("/")
    if isinstance(urls, dict):
        return {key: rebase_urls(value, base, schemes) for key, value in urls.items()}
    if isinstance(urls, str) and urls.startswith(schemes):
        return base + urlsplit(urls).path
    return urls


def make_client(
    module: Any, config: ExchangeConfig, *, extra_options: dict[str, Any] | None = None, logger: Any = None
) -> Any:
    """A client of `module` (`ccxt.async_support` or `ccxt.pro`) configured from `config`."""
    exchange_class = getattr(module, config.id, None)
    if exchange_class is None or config.id not in module.exchanges:
        raise RejectedError(f"[exchange].id: unknown ccxt exchange id {config.id!r}")
    usdm = config.market == "usdm"
    options: dict[str, Any] = {
        "defaultType": "swap" if usdm else "spot",
        "fetchCurrencies": False,
        "fetchMargins": False,
    }
    if config.id.startswith("binance"):
        options["fetchMarkets"] = ["linear"] if usdm else ["spot"]
        options["defaultSubType"] = "linear" if usdm else None
    options.update(extra_options or {})
    params: dict[str, Any] = {
        "enableRateLimit": True,
        "timeout": int(config.reliability.request_timeout_s * 1000),
        "options": options,
    }
    if logger is not None:
        params["logger"] = logger
    if config.api_key:
        params["apiKey"] = config.api_key
        params["secret"] = config.api_secret
    exchange = exchange_class(params)
    if config.rest_url:
        exchange.urls["api"] = rebase_urls(exchange.urls["api"], config.rest_url)
    if config.ws_url:
        exchange.urls["api"] = rebase_urls(exchange.urls["api"], config.ws_url, ("ws://", "wss://"))
    return exchange


def ccxt_symbol(config: ExchangeConfig, symbol: str) -> str:
    """The project's "BTC/USDT" as ccxt names it in the configured market ("BTC/USDT:USDT" for USDⓈ-M)."""
    if config.market == "usdm" and ":" not in symbol and "/" in symbol:
        return f"{symbol}:{symbol.split('/')[1]}"
    return symbol


def num(value: Any) -> float:
    """A ccxt number field as a float; a missing one (None) is NaN, never 0."""
    return float("nan") if value is None else float(value)


def ticker_from_ccxt(symbol: str, raw: dict[str, Any], now_ms: int) -> TickerStats:
    """A project ticker from a ccxt ticker dict (missing fields become NaN)."""
    return TickerStats(
        symbol=symbol,
        ts=int(raw.get("timestamp") or now_ms),
        last=num(raw.get("last")),
        open_24h=num(raw.get("open")),
        high_24h=num(raw.get("high")),
        low_24h=num(raw.get("low")),
        volume_24h=num(raw.get("baseVolume")),
        quote_volume_24h=num(raw.get("quoteVolume")),
        bid=num(raw.get("bid")),
        ask=num(raw.get("ask")),
    )


class _RedactingFilter(logging.Filter):
    """Rewrites ccxt's own debug records (which print request headers and signed URLs) without secrets."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), tuple(self.secrets))
        record.args = None
        return True


REDACTOR = _RedactingFilter()
#: The logger handed to every ccxt client: ccxt logs API-key headers at DEBUG, so it goes through a filter.
CCXT_LOG = logging.getLogger("cryptoterm.adapters.ccxt_history.ccxt")
CCXT_LOG.addFilter(REDACTOR)


def add_secrets_to_redact(secrets: Iterable[str]) -> None:
    """Secrets (API key, secret) the ccxt logger must never print."""
    REDACTOR.secrets.update(s for s in secrets if s)


#: What the request under way is, when its body must be JSON; per task, so concurrent requests do not mix.
EXPECT_JSON: ContextVar[str] = ContextVar("cryptoterm_expect_json", default="")


def refuse_bodies_that_are_not_json(exchange: Any) -> None:
    """Wrap the client's `fetch` (every REST request goes through it): while a data request is under way
    (`EXPECT_JSON`), an answer that did not parse as JSON — ccxt hands back the raw text, or nothing — raises
    `IncompleteResponseError` before ccxt's parsers can turn it into an empty page."""
    fetch = exchange.fetch

    async def fetch_json(url: str, method: str = "GET", headers: Any = None, body: Any = None) -> Any:
        response = await fetch(url, method, headers, body)
        what = EXPECT_JSON.get()
        if what and not isinstance(response, dict | list):
            raise IncompleteResponseError(
                f"{exchange.id} {what}: the answer is not the exchange's JSON ({_describe_body(response)})"
            )
        return response

    exchange.fetch = fetch_json


def _describe_body(body: Any) -> str:
    """What came back instead of JSON, in a few words (never the body itself: it could carry anything)."""
    if not isinstance(body, str) or not body.strip():
        return "an empty body"
    text = body.lstrip()
    if text.startswith("<"):
        return f"an HTML page of {len(body)} characters, e.g. a proxy's or gateway's"
    if text.startswith(("[", "{")):
        return f"JSON cut off after {len(body)} characters"
    return f"{len(body)} characters of text"
