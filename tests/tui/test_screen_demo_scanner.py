"""The scanner inside the TUI on the real demo runtime (simulated market at full speed, temporary database):
the startup scan and bar-close scans run in thread workers and open setups, closed bars advance them, and
the setups screen lists them."""

from __future__ import annotations

from pathlib import Path

import msgspec

from cryptoterm.config import default_config
from cryptoterm.config.schema import LevelsConfig, ScannerConfig, StrategyConfig
from cryptoterm.services.engine import Engine
from cryptoterm.tui.app import CryptotermApp
from cryptoterm.tui.screens.setups import SetupsScreen
from cryptoterm.tui.widgets.setup_table import SetupTable
from cryptoterm.wiring.options import RunOptions
from tests.waiting import eventually


def demo_app(tmp_path: Path) -> CryptotermApp:
    config = default_config()
    demo = msgspec.structs.replace(config.demo, symbols=4, history_days=2, speed=0.0)
    strategy = StrategyConfig(
        name="every-bar",
        timeframe="1m",
        when=["close > 0"],
        levels=LevelsConfig(entry="close", stop="close - 2 * atr(14)", targets=["2R"]),
        expires="2 bars",
    )
    scanner = ScannerConfig(interval_s=0.0, on_candle_close=True, history_bars=200)
    config = msgspec.structs.replace(config, demo=demo, scanner=scanner, strategy=[strategy])
    return CryptotermApp(config, RunOptions(mode="demo", db_path=str(tmp_path / "demo.db")))


async def test_demo_scans_open_setups_and_closed_bars_advance_them(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        # The runtime is built after the first frame: wait for it instead of assuming it is there.
        await eventually(lambda: isinstance(app.session.runtime, Engine), "the demo engine built", pause=pilot.pause)
        runtime = app.session.runtime
        assert isinstance(runtime, Engine)

        def scanned_and_moved() -> bool:
            scanning = runtime.scanning
            if scanning is None or app.scans.last_report is None:
                return False
            origins = [r.origin for r in scanning.repo.scan_runs()]
            setups = scanning.repo.recent_setups()
            return "startup" in origins and "1m close" in origins and any(s.state != "new" for s in setups)

        await eventually(
            scanned_and_moved, "a startup scan, a 1m-close scan and a moved setup", pause=lambda: pilot.pause(0.05)
        )
        scanning = runtime.scanning
        assert scanning is not None
        origins = [r.origin for r in scanning.repo.scan_runs()]
        assert "startup" in origins and "1m close" in origins, origins
        setups = scanning.repo.recent_setups()
        assert {s.symbol for s in setups} == set(runtime.feed.symbols)
        assert any(s.state != "new" for s in setups), "closed 1m bars move setups whose entry is the signal close"
        moved = next(s for s in setups if s.state != "new")
        assert moved.last_bar is not None and moved.last_bar > moved.bar_time
        assert scanning.prepare_seconds is not None

        await pilot.press("u")
        await eventually(
            lambda: isinstance(app.screen, SetupsScreen) and app.screen.loads,
            "the setups screen loaded",
            pause=lambda: pilot.pause(0.05),
        )
        screen = app.screen
        assert isinstance(screen, SetupsScreen)
        assert screen.query_one(SetupTable).row_count >= len(runtime.feed.symbols)
