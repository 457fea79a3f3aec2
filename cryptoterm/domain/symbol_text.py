"""What a person types for a market, read as the unified symbol ("BTC/USDT").

People write a market the way the exchange shows it (`BTCUSDT`), the way ccxt does (`BTC/USDT`), in lower case
(`btc/usdt`), with a dash (`btc-usdt`) or with the settlement suffix of a perpetual (`BTC/USDT:USDT`). All of them
mean one market, so every place a symbol is typed reads it here. A symbol without a separator is split where the
exchange splits it: by the market whose native id it is (`BTCUSDT` → the market with id `BTCUSDT`), else at the
longest quote asset it ends with (`ETHBTC` → `ETH/BTC`). Pure: the known markets are an argument.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from cryptoterm.domain.market import SymbolInfo

#: Quote assets tried, longest first, to split a symbol typed without a separator when no market list says.
COMMON_QUOTES: tuple[str, ...] = (
    "FDUSD",
    "USDT",
    "USDC",
    "BUSD",
    "TUSD",
    "USDP",
    "DAI",
    "BTC",
    "ETH",
    "BNB",
    "EUR",
    "TRY",
    "BRL",
    "GBP",
    "JPY",
    "AUD",
    "USD",
)

_SEPARATORS = re.compile(r"[\s/_-]+")
_ASSET = re.compile(r"^[A-Z0-9]{1,20}$")


class SymbolTextError(ValueError):
    """Text that names no market; the message quotes it and shows the forms that work."""


def _refuse(text: str) -> SymbolTextError:
    return SymbolTextError(f"{text.strip()!r} is not a market symbol (write it as BTC/USDT, btc/usdt or BTCUSDT)")


def parse_symbol(text: str, markets: Iterable[SymbolInfo] = ()) -> str:
    """The unified "BASE/QUOTE" for `text`; raises `SymbolTextError` when it cannot be one."""
    cleaned = text.strip().upper().split(":", 1)[0]
    if not cleaned:
        raise _refuse(text)
    parts = [part for part in _SEPARATORS.split(cleaned) if part]
    if len(parts) == 2:
        base, quote = parts
    elif len(parts) == 1:
        base, quote = _split_joined(parts[0], markets)
    else:
        raise _refuse(text)
    if not (_ASSET.match(base) and _ASSET.match(quote)):
        raise _refuse(text)
    return f"{base}/{quote}"


def _split_joined(joined: str, markets: Iterable[SymbolInfo]) -> tuple[str, str]:
    """ "BTCUSDT" → ("BTC", "USDT"): by a listed market's native id or base + quote, else a known quote suffix."""
    quotes: set[str] = set()
    for market in markets:
        if market.exchange_id.upper() == joined or f"{market.base}{market.quote}".upper() == joined:
            return market.base.upper(), market.quote.upper()
        quotes.add(market.quote.upper())
    for quote in sorted(quotes | set(COMMON_QUOTES), key=len, reverse=True):
        if joined.endswith(quote) and len(joined) > len(quote):
            return joined[: -len(quote)], quote
    raise _refuse(joined)
