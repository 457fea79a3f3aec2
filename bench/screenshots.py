"""`python -m bench.screenshots`: SVG screenshots of every screen into screenshots/.

The market is the built-in simulated one with a fixed seed and start time; it is stepped a fixed number of
batches before the app starts and then held still (the clock is the simulated clock, frozen), so the same
commit always produces the same pictures. Screens are shot at 120×40, plus the dashboard at 80×24 and the
too-small notice at 50×12.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from cryptoterm.adapters.sim import SimulatedMarket
from cryptoterm.config.schema import AppConfig, DemoConfig
from cryptoterm.domain.market import Candle
from cryptoterm.services.market_feed import MarketFeed
from cryptoterm.services.snapshots import MarketSnapshot
from cryptoterm.tui.app import CryptotermApp
from cryptoterm.tui.context import Publish
from cryptoterm.tui.screens import HOME, SCREENS
from cryptoterm.tui.screens.dashboard import DashboardScreen
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

    def stop(self) -> None:
        self._hold.set()


class FrozenDemoRuntime:
    mode = "demo"
    exchange = "sim"

    def __init__(self, config: AppConfig, publish: Publish) -> None:
        demo = DemoConfig(seed=SEED, symbols=20, speed=0.0, history_days=3, trades_per_second=200.0)
        sim = SimulatedMarket(demo, START_MS, clock=lambda: START_MS)
        self.feed = FrozenDemoFeed(sim, publish)

    async def start(self) -> None:
        await self.feed.prepare()

    async def close(self) -> None:
        self.feed.stop()


def _app() -> CryptotermApp:
    def build(config: AppConfig, options: RunOptions, publish: Publish) -> FrozenDemoRuntime:
        return FrozenDemoRuntime(config, publish)

    config = AppConfig()
    return CryptotermApp(config, RunOptions(mode="demo"), build_runtime=build)


async def _settle(pilot: Pilot[Any]) -> None:
    for _ in range(20):
        await pilot.pause(0.05)
        if pilot.app.session.snapshot is not None:  # type: ignore[attr-defined]
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
    return [await shoot(name, size, steps, out_dir) for name, size, steps in SHOTS]


def main(argv: list[str]) -> int:
    out_dir = Path(argv[0]) if argv else OUT_DIR
    for path in asyncio.run(main_async(out_dir)):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
