"""Symbol names at the Binance boundary: unified "BTC/USDT" inside the product, "BTCUSDT" / "btcusdt" outside.

Binance market ids are the base and quote glued together, so going back from "BTCUSDT" needs either the
markets we subscribed to (exact) or a split on a known quote asset (good enough for anything else that
arrives, e.g. every symbol of `!miniTicker@arr`).
"""

from __future__ import annotations

from collections.abc import Iterable

#: Quote assets tried, longest first, when splitting a native id we were not told about.
KNOWN_QUOTES: tuple[str, ...] = tuple(
    sorted(
        (
            "USDT", "USDC", "FDUSD", "BUSD", "TUSD", "USDP", "DAI", "USD", "BTC", "ETH", "BNB", "EUR", "TRY",
            "BRL", "GBP", "AUD", "JPY", "RUB", "UAH", "ZAR", "PLN", "RON", "ARS", "MXN", "COP", "IDRT", "BIDR",
            "NGN", "XRP", "TRX", "DOGE", "DOT", "PAX", "USDS", "AEUR", "EURI",
        ),
        key=len,
        reverse=True,
    )
)  # fmt: skip


def to_native(symbol: str) -> str:
    """ "BTC/USDT" → "BTCUSDT" (a ccxt settle suffix such as ":USDT" is dropped)."""
    base, sep, quote = symbol.partition("/")
    if not sep or not base or not quote:
        raise ValueError(f"symbol {symbol!r} is not in unified BASE/QUOTE form (e.g. 'BTC/USDT')")
    return (base + quote.partition(":")[0]).upper()


def to_stream(symbol: str) -> str:
    """ "BTC/USDT" → "btcusdt", the prefix of Binance stream names."""
    return to_native(symbol).lower()


def split_native(native: str) -> str:
    """Best-effort "BTCUSDT" → "BTC/USDT" using `KNOWN_QUOTES`; the native id itself when nothing fits."""
    upper = native.upper()
    for quote in KNOWN_QUOTES:
        if upper.endswith(quote) and len(upper) > len(quote):
            return f"{upper[: -len(quote)]}/{quote}"
    return upper


class SymbolMap:
    """Two-way map between unified symbols and Binance ids, exact for registered symbols, cached otherwise."""

    def __init__(self, symbols: Iterable[str] = ()) -> None:
        self._unified: dict[str, str] = {}
        for symbol in symbols:
            self.add(symbol)

    def add(self, symbol: str) -> str:
        """Register a unified symbol; returns its native id."""
        native = to_native(symbol)
        self._unified[native] = symbol
        self._unified[native.lower()] = symbol
        return native

    def unified(self, native: str) -> str:
        """ "BTCUSDT" or "btcusdt" → the registered unified symbol, else a split on a known quote."""
        found = self._unified.get(native)
        if found is None:
            found = split_native(native)
            self._unified[native] = found
        return found
