"""SQLite storage: one file, WAL, ordered migrations, one batching writer, read-only reader connections.

Typical use::

    store = SqliteStore(config.store.path or None, batch_ms=config.store.batch_ms)
    store.submit_candles("binance", "BTC/USDT", "1m", closed_bars)    # from the feed; returns at once
    frame = store.read_candles_frame("binance", "BTC/USDT", "1h", limit=500)
    store.close()                                                     # writes what is queued

Other repositories sharing the file write through `store.writer.submit(fn)` / `store.writer.call(fn)` and read
through `store.reader()`.
"""

from cryptoterm.adapters.store.database import (
    StoreError,
    database_file_size,
    default_db_path,
    open_database,
)
from cryptoterm.adapters.store.migrations import MIGRATIONS, SCHEMA_VERSION, Migration, migrate_schema, schema_version
from cryptoterm.adapters.store.sqlite_store import SqliteStore, StoreHealth
from cryptoterm.adapters.store.writer import StoreWriter, WriterStats
from cryptoterm.ports.quality import QualityMetricsRow

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Migration",
    "QualityMetricsRow",
    "SqliteStore",
    "StoreError",
    "StoreHealth",
    "StoreWriter",
    "WriterStats",
    "database_file_size",
    "default_db_path",
    "migrate_schema",
    "open_database",
    "schema_version",
]
