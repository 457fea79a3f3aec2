"""Which Binance streams a connection carries: names per symbol, the combined-stream URL, Binance's limits.

A symbol's streams are its trades (`@trade` or `@aggTrade`), best bid / ask (`@bookTicker`), diff depth
(`@depth@100ms`), klines (`@kline_1m` …), a ticker (`@ticker` / `@miniTicker`), or every market's mini ticker
at once (`!miniTicker@arr`), and on USDⓈ-M the mark price with funding (`@markPrice@1s`). The whole set goes
into the URL of each new connection (`/stream?streams=a/b/c`), so a reconnect subscribes to everything current
without a message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from cryptoterm.adapters.binance.symbols import to_stream

TickerMode = Literal["none", "symbol", "mini", "all_mini"]

DEFAULT_WS_URLS = {"spot": "wss://stream.binance.com:9443", "usdm": "wss://fstream.binance.com"}
#: Streams Binance allows on one connection.
MAX_STREAMS = {"spot": 1024, "usdm": 200}


@dataclass(frozen=True, slots=True)
class StreamPlan:
    """What to stream per symbol; `tickers`: "symbol" = `@ticker`, "mini" = `@miniTicker`, "all_mini" = every
    market's `!miniTicker@arr`; `mark_price` adds USDⓈ-M's `@markPrice@1s` (mark, index, funding)."""

    market: str
    trade_stream: str
    book_ticker: bool = True
    depth: bool = True
    klines: tuple[str, ...] = ()
    tickers: TickerMode = "none"
    mark_price: bool = False

    def for_symbol(self, symbol: str) -> list[str]:
        s = to_stream(symbol)
        streams = [f"{s}@{self.trade_stream}"]
        if self.book_ticker:
            streams.append(f"{s}@bookTicker")
        if self.depth:
            streams.append(f"{s}@depth@100ms")
        streams.extend(f"{s}@kline_{interval}" for interval in self.klines)
        if self.tickers == "symbol":
            streams.append(f"{s}@ticker")
        elif self.tickers == "mini":
            streams.append(f"{s}@miniTicker")
        if self.mark_price and self.market == "usdm":
            streams.append(f"{s}@markPrice@1s")
        return streams

    def for_symbols(self, symbols: Iterable[str]) -> list[str]:
        """Every stream name a connection carrying `symbols` needs."""
        streams = [s for symbol in symbols for s in self.for_symbol(symbol)]
        if self.tickers == "all_mini":
            streams.append("!miniTicker@arr")
        return streams

    def check_count(self, symbols: Iterable[str]) -> None:
        """ValueError when `symbols` need more streams than Binance allows on one connection."""
        count = len(self.for_symbols(symbols))
        limit = MAX_STREAMS[self.market]
        if count > limit:
            raise ValueError(f"{count} streams exceed Binance's {limit} per connection")


def combined_url(base_url: str, streams: Iterable[str]) -> str:
    return f"{base_url}/stream?streams={'/'.join(streams)}"
