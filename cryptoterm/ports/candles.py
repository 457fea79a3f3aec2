"""Candle storage as the services see it: a reader, a writer, and both together.

One SQLite file in production (`adapters.store.SqliteStore`); small in-memory fakes in services tests. Reads
are synchronous and thread-safe (scans run in worker threads); live bars are queued with `submit_candles`
(returns at once, safe on the event loop), history is written with `write_candles` (waits for the commit).
Ranges are half-open: since_ms <= open_time < until_ms.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from cryptoterm.domain.market import Candle, SymbolInfo, Trade

if TYPE_CHECKING:  # the frame type only: importing pandas is not free, and readers of lists never need it
    import pandas as pd


class CandleReader(Protocol):
    """Stored closed candles."""

    def read_candles(
        self,
        exchange: str,
        symbol: str,
        timeframe: str,
        since_ms: int | None = None,
        until_ms: int | None = None,
        limit: int | None = None,
    ) -> list[Candle]:
        """Closed candles in open_time order; `limit` keeps the newest ones."""
        ...

    def read_candles_frame(
        self,
        exchange: str,
        symbol: str,
        timeframe: str,
        since_ms: int | None = None,
        until_ms: int | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """The same candles as a float frame indexed by `open_time` (ms), columns open … trades."""
        ...

    def candle_bounds(self, exchange: str, symbol: str, timeframe: str) -> tuple[int, int] | None:
        """(first, last) stored open_time, or None when nothing is stored."""
        ...

    def symbols_with_candles(self, exchange: str, timeframe: str) -> list[str]:
        """Symbols with at least one stored candle of `timeframe`, sorted."""
        ...


class CandleWriter(Protocol):
    """Writes into the store: one writer, every multi-row write one transaction."""

    def write_candles(self, exchange: str, symbol: str, timeframe: str, candles: Sequence[Candle]) -> int:
        """Upsert closed candles and wait for the commit; returns how many rows were new or changed."""
        ...

    def submit_candles(self, exchange: str, symbol: str, timeframe: str, candles: Sequence[Candle]) -> None:
        """Queue closed candles for the next batch; returns at once."""
        ...

    def submit_trades(self, exchange: str, trades: Sequence[Trade]) -> None:
        """Queue trades for recording; returns at once."""
        ...

    def write_symbols(self, exchange: str, markets: Sequence[SymbolInfo], updated_ms: int) -> int:
        """Replace the stored market list of `exchange`."""
        ...

    def flush(self, timeout: float | None = None) -> None:
        """Block until everything submitted so far is committed (a scan must see the bar that just closed)."""
        ...


class CandleStore(CandleReader, CandleWriter, Protocol):
    """Reader and writer of one store."""

    def close(self) -> None: ...
