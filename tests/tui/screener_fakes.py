"""The app over the seeded fake feed and a real store of real 1h klines, for the screener screens.

Six real Binance symbols (the last 400 bars of ../shared/data) are stored under the fake market's exchange key;
one screen of them is stored as session #1 with a fixed creation time and duration, so what the screener opens
with renders the same in every run. Screens run inline ([compute] workers = 1).
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from cryptoterm.adapters.store.screening_repo import ScreeningRepo
from cryptoterm.adapters.store.sqlite_store import SqliteStore
from cryptoterm.config.schema import AppConfig, ComputeConfig, ScreenerConfig, WatchlistConfig
from cryptoterm.ports.compute import InlineExecutor
from cryptoterm.services.screener import Screener, ScreenRequest, screen_params_dict
from cryptoterm.tui.app import CryptotermApp
from cryptoterm.tui.context import Publish
from cryptoterm.wiring.options import RunOptions
from tests.services.test_scanner_data import candles_of, read_klines
from tests.tui.fakes import FakeFeed, FakeRuntime

EXCHANGE = "sim"
BASES = ("BTC", "ETH", "LTC", "BCH", "ETC", "XMR")
SYMBOLS = tuple(f"{base}/USDT" for base in BASES)
WATCHED = ("BTC/USDT", "ETH/USDT", "LTC/USDT")
CREATED_MS = 1_688_169_600_000


def screener_config() -> AppConfig:
    return msgspec.structs.replace(
        AppConfig(),
        watchlist=WatchlistConfig(symbols=list(WATCHED)),
        compute=ComputeConfig(workers=1),
        screener=ScreenerConfig(bars=300, min_bars=200, chunk_pairs=4),
    )


def seed_store(path: Path, shared_data: Path, *, stored_session: bool = True) -> None:
    """Real klines for `SYMBOLS` and, when asked, one stored screen of them (session #1)."""
    with SqliteStore(path, batch_ms=0) as store:
        for base, symbol in zip(BASES, SYMBOLS, strict=True):
            store.write_candles(EXCHANGE, symbol, "1h", candles_of(read_klines(shared_data, base, "1h").tail(400)))
        if not stored_session:
            return
        request = ScreenRequest(SYMBOLS, "1h", bars=300, min_bars=200, chunk_pairs=4)
        run = Screener(store, EXCHANGE, InlineExecutor()).run(request, save=False)
        ScreeningRepo(store).save_screening(
            created_ms=CREATED_MS,
            exchange=EXCHANGE,
            timeframe="1h",
            since_ms=None,
            until_ms=None,
            first_ms=int(run.aligned.open_time[0]),
            last_ms=int(run.aligned.open_time[-1]),
            n_bars=run.n_bars,
            symbols=run.symbols,
            requested=SYMBOLS,
            dropped=[],
            params=screen_params_dict(request),
            executor="inline",
            duration_ms=1_250,
            errors=[],
            results=run.results,
        )


class ScreenerRuntime(FakeRuntime):
    """`FakeRuntime` with the seeded SQLite store."""

    def __init__(self, feed: FakeFeed, db_path: Path) -> None:
        super().__init__(feed, mode="demo", exchange=EXCHANGE)
        self.store = SqliteStore(db_path, batch_ms=0)

    async def close(self) -> None:
        await super().close()
        self.store.close()


def screener_app(db_path: Path) -> CryptotermApp:
    def build(config: AppConfig, options: RunOptions, publish: Publish) -> ScreenerRuntime:
        return ScreenerRuntime(FakeFeed(config.watchlist.symbols, publish=publish), db_path)

    return CryptotermApp(screener_config(), RunOptions(mode="demo"), build_engine=build)  # type: ignore[arg-type]
