"""`python -m bench.screenshots`: SVG screenshots of every screen into screenshots/.

The market is the built-in simulated one with a fixed seed and start time; it is stepped a fixed number of
batches before the app starts and then held still (the clock is the simulated clock, frozen), so the same
commit always produces the same pictures. Screens are shot at 120×40, plus the dashboard, the symbol detail
and the setups list at 80×24 and the too-small notice at 50×12. A store in a temporary directory and the
scanner over it (three strategies, history seeded from the market) fill the scanner screens.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec
from textual.pilot import Pilot

from cryptoterm.adapters.sim import SimulatedMarket
from cryptoterm.adapters.store import SqliteStore
from cryptoterm.adapters.store.alerts_repo import AlertsRepo
from cryptoterm.config.schema import AppConfig, DemoConfig, LevelsConfig, ScannerConfig, StrategyConfig, UniverseConfig
from cryptoterm.domain.alerts import RuleFields
from cryptoterm.domain.market import Candle, Trade
from cryptoterm.services.alert_delivery import AlertDelivery
from cryptoterm.services.alert_engine import AlertEngine
from cryptoterm.services.market_feed import MarketFeed
from cryptoterm.services.market_snapshot import MarketSnapshot
from cryptoterm.services.order_books import OrderBooks
from cryptoterm.tui.app import CryptotermApp
from cryptoterm.tui.context import Publish
from cryptoterm.tui.screens import HOME, SCREENS, health
from cryptoterm.tui.screens.dashboard import DashboardScreen
from cryptoterm.wiring.build import build_scan_session
from cryptoterm.wiring.options import RunOptions

OUT_DIR = Path(__file__).resolve().parent.parent / "screenshots"
START_MS = 1_723_161_600_000  # 2024-08-09 00:00 UTC
SEED = 7
WARM_BATCHES = 600  # one simulated minute at 100 ms batches
SIZE = (120, 40)


class FrozenDemoFeed:
    """A `MarketFeed` over the simulated market, advanced a fixed number of batches and then held."""

    def __init__(self, sim: SimulatedMarket, publish: Publish) -> None:
        self.sim = sim
        self.inner = MarketFeed(sim, exchange="sim", mode="demo", symbols=sim.symbols, clock=sim.now_ms)
        self.symbols = self.inner.symbols
        self._publish = publish
        self._hold = asyncio.Event()

    async def prepare(self) -> None:
        await self.inner.load_history(self.sim, self.sim.history_start_ms, until_ms=self.sim.start_ms)
        for _ in range(WARM_BATCHES):
            self.inner.apply(self.sim.next_batch())

    async def run(self) -> None:
        self._publish(self.snapshot())
        await self._hold.wait()

    def snapshot(self) -> MarketSnapshot:
        snapshot = self.inner.snapshot()
        elapsed_s = (self.sim.now_ms() - self.sim.start_ms) / 1000 or 1.0
        # The live feed measures its rate on the wall clock; here it is simulated messages per simulated second.
        stats = dataclasses.replace(snapshot.stats, messages_per_s=snapshot.stats.messages_total / elapsed_s)
        return dataclasses.replace(snapshot, stats=stats)

    def candles(self, symbol: str, timeframe: str, limit: int) -> list[Candle]:
        return self.inner.candles(symbol, timeframe, limit)

    @property
    def books(self) -> OrderBooks:
        return self.inner.books

    def stop(self) -> None:
        self._hold.set()


class FrozenDemoRuntime:
    """The frozen feed plus a store in a temporary directory and the scanner over it (seeded from the market)."""

    mode = "demo"
    exchange = "sim"

    def __init__(self, config: AppConfig, publish: Publish) -> None:
        demo = DemoConfig(seed=SEED, symbols=20, speed=0.0, history_days=3, trades_per_second=200.0)
        sim = SimulatedMarket(demo, START_MS, clock=lambda: START_MS)
        self.feed = FrozenDemoFeed(sim, publish)
        self._tmp = tempfile.TemporaryDirectory(prefix="cryptoterm-shots-")
        self.store = SqliteStore(Path(self._tmp.name) / "cryptoterm.db", batch_ms=0)
        self.scanning = build_scan_session(config, self.store, "sim", sim, history=sim, default_symbols=sim.symbols)
        repo = AlertsRepo(self.store)
        self.alerts = AlertEngine(repo, AlertDelivery(repo, None), self.feed, lambda: START_MS)
        self.anomalies = None
        self.broker = None
        self.journal = None
        self.views = None

    async def start(self) -> None:
        await self.feed.sim.subscribe(self.feed.sim.symbols[:DEPTH_SYMBOLS])
        await self.feed.prepare()
        await self.scanning.start()
        await self.scanning.wait_ready()
        await self._fire_alerts()

    async def _fire_alerts(self) -> None:
        """Rules around the frozen prices, and the trades that make two of them fire (the feed and alerts screen)."""
        btc = self.feed.candles("BTC/USDT", "1m", 1)[-1].close
        eth = self.feed.candles("ETH/USDT", "1m", 1)[-1].close
        rules = [
            RuleFields(
                name="btc-dip", symbol="BTC/USDT", when=f"price crosses_below {btc * 0.999:.2f}", cooldown="10m"
            ),
            RuleFields(name="eth-breakout", symbol="ETH/USDT", when=f"price above {eth * 1.002:.2f}", once=True),
            RuleFields(name="sol-oversold", symbol="SOL/USDT", when="rsi(14) @1h < 25"),
        ]
        await asyncio.to_thread(self.alerts.load)
        for fields in rules:
            await asyncio.to_thread(self.alerts.add_rule, fields)
        await self.alerts.start()
        self.alerts.on_trades(
            [
                Trade("BTC/USDT", START_MS - 120_000, btc, 0.1, "buy"),
                Trade("BTC/USDT", START_MS - 60_000, btc * 0.998, 0.1, "sell"),
                Trade("ETH/USDT", START_MS - 30_000, eth * 1.003, 1.0, "buy"),
            ]
        )
        await self.alerts.drain()

    async def close(self) -> None:
        self.feed.stop()
        self.scanning.close()
        await self.alerts.close()
        self.store.close()
        self._tmp.cleanup()


#: Symbols whose order books stream (the symbol detail's depth ladder).
DEPTH_SYMBOLS = 5
#: Strategies for the scanner screens: two that fire on the simulated minutes, one that rarely does.
STRATEGIES = [
    StrategyConfig(
        name="ema-trend",
        timeframe="1m",
        description="Close above a rising 50-bar EMA.",
        when=["close > ema(50)", "ema(50) > ema(50)[5]"],
        levels=LevelsConfig(entry="close", stop="close - 2 * atr(14)", targets=["2R", "3R"]),
        universe=UniverseConfig(symbols=["BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT", "XRP/USDT", "ADA/USDT"]),
    ),
    StrategyConfig(
        name="bb-fade-short",
        timeframe="1m",
        direction="short",
        description="Short a close above the upper Bollinger band.",
        when=["close > bb.upper(20, 2)"],
        levels=LevelsConfig(entry="close", stop="close + 1.5 * atr(14)", targets=["bb.mid(20, 2)"]),
    ),
    StrategyConfig(
        name="rsi-pullback",
        timeframe="1h",
        enabled=False,
        description="Oversold pullback in an uptrend.",
        when=["rsi(14) < 30", "close > ema(200)"],
    ),
]


def _app() -> CryptotermApp:
    def build(config: AppConfig, options: RunOptions, publish: Publish) -> FrozenDemoRuntime:
        return FrozenDemoRuntime(config, publish)

    config = msgspec.structs.replace(
        AppConfig(),
        strategy=STRATEGIES,
        scanner=ScannerConfig(interval_s=0.0, on_candle_close=False, history_bars=300, lookback_bars=120),
    )
    return CryptotermApp(config, RunOptions(mode="demo"), build_engine=build)


def _hold_machine_figures() -> None:
    """The health screen's process figures, measured latency and stream rates depend on the machine and the
    moment; the pictures show fixed values for them so that they only change when the code does."""
    health.process_stats = lambda: health.ProcessStats(180 * 1024 * 1024, 3_600.0, 14)
    health.median = lambda values: 2.0
    health.HealthScreen._measure_rates = lambda self, snapshot: None  # type: ignore[method-assign]
    # Log lines carry wall-clock times (and the scanner's own timings): keep the scanner's INFO lines out.
    for name in ("cryptoterm.services.scan_session", "cryptoterm.services.scanner", "cryptoterm.services.alert_engine"):
        logging.getLogger(name).setLevel(logging.WARNING)


async def _settle(pilot: Pilot[Any]) -> None:
    for _ in range(200):
        await pilot.pause(0.05)
        app: Any = pilot.app
        if app.session.snapshot is not None and app.scans.scans_started and not app.scans.running:
            break
    await pilot.pause()
    screen = pilot.app.screen
    if isinstance(screen, DashboardScreen):
        screen.redraw_chart()
    await pilot.pause()


Step = Callable[[Pilot[Any]], Awaitable[None]]


def _keys(*keys: str) -> Step:
    async def press(pilot: Pilot[Any]) -> None:
        await pilot.press(*keys)
        await pilot.pause(0.3)

    return press


SHOTS: list[tuple[str, tuple[int, int], list[Step]]] = [
    ("dashboard", SIZE, []),
    ("dashboard-80x24", (80, 24), []),
    ("dashboard-1h-eth", SIZE, [_keys("down", "4")]),
    ("dashboard-light", SIZE, [_keys("t")]),
    ("help", SIZE, [_keys("question_mark")]),
    ("command-palette", SIZE, [_keys("ctrl+p"), _keys(*"chart")]),
    ("too-small", (50, 12), []),
    ("symbol-detail-80x24", (80, 24), [_keys("enter")]),
    ("setup-detail", SIZE, [_keys("u"), _keys("enter")]),
    ("setups-80x24", (80, 24), [_keys("u")]),
    # every other registered screen, through its own key
    *((f"screen-{spec.name}", SIZE, [_keys(spec.key)]) for spec in SCREENS if spec.name != HOME and spec.key),
]


async def shoot(name: str, size: tuple[int, int], steps: list[Step], out_dir: Path) -> Path:
    app = _app()
    async with app.run_test(size=size) as pilot:
        await _settle(pilot)
        for step in steps:
            await step(pilot)
        path = Path(app.save_screenshot(f"{name}.svg", str(out_dir)))
        await pilot.press("escape")
    return path


async def main_async(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    _hold_machine_figures()
    return [await shoot(name, size, steps, out_dir) for name, size, steps in SHOTS]


def main(argv: list[str]) -> int:
    out_dir = Path(argv[0]) if argv else OUT_DIR
    for path in asyncio.run(main_async(out_dir)):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
