"""The workstation remembers the user's choices across restarts: watchlist edits (applied through the runtime's
own add / remove, so streams follow), strategies switched on / off, the setups sort and the chart timeframes."""

from __future__ import annotations

import textwrap
from pathlib import Path

from cryptoterm.adapters.ui_state import JsonUiStateFile
from cryptoterm.config.loader import load_config_file
from cryptoterm.ports.ui_state import MemoryUiState, SortOrder, UiState
from cryptoterm.tui.screens.dashboard import DashboardScreen
from cryptoterm.tui.screens.setups import SetupsScreen
from cryptoterm.tui.screens.strategies import StrategiesScreen
from cryptoterm.tui.screens.symbol import SymbolScreen
from tests.tui.conftest import fake_feed, make_app
from tests.tui.screen_fakes import runtime_of, screen_app, settle
from tests.waiting import eventually

TWO_STRATEGIES = """
[[strategy]]
name = "trend"
timeframe = "1m"
when = ["close > ema(20)"]
levels = { entry = "close", stop = "close - 2 * atr(14)", targets = ["2R"] }

[[strategy]]
name = "dip"
timeframe = "1m"
enabled = false
when = ["rsi(14) < 30"]
levels = { entry = "close", stop = "close - 2 * atr(14)", targets = ["2R"] }
"""


async def started(pilot) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    await eventually(lambda: app.session.snapshot is not None and app.session.symbols, "runtime", pause=pilot.pause)
    await pilot.pause()


async def test_watchlist_edits_and_timeframes_survive_a_restart(tmp_path: Path) -> None:
    store = JsonUiStateFile(tmp_path / "cryptoterm.ui.json")
    app = make_app(ui_state=store)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await pilot.press("down", "x")
        await eventually(lambda: "ETH/USDT" not in fake_feed(app).symbols, "ETH removed", pause=pilot.pause)
        await pilot.press("4")
        await pilot.pause()
        await pilot.press("s")
        await eventually(lambda: isinstance(app.screen, SymbolScreen), "detail", pause=pilot.pause)
        await pilot.press("2")
        await pilot.pause()
    saved = store.load()
    assert saved.watchlist is not None and "ETH/USDT" not in saved.watchlist
    assert saved.timeframes == {"dashboard": "1h", "symbol": "5m"}

    again = make_app(ui_state=JsonUiStateFile(tmp_path / "cryptoterm.ui.json"))
    async with again.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await eventually(lambda: "ETH/USDT" not in fake_feed(again).symbols, "saved watchlist", pause=pilot.pause)
        assert fake_feed(again).symbols == saved.watchlist
        screen = again.screen
        assert isinstance(screen, DashboardScreen)
        await eventually(lambda: "ETH/USDT" not in screen.watchlist.symbols, "table follows", pause=pilot.pause)
        assert screen.chart.timeframe == "1h"
        await pilot.press("s")
        await eventually(lambda: isinstance(again.screen, SymbolScreen), "detail", pause=pilot.pause)
        assert again.screen.timeframe == "5m"  # type: ignore[attr-defined]


async def test_a_saved_watchlist_is_applied_through_the_runtime_and_unknown_symbols_are_one_line() -> None:
    saved = UiState(watchlist=["SOL/USDT", "BTC/USDT", "NOPE/USDT", "DOT/USDT"])
    app = make_app(ui_state=MemoryUiState(saved))
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await eventually(
            lambda: fake_feed(app).symbols == ["BTC/USDT", "SOL/USDT", "DOT/USDT"], "applied", pause=pilot.pause
        )
        await eventually(
            lambda: any("NOPE/USDT" in line.text for line in app.session.logs), "one line", pause=pilot.pause
        )
        lines = [line for line in app.session.logs if "NOPE/USDT" in line.text]
        assert len(lines) == 1 and "remembered watchlist" in lines[0].text


async def test_strategy_switches_and_the_setups_sort_survive_a_restart(tmp_path: Path) -> None:
    config_path = tmp_path / "config.toml"
    config_path.write_text(textwrap.dedent(TWO_STRATEGIES))
    config = load_config_file(config_path)
    store = JsonUiStateFile(tmp_path / "screens.ui.json")
    app = screen_app(tmp_path, config, ui_state=store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await eventually(lambda: isinstance(app.screen, StrategiesScreen), "strategies", pause=pilot.pause)
        await pilot.press("space", "down", "space")  # trend off, dip on
        await pilot.pause()
        await pilot.press("u")
        await eventually(lambda: isinstance(app.screen, SetupsScreen), "setups", pause=pilot.pause)
        await pilot.press("o", "r")  # next column, then descending
        await pilot.pause()
        table = app.screen.table  # type: ignore[attr-defined]
        expected = SortOrder(table.sort_key, True)
    saved = store.load()
    assert saved.strategies == {"trend": False, "dip": True}
    assert saved.sort == {"setups": expected}

    (tmp_path / "screens.db").unlink()
    again = screen_app(tmp_path, config, ui_state=JsonUiStateFile(tmp_path / "screens.ui.json"))
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        scanning = runtime_of(again).scanning
        assert {s.name: s.enabled for s in scanning.strategies()} == {"trend": False, "dip": True}
        assert [s.name for s in scanning.running()] == ["dip"]
        await pilot.press("u")
        await eventually(lambda: isinstance(again.screen, SetupsScreen), "setups", pause=pilot.pause)
        table = again.screen.table  # type: ignore[attr-defined]
        assert SortOrder(table.sort_key, table.descending) == expected


async def test_a_corrupt_state_file_is_one_warning_and_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "cryptoterm.ui.json"
    path.write_text('{"version": 1, "watchlist": ["BTC/USDT",')
    app = make_app(ui_state=JsonUiStateFile(path))
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await eventually(lambda: any(str(path) in line.text for line in app.session.logs), "warning", pause=pilot.pause)
        warnings = [line for line in app.session.logs if str(path) in line.text]
        assert len(warnings) == 1 and "using the defaults" in warnings[0].text
        assert fake_feed(app).symbols == app.session.config.watchlist.symbols
