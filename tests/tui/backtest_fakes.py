"""The app over the seeded fake feed and a real store of real 1h klines, for the backtest screens.

The newest 3,000 real Binance 1h bars of BTC, ETH and LTC are stored under the fake market's exchange key. The
config has two strategies: the SMA cross of the backtest command's tests (signal in, signal out) and an RSI dip
with a stop and two targets; `[backtest]` fills at the next open with all equity, 10 bps a side. Sweeps run
inline ([compute] workers = 1). `seed_runs` stores two runs with fixed creation times, for the comparison.
"""

from __future__ import annotations

import textwrap
import tomllib
from pathlib import Path

import msgspec

from cryptoterm.adapters.store.backtests_repo import BacktestsRepo
from cryptoterm.adapters.store.sqlite_store import SqliteStore
from cryptoterm.config.schema import AppConfig
from cryptoterm.services.backtest_records import save_run
from cryptoterm.services.backtester import Backtester, BacktestRequest, BacktestRun
from cryptoterm.tui.app import CryptotermApp
from cryptoterm.tui.context import Publish
from cryptoterm.wiring.options import RunOptions
from tests.services.test_scanner_data import candles_of, read_klines
from tests.tui.fakes import FakeFeed, FakeRuntime

EXCHANGE = "sim"
BASES = ("BTC", "ETH", "LTC")
SYMBOLS = tuple(f"{base}/USDT" for base in BASES)
BARS = 3_000
CREATED_MS = (1_688_169_600_000, 1_688_173_200_000)
CONFIG = """
    [watchlist]
    symbols = ["BTC/USDT", "ETH/USDT"]

    [compute]
    workers = 1

    [backtest]
    fee_bps = 10.0
    sizing = "equity_pct"
    fill = "next_open"

    [[strategy]]
    name = "sma-cross"
    enabled = false
    universe = { symbols = ["BTC/USDT", "ETH/USDT"] }
    when = ["sma({fast}) crosses_above sma({slow})"]
    exit = ["sma({fast}) crosses_below sma({slow})"]
    params = { fast = 10, slow = 50 }

    [[strategy]]
    name = "rsi-dip"
    enabled = false
    universe = { symbols = ["BTC/USDT"] }
    when = ["rsi({n}) < {low}"]
    params = { n = 14, low = 30 }
    levels = { entry = "close", stop = "close - 1.5 * atr(14)", targets = ["2R", "3R"] }
    expires = "6 bars"
"""


def backtest_config() -> AppConfig:
    return msgspec.convert(tomllib.loads(textwrap.dedent(CONFIG)), AppConfig)


def seed_store(path: Path, shared_data: Path) -> None:
    with SqliteStore(path, batch_ms=0) as store:
        for base, symbol in zip(BASES, SYMBOLS, strict=True):
            store.write_candles(EXCHANGE, symbol, "1h", candles_of(read_klines(shared_data, base, "1h").tail(BARS)))


def backtest_of(path: Path, request: BacktestRequest) -> BacktestRun:
    """The service's own result for `request` on the seeded store (what the screen must show)."""
    config = backtest_config()
    with SqliteStore(path, batch_ms=0) as store:
        return Backtester(store, EXCHANGE, config.scanner).run(request)


def seed_runs(path: Path, requests: tuple[BacktestRequest, BacktestRequest]) -> list[BacktestRun]:
    """Store two runs as the screen and the command store them, with fixed creation times."""
    config = backtest_config()
    runs = []
    with SqliteStore(path, batch_ms=0) as store:
        archive = BacktestsRepo(store)
        for request, created in zip(requests, CREATED_MS, strict=True):
            run = Backtester(store, EXCHANGE, config.scanner).run(request)
            save_run(archive, run, EXCHANGE, created_ms=created)
            runs.append(run)
    return runs


class BacktestRuntime(FakeRuntime):
    """`FakeRuntime` with the seeded SQLite store."""

    def __init__(self, feed: FakeFeed, db_path: Path) -> None:
        super().__init__(feed, mode="demo", exchange=EXCHANGE)
        self.store = SqliteStore(db_path, batch_ms=0)

    async def close(self) -> None:
        await super().close()
        self.store.close()


def backtest_app(db_path: Path) -> CryptotermApp:
    def build(config: AppConfig, options: RunOptions, publish: Publish) -> BacktestRuntime:
        return BacktestRuntime(FakeFeed(config.watchlist.symbols, publish=publish), db_path)

    return CryptotermApp(backtest_config(), RunOptions(mode="demo"), build_engine=build)  # type: ignore[arg-type]
