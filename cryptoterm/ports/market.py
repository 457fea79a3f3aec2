"""Market data ports: a stream of live events and a source of history."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from cryptoterm.domain.market import Candle, DepthSnapshot, MarketEvent, SymbolInfo, TickerStats

ConnectionState = Literal["connecting", "connected", "reconnecting", "disconnected", "closed"]
BreakerState = Literal["closed", "open", "half-open"]


@dataclass(frozen=True, slots=True)
class StreamHealth:
    """A snapshot of one connection's health, shown on the status bar and the health screen."""

    name: str
    state: ConnectionState
    messages: int = 0
    reconnects: int = 0
    errors: int = 0
    last_message_ms: int = 0
    last_event_lag_ms: float = float("nan")
    breaker: BreakerState = "closed"
    detail: str = ""
    #: Connections dropped because they stayed open but delivered no data (`[exchange.reliability] stall_after_s`).
    stalls: int = 0
    #: Live snapshots (book tops, tickers, book snapshots) replaced by newer ones before the consumer read them.
    coalesced: int = 0


class MarketStream(Protocol):
    """A source of live market events: an exchange's websockets, the simulated market, or a replay.

    `batches()` yields lists of events in arrival order; batching keeps per-event overhead off the hot path.
    Implementations reconnect by themselves and report through `health()`; after a reconnect they emit no
    duplicates, and the feed asks a `HistorySource` to fill the gap.
    """

    name: str

    def batches(self) -> AsyncIterator[Sequence[MarketEvent]]: ...

    async def subscribe(self, symbols: Sequence[str]) -> None: ...

    async def unsubscribe(self, symbols: Sequence[str]) -> None: ...

    def health(self) -> list[StreamHealth]: ...

    async def close(self) -> None: ...


@runtime_checkable
class DepthResync(Protocol):
    """A stream that fetches order-book snapshots when asked (Binance: over REST), optional beside `MarketStream`.

    The feed keeps the one order book per symbol; when that book says it needs a snapshot (start, a gap in the
    diffs, a reconnect, a snapshot too old to join), the feed calls `request_resync(symbol)` and the stream emits
    a fresh `DepthSnapshot` into its events. Requests for a symbol whose fetch is under way are merged; the
    call returns at once. Streams that deliver their own snapshots (the simulated market, replays) lack it.
    """

    def request_resync(self, symbol: str) -> None: ...


class HistorySource(Protocol):
    """REST-style history: markets, candles (paged by the implementation), tickers, book snapshots."""

    name: str

    async def markets(self) -> list[SymbolInfo]: ...

    async def fetch_candles(
        self, symbol: str, timeframe: str, since_ms: int, until_ms: int | None = None
    ) -> list[Candle]:
        """Closed candles with since_ms <= open_time < until_ms (all of them: pages internally)."""
        ...

    async def fetch_tickers(self, symbols: Sequence[str] | None = None) -> list[TickerStats]: ...

    async def fetch_depth(self, symbol: str, limit: int = 1000) -> DepthSnapshot: ...

    async def close(self) -> None: ...
