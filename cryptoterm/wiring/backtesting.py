"""What the backtest screen runs on: the backtester over the engine's own store, the archive of runs kept there,
and the universes of the configured strategies — the same parts `build_backtest` gives the `backtest` command,
over a store that is already open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from cryptoterm.config.schema import AppConfig
from cryptoterm.ports.backtests import BacktestArchive
from cryptoterm.ports.candles import CandleReader
from cryptoterm.services.backtester import Backtester
from cryptoterm.services.universe_provider import UniverseProvider
from cryptoterm.wiring.errors import StartupError

if TYPE_CHECKING:
    from cryptoterm.adapters.store.sqlite_store import SqliteStore


@dataclass(frozen=True, slots=True)
class BacktestTools:
    """The backtester, the candles it reads, the archive it stores runs in, the strategies' universes."""

    backtester: Backtester
    candles: CandleReader
    archive: BacktestArchive
    universe: UniverseProvider
    exchange: str


def backtesting_on(store: object, exchange: str, config: AppConfig, watchlist: Sequence[str]) -> BacktestTools:
    """The backtest parts over an open store (the TUI's engine store); a strategy without a universe backtests
    `watchlist` as the scanner would scan it. `StartupError` when the store is not the SQLite store."""
    from cryptoterm.adapters.store.backtests_repo import BacktestsRepo

    if not (hasattr(store, "writer") and hasattr(store, "reader") and hasattr(store, "read_candles_frame")):
        raise StartupError("backtests need the database; this mode has none")
    sqlite = cast("SqliteStore", store)
    candles = cast(CandleReader, store)
    universes = {s.name: s.universe for s in config.strategy}
    default = list(watchlist) or list(config.watchlist.symbols)
    return BacktestTools(
        backtester=Backtester(candles, exchange, config.scanner),
        candles=candles,
        archive=BacktestsRepo(sqlite),
        universe=UniverseProvider(candles, exchange, universes, default),
        exchange=exchange,
    )
