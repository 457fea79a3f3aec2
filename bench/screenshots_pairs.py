"""`python -m bench.screenshots_pairs`: the pairs screener and a pair detail as SVGs in screenshots/.

The data is real: the last 1,000 1h bars of twelve Binance symbols from ../shared/data, stored in a temporary
database, screened once in this process before the app starts (stored as session #1 with a fixed time and
duration, so the same data always gives the same pictures). The market stream is a quiet one (no prices), as the
screener reads only the store. Shot at 120×40: the screener filtered to `p<0.3`, then the detail of the best
pair with its z-score chart.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import tempfile
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pandas as pd
from textual.pilot import Pilot

from cryptoterm.adapters.store.screening_repo import ScreeningRepo
from cryptoterm.adapters.store.sqlite_store import SqliteStore
from cryptoterm.config.schema import AppConfig, ComputeConfig, ScreenerConfig
from cryptoterm.domain.market import Candle
from cryptoterm.ports.compute import InlineExecutor
from cryptoterm.services.market_snapshot import MarketSnapshot
from cryptoterm.services.screener import Screener, ScreenRequest, screen_params_dict
from cryptoterm.tui.app import CryptotermApp
from cryptoterm.tui.context import EmptyFeed, Publish
from cryptoterm.tui.screens.pair_detail import PairDetailScreen
from cryptoterm.tui.screens.screener import ScreenerScreen
from cryptoterm.wiring.options import RunOptions

OUT_DIR = Path(__file__).resolve().parent.parent / "screenshots"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
BASES = ("BTC", "ETH", "BNB", "LTC", "BCH", "ETC", "XMR", "LINK", "DOT", "ADA", "SOL", "AVAX")
BARS = 1_000
EXCHANGE = "sim"
CREATED_MS = 1_688_169_600_000
SIZE = (120, 40)


class QuietFeed(EmptyFeed):
    """No prices: the screener screens read the store, not the stream."""

    async def run(self) -> None:
        await asyncio.Event().wait()

    def snapshot(self) -> MarketSnapshot:
        return dataclasses.replace(super().snapshot(), ts=CREATED_MS)


class StoreRuntime:
    scanning = None
    alerts = None
    anomalies = None
    broker = None
    journal = None
    views = None

    def __init__(self, db: Path) -> None:
        self.mode = "demo"
        self.exchange = EXCHANGE
        self.feed = QuietFeed("demo", EXCHANGE)
        self.store = SqliteStore(db, batch_ms=0)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self.store.close()

    async def add_symbol(self, symbol: str) -> None:
        raise ValueError(f"{symbol}: this market streams nothing")

    async def remove_symbol(self, symbol: str) -> None:
        return None


def seed(db: Path) -> None:
    with SqliteStore(db, batch_ms=0) as store:
        for base in BASES:
            frame = pd.read_csv(SHARED / "klines" / "1h" / f"{base}USDT-1h.csv.gz").tail(BARS)
            candles = [
                Candle(int(t), float(o), float(h), float(lo), float(c), float(v), float(c * v), 0, closed=True)
                for t, o, h, lo, c, v in frame[["open_time", "open", "high", "low", "close", "volume"]].to_numpy()
            ]
            store.write_candles(EXCHANGE, f"{base}/USDT", "1h", candles)
        symbols = tuple(f"{base}/USDT" for base in BASES)
        request = ScreenRequest(symbols, "1h", bars=BARS, min_bars=500)
        run = Screener(store, EXCHANGE, InlineExecutor()).run(request, save=False)
        ScreeningRepo(store).save_screening(
            created_ms=CREATED_MS, exchange=EXCHANGE, timeframe="1h", since_ms=None, until_ms=None,
            first_ms=int(run.aligned.open_time[0]), last_ms=int(run.aligned.open_time[-1]), n_bars=run.n_bars,
            symbols=run.symbols, requested=symbols, dropped=[], params=screen_params_dict(request),
            executor="inline", duration_ms=2_100, errors=[], results=run.results,
        )  # fmt: skip


def app(db: Path) -> CryptotermApp:
    config = msgspec.structs.replace(
        AppConfig(), compute=ComputeConfig(workers=1), screener=ScreenerConfig(bars=BARS, min_bars=500)
    )

    def build(config: AppConfig, options: RunOptions, publish: Publish) -> StoreRuntime:
        return StoreRuntime(db)

    return CryptotermApp(config, RunOptions(mode="demo"), build_engine=build)  # type: ignore[arg-type]


async def _until(pilot: Pilot[Any], condition: Any) -> None:
    for _ in range(2_000):
        if condition():
            return
        await pilot.pause(0.02)
    raise RuntimeError("the screen did not settle")


async def shoot(db: Path, out_dir: Path) -> list[Path]:
    shots = []
    application = app(db)
    async with application.run_test(size=SIZE) as pilot:
        await pilot.press("P")
        await _until(pilot, lambda: isinstance(application.screen, ScreenerScreen) and application.screen.summary)
        await pilot.press("f", *"p<0.3", "enter")
        await pilot.pause(0.2)
        shots.append(Path(application.save_screenshot("screen-pairs-screener.svg", str(out_dir))))
        await pilot.press("enter")
        await _until(pilot, lambda: isinstance(application.screen, PairDetailScreen) and application.screen.detail)
        await pilot.pause(0.2)
        shots.append(Path(application.save_screenshot("pair-detail.svg", str(out_dir))))
    return shots


def main(argv: list[str]) -> int:
    if not (SHARED / "klines" / "1h").is_dir():
        print(f"needs the real klines in {SHARED}", file=sys.stderr)
        return 1
    out_dir = Path(argv[0]) if argv else OUT_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    np.seterr(all="ignore")
    with tempfile.TemporaryDirectory(prefix="cryptoterm-pairs-") as folder:
        db = Path(folder) / "pairs.db"
        seed(db)
        for path in asyncio.run(shoot(db, out_dir)):
            print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
