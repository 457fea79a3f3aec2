"""The SQLite store: `SqliteStore` reads and writes candles (`ports.candles`) plus the small reads screens need.

`SqliteStore` bundles the one `StoreWriter` (all writes, batched) with a pool of read-only connections (all
reads, never blocked by the writer thanks to WAL). Synchronous `write_candles` (backfills, downloads, tests) rides
the writer's queue and waits for its commit, so there is still exactly one write connection per process.
Ranges are half-open like `HistorySource.fetch_candles`: since_ms <= open_time < until_ms.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlite_utils import Database

from cryptoterm.adapters.store.database import StoreError, database_file_size, default_db_path
from cryptoterm.adapters.store.pool import ReaderPool
from cryptoterm.adapters.store.quality import read_quality_metrics, upsert_quality_metrics
from cryptoterm.adapters.store.symbols import read_symbols, replace_symbols
from cryptoterm.adapters.store.writer import StoreWriter, WriterStats
from cryptoterm.adapters.store.writes import CANDLE_FIELDS, check_series_key
from cryptoterm.config.schema import StoreConfig
from cryptoterm.domain.market import Candle, SymbolInfo, Trade
from cryptoterm.ports.quality import QualityMetricsRow

_SELECT = "SELECT open_time, open, high, low, close, volume, quote_volume, trades FROM candles"
_FRAME_COLUMNS: tuple[str, ...] = CANDLE_FIELDS

# Distinct symbols by hopping along the primary key (one index seek per symbol) instead of scanning every candle:
# with 40 symbols × 20,000 bars this touches 40 index entries, not 800,000.
_SYMBOLS_SQL = """
WITH RECURSIVE hop(symbol) AS (
    SELECT (SELECT min(symbol) FROM candles WHERE exchange = :exchange)
    UNION ALL
    SELECT (SELECT min(symbol) FROM candles WHERE exchange = :exchange AND symbol > hop.symbol)
    FROM hop WHERE hop.symbol IS NOT NULL
)
SELECT symbol FROM hop
WHERE symbol IS NOT NULL AND EXISTS (
    SELECT 1 FROM candles c
    WHERE c.exchange = :exchange AND c.symbol = hop.symbol AND c.timeframe = :timeframe
)
"""


@dataclass(frozen=True, slots=True)
class StoreHealth:
    """What the health screen shows about storage; `table_counts()` is separate because it scans tables."""

    path: str
    file_size: int
    writer: WriterStats


class SqliteStore:
    """Candles, markets, trades and data-quality rows in one SQLite file.

    `SqliteStore(path)` opens (creating and migrating) the file; `SqliteStore()` uses `default_db_path()`.
    Live producers call `submit_candles` (returns at once); everything else is synchronous. `close()` writes
    what is queued and closes every connection.
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        batch_ms: int = 250,
        max_batch_rows: int = 10_000,
        max_idle_readers: int = 4,
    ) -> None:
        if path is not None and str(path) == ":memory:":
            raise StoreError(":memory: cannot be shared by the writer and readers; use a temporary file")
        self.path = Path(path).expanduser() if path is not None and str(path) else default_db_path()
        self.writer = StoreWriter(self.path, batch_ms=batch_ms, max_rows=max_batch_rows)
        self._readers = ReaderPool(self.path, max_idle=max_idle_readers)

    @classmethod
    def from_config(cls, config: StoreConfig) -> SqliteStore:
        """Open the store `[store]` describes (an empty path means the platform data dir)."""
        return cls(config.path or None, batch_ms=config.batch_ms)

    def reader(self) -> AbstractContextManager[Database]:
        """Borrow a read-only connection, for repositories of other tables that share this file."""
        return self._readers.connection()

    # -- writes (all through the one writer) -----------------------------------------------------------

    def write_candles(self, exchange: str, symbol: str, timeframe: str, candles: Sequence[Candle]) -> int:
        """Upsert closed candles in one transaction and wait for it; returns how many rows were new or changed."""
        check_series_key(exchange, symbol, timeframe)
        return self.writer.write_candles(exchange, symbol, timeframe, candles)

    def submit_candles(self, exchange: str, symbol: str, timeframe: str, candles: Sequence[Candle]) -> None:
        """Queue closed candles for the next batch; returns at once (safe on the asyncio loop)."""
        check_series_key(exchange, symbol, timeframe)
        self.writer.submit_candles(exchange, symbol, timeframe, candles)

    def submit_trades(self, exchange: str, trades: Sequence[Trade]) -> None:
        """Queue trades for recording; returns at once."""
        self.writer.submit_trades(exchange, trades)

    def write_symbols(self, exchange: str, markets: Sequence[SymbolInfo], updated_ms: int) -> int:
        """Replace the stored market list of `exchange` (missing markets become inactive)."""
        return self.writer.call(lambda db: replace_symbols(db, exchange, markets, updated_ms), what="symbols")

    def write_quality_metrics(self, rows: Sequence[QualityMetricsRow]) -> int:
        """Insert or replace data-quality rows."""
        return self.writer.call(lambda db: upsert_quality_metrics(db, rows), what="quality metrics")

    @property
    def queue_depth(self) -> int:
        """Writes waiting for the writer (the status bar's store queue)."""
        return self.writer.queue_depth

    def flush(self, timeout: float | None = None) -> None:
        """Block until everything submitted so far is committed."""
        self.writer.flush(timeout)

    # -- reads ---------------------------------------------------------------------------------------------

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
        rows = self._select(exchange, symbol, timeframe, since_ms, until_ms, limit)
        return [Candle(*row) for row in rows]

    def read_candles_frame(
        self,
        exchange: str,
        symbol: str,
        timeframe: str,
        since_ms: int | None = None,
        until_ms: int | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """Candles as a DataFrame indexed by `open_time` (int64 ms), columns open…trades, oldest first.

        Built straight from the fetched rows as one float64 block (exact for ms timestamps and trade counts,
        both far below 2**53), which is what the scanner wants for indicator maths over big windows.
        """
        rows = self._select(exchange, symbol, timeframe, since_ms, until_ms, limit)
        block = np.array(rows, dtype=np.float64).reshape(len(rows), 1 + len(_FRAME_COLUMNS))
        data: dict[str, Any] = {name: block[:, i + 1] for i, name in enumerate(_FRAME_COLUMNS)}
        data["trades"] = block[:, -1].astype(np.int64)
        index = pd.Index(block[:, 0].astype(np.int64), name="open_time")
        return pd.DataFrame(data, index=index, columns=list(_FRAME_COLUMNS))

    def candle_bounds(self, exchange: str, symbol: str, timeframe: str) -> tuple[int, int] | None:
        """(first, last) stored open_time, or None when nothing is stored."""
        with self._readers.connection() as db:
            first, last = db.execute(
                "SELECT min(open_time), max(open_time) FROM candles"
                " WHERE exchange = ? AND symbol = ? AND timeframe = ?",
                (exchange, symbol, timeframe),
            ).fetchone()
        return None if first is None else (int(first), int(last))

    def count_candles(self, exchange: str, symbol: str | None = None, timeframe: str | None = None) -> int:
        """Stored candles of an exchange, optionally of one symbol and/or timeframe."""
        sql = "SELECT count(*) FROM candles WHERE exchange = ?"
        args: list[str] = [exchange]
        if symbol is not None:
            sql += " AND symbol = ?"
            args.append(symbol)
        if timeframe is not None:
            sql += " AND timeframe = ?"
            args.append(timeframe)
        with self._readers.connection() as db:
            return int(db.execute(sql, args).fetchone()[0])

    def symbols_with_candles(self, exchange: str, timeframe: str) -> list[str]:
        """Symbols that have at least one stored candle of `timeframe`, sorted."""
        with self._readers.connection() as db:
            rows = db.execute(_SYMBOLS_SQL, {"exchange": exchange, "timeframe": timeframe}).fetchall()
        return [str(row[0]) for row in rows]

    def read_symbols(self, exchange: str, *, active_only: bool = True) -> list[SymbolInfo]:
        """Stored markets of `exchange`, sorted by symbol."""
        with self._readers.connection() as db:
            return read_symbols(db, exchange, active_only=active_only)

    def read_quality_metrics(
        self, exchange: str | None = None, timeframe: str | None = None
    ) -> list[QualityMetricsRow]:
        """Stored data-quality rows, worst score first."""
        with self._readers.connection() as db:
            return read_quality_metrics(db, exchange, timeframe)

    def table_counts(self) -> dict[str, int]:
        """Row count of every table (the health screen's storage panel)."""
        with self._readers.connection() as db:
            names = [name for name in db.table_names() if not name.startswith("sqlite_")]
            return {name: db.table(name).count for name in names}

    def health(self) -> StoreHealth:
        """File size and writer counters at one instant (cheap: no table scans)."""
        return StoreHealth(path=str(self.path), file_size=self.file_size(), writer=self.writer.stats())

    def file_size(self) -> int:
        """Bytes on disk, including the WAL."""
        return database_file_size(self.path)

    def close(self) -> None:
        """Write what is queued, stop the writer and close every connection. Safe to call twice."""
        try:
            self.writer.close()
        finally:
            self._readers.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _select(
        self,
        exchange: str,
        symbol: str,
        timeframe: str,
        since_ms: int | None,
        until_ms: int | None,
        limit: int | None,
    ) -> list[tuple[Any, ...]]:
        sql = _SELECT + " WHERE exchange = ? AND symbol = ? AND timeframe = ?"
        args: list[Any] = [exchange, symbol, timeframe]
        if since_ms is not None:
            sql += " AND open_time >= ?"
            args.append(int(since_ms))
        if until_ms is not None:
            sql += " AND open_time < ?"
            args.append(int(until_ms))
        if limit is not None:
            if limit < 0:
                raise ValueError(f"limit must be >= 0, got {limit}")
            sql += " ORDER BY open_time DESC LIMIT ?"
            args.append(int(limit))
        else:
            sql += " ORDER BY open_time"
        with self._readers.connection() as db:
            rows: list[tuple[Any, ...]] = db.execute(sql, args).fetchall()
        if limit is not None:
            rows.reverse()
        return rows
