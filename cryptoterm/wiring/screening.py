"""What a pairs screen runs on: the store's candles, the screener over an executor, the archive of sessions.

Shared by the `screen` command and the TUI's screener screen, so both read, screen and store the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from cryptoterm.config.schema import AppConfig
from cryptoterm.ports.candles import CandleReader
from cryptoterm.ports.compute import ComputeExecutor
from cryptoterm.ports.screening import ScreeningArchive
from cryptoterm.services.screener import Screener
from cryptoterm.wiring.compute import build_executor
from cryptoterm.wiring.errors import StartupError
from cryptoterm.wiring.options import RunOptions

if TYPE_CHECKING:
    from cryptoterm.adapters.store.sqlite_store import SqliteStore


@dataclass(slots=True)
class ScreenerParts:
    """The screener, the candles it reads, the archive it stores sessions in; `close` stops the executor and
    closes the store."""

    screener: Screener
    candles: CandleReader
    archive: ScreeningArchive
    exchange: str
    executor: ComputeExecutor
    _store: SqliteStore

    def close(self) -> None:
        try:
            self.executor.close()
        finally:
            self._store.close()


def build_screener(
    config: AppConfig,
    options: RunOptions,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
) -> ScreenerParts:
    """The screener over the configured database (`--demo`: the simulated market's candles); raises
    `StartupError` with one line (a database that will not open, an executor that cannot start)."""
    from cryptoterm.adapters.store.screening_repo import ScreeningRepo
    from cryptoterm.wiring.build import open_store
    from cryptoterm.wiring.markets import DEMO_EXCHANGE

    store = open_store(config, options, batch_ms=0)
    try:
        executor = build_executor(config.compute, workers=workers, scheduler=scheduler)
    except BaseException:
        store.close()
        raise
    exchange = DEMO_EXCHANGE if options.mode == "demo" else config.exchange.id
    archive = ScreeningRepo(store)
    screener = Screener(store, exchange, executor, archive)
    return ScreenerParts(screener, store, archive, exchange, executor, store)


def screening_on(store: object, exchange: str, executor: ComputeExecutor) -> tuple[Screener, ScreeningArchive]:
    """A screener over an already open store (the TUI's engine store) and the archive of its sessions there;
    `StartupError` when the store is not the SQLite store (a replay keeps none)."""
    from cryptoterm.adapters.store.screening_repo import ScreeningRepo

    if not (hasattr(store, "writer") and hasattr(store, "reader") and hasattr(store, "read_candles_frame")):
        raise StartupError("pair screens need the database; this mode has none")
    repo = ScreeningRepo(cast("SqliteStore", store))
    return Screener(cast("CandleReader", store), exchange, executor, repo), repo
