"""What `cryptoterm export`, `cryptoterm import` and the data screen work with: the store, its exporter and
importer, the exchange key the data is stored under (the config's exchange; `--demo`: the simulated market's),
and the adapter that reads candle files and writes export files (faces reach adapters only through here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, TextIO

from cryptoterm.config.schema import AppConfig
from cryptoterm.domain.candle_files import SeriesRead
from cryptoterm.ports.data_io import CandleImporter, CandleStatistics, ExportFilter, ExportKind, TableExporter
from cryptoterm.wiring.options import RunOptions

if TYPE_CHECKING:
    from cryptoterm.adapters.store import SqliteStore


@dataclass(slots=True)
class DataIO:
    store: SqliteStore
    exporter: TableExporter
    importer: CandleImporter
    exchange: str

    def close(self) -> None:
        self.store.close()


def open_data_io(config: AppConfig, options: RunOptions) -> DataIO:
    """The configured database for exports and imports (`StartupError`: it cannot be opened)."""
    from cryptoterm.adapters.store.data_io import StoreDataIO
    from cryptoterm.wiring.build import open_store
    from cryptoterm.wiring.markets import DEMO_EXCHANGE

    store = open_store(config, options, batch_ms=0)
    io = StoreDataIO(store)
    return DataIO(store, io, io, DEMO_EXCHANGE if options.mode == "demo" else config.exchange.id)


def data_io_over(store: object) -> tuple[TableExporter, CandleImporter, CandleStatistics] | None:
    """Exporter, importer and statistics over a running engine's store (the data screen writes through the
    engine's one writer); None when the store is not the SQLite store (tests' fakes)."""
    from cryptoterm.adapters.store import SqliteStore
    from cryptoterm.adapters.store.data_io import StoreDataIO

    if not isinstance(store, SqliteStore):
        return None
    io = StoreDataIO(store)
    return io, io, io


def read_candle_files(paths: Sequence[str | Path], symbol: str = "", timeframe: str = "") -> list[SeriesRead]:
    """Every series of every file, checked (`CandleFileError` names the file, line and column)."""
    from cryptoterm.adapters.candle_io import read_candle_file

    return [series for path in paths for series in read_candle_file(Path(path), symbol, timeframe)]


def open_export(path: str | None, stdout: TextIO) -> TextIO:
    """Where an export goes: `path` (`.gz`: compressed), or `stdout`. Raises OSError."""
    from cryptoterm.adapters.candle_io import open_output

    return open_output(path, stdout)


def write_export(exporter: TableExporter, kind: ExportKind, where: ExportFilter, fmt: str, target: IO[str]) -> int:
    """Stream `kind`'s rows as CSV or JSON into `target`; returns the rows written."""
    from cryptoterm.adapters.candle_io import write_rows

    return write_rows(exporter, kind, where, fmt, target)
