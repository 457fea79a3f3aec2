"""Market data value types shared by every layer.

Symbols are ccxt-unified strings ("BTC/USDT"); adapters translate exchange-native ids at the boundary.
Timestamps are epoch milliseconds, UTC. The hot-path types are NamedTuples: immutable, typed, and the cheapest
immutable object CPython can build, which matters at hundreds of thousands of trades per second.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

Side = Literal["buy", "sell"]


class Trade(NamedTuple):
    """One executed trade. `side` is the taker's side."""

    symbol: str
    ts: int
    price: float
    qty: float
    side: Side
    trade_id: int = 0


class Candle(NamedTuple):
    """One OHLCV bar keyed by its open time. `closed` is False while the bar is still forming."""

    open_time: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    quote_volume: float = 0.0
    trades: int = 0
    closed: bool = True


class Kline(NamedTuple):
    """An exchange-provided candle update for one symbol and timeframe (e.g. Binance `kline_1m`)."""

    symbol: str
    timeframe: str
    candle: Candle


class BarClosed(NamedTuple):
    """Emitted once when a bar's period has ended: the bar is final and may be stored and scanned."""

    symbol: str
    timeframe: str
    candle: Candle


class BookTop(NamedTuple):
    """Best bid / ask (Binance `bookTicker`)."""

    symbol: str
    ts: int
    bid: float
    bid_qty: float
    ask: float
    ask_qty: float


class TickerStats(NamedTuple):
    """Rolling 24 h statistics for one symbol, as a ticker table shows them."""

    symbol: str
    ts: int
    last: float
    open_24h: float
    high_24h: float
    low_24h: float
    volume_24h: float
    quote_volume_24h: float
    bid: float = float("nan")
    ask: float = float("nan")

    @property
    def change_pct(self) -> float:
        """24 h change in percent; NaN when there is no reference price yet."""
        if not self.open_24h:
            return float("nan")
        return (self.last / self.open_24h - 1.0) * 100.0

    @property
    def spread_bps(self) -> float:
        """Bid/ask spread in basis points of the mid; NaN when either side is unknown."""
        mid = (self.bid + self.ask) / 2.0
        if not mid or mid != mid:
            return float("nan")
        return (self.ask - self.bid) / mid * 10_000.0


class DepthSnapshot(NamedTuple):
    """A full order-book snapshot (REST `depth`), levels as (price, qty), best first."""

    symbol: str
    ts: int
    last_update_id: int
    bids: tuple[tuple[float, float], ...]
    asks: tuple[tuple[float, float], ...]


class DepthUpdate(NamedTuple):
    """A diff-depth event (Binance `depthUpdate`): qty 0 removes a level.

    `first_update_id`/`final_update_id` are Binance's `U`/`u`; `prev_final_update_id` is futures' `pu` (or -1).
    """

    symbol: str
    ts: int
    first_update_id: int
    final_update_id: int
    bids: tuple[tuple[float, float], ...]
    asks: tuple[tuple[float, float], ...]
    prev_final_update_id: int = -1


class Reconnected(NamedTuple):
    """A stream's connection dropped and came back: events between the two times may be missing.

    The feed answers it by backfilling `symbols` over REST for [gap_start_ms, gap_end_ms], and order books
    resynchronise from a fresh snapshot. `gap_start_ms` is the last message received before the drop.
    """

    source: str
    symbols: tuple[str, ...]
    gap_start_ms: int
    gap_end_ms: int


class MarkPrice(NamedTuple):
    """A USDⓈ-M perpetual's mark price and funding (Binance `markPriceUpdate`, REST `premiumIndex`).

    `funding_rate` is the rate of the next settlement as a fraction (0.0001 = 0.01 %), paid at
    `next_funding_ms`; `index_price` is the spot index the mark is anchored to (NaN when not sent).
    """

    symbol: str
    ts: int
    mark: float
    index_price: float
    funding_rate: float
    next_funding_ms: int


class Rewound(NamedTuple):
    """A replay went back in time (a seek before the current position): everything the events so far built —
    bars, tickers, books, tapes — must be forgotten, and the events from the recording's start come again."""

    source: str
    to_ms: int


#: Everything a market stream (live exchange, simulated market, replay) can emit.
MarketEvent = Trade | Kline | BookTop | TickerStats | DepthSnapshot | DepthUpdate | Reconnected | MarkPrice | Rewound


class SymbolInfo(NamedTuple):
    """A tradable market: unified symbol, its base and quote assets and the exchange-native id."""

    symbol: str
    base: str
    quote: str
    exchange_id: str
    active: bool = True
    #: "spot", or "perp" for a perpetual swap (USDⓈ-M).
    kind: str = "spot"
