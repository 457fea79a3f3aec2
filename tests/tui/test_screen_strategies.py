"""Strategies screen: listing, toggling with space / enter, last scan results, and reload from the config file
(a broken strategy shows its compile error in place while its previous version keeps running)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from cryptoterm.config.loader import load_config_file
from cryptoterm.services.strategy_book import StrategyStatus
from cryptoterm.tui.screens.strategies import StrategiesScreen
from tests.tui.screen_fakes import runtime_of, screen_app, settle, static_text

GOOD = """
[scanner]
interval_s = 0.0
on_candle_close = false
history_bars = 200

[[strategy]]
name = "trend"
timeframe = "1m"
description = "Close above its 20-bar EMA."
universe = { symbols = ["BTC/USDT", "BNB/USDT"] }
when = ["close > ema(20)"]

[[strategy]]
name = "dip"
timeframe = "1m"
enabled = false
universe = { symbols = ["SOL/USDT"] }
when = ["close < ema(20)"]
"""


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(textwrap.dedent(text))
    return path


def strategies_screen(app: object) -> StrategiesScreen:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, StrategiesScreen)
    return screen


async def open_strategies(pilot: object, app: object) -> StrategiesScreen:
    await settle(pilot)
    await pilot.press("g")  # type: ignore[attr-defined]
    await settle(pilot, lambda: isinstance(app.screen, StrategiesScreen))  # type: ignore[attr-defined]
    return strategies_screen(app)


def by_name(screen: StrategiesScreen) -> dict[str, StrategyStatus]:
    return {s.name: s for s in screen.statuses}


async def test_lists_strategies_with_their_last_scan(tmp_path: Path) -> None:
    app = screen_app(tmp_path, load_config_file(write_config(tmp_path, GOOD)))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_strategies(pilot, app)
        statuses = by_name(screen)
        assert list(statuses) == ["trend", "dip"]
        assert statuses["trend"].enabled and not statuses["dip"].enabled
        run = statuses["trend"].last_run
        assert run is not None and run.errors == 0 and run.hits == run.new_setups
        assert statuses["dip"].last_run is None
        table = screen.table
        assert table.get_row("trend")[0].plain == "●" and table.get_row("dip")[0].plain == "○"
        assert "Close above its 20-bar EMA." in static_text(screen.query_one("#strategies-detail"))


async def test_space_and_enter_toggle_the_highlighted_strategy(tmp_path: Path) -> None:
    app = screen_app(tmp_path, load_config_file(write_config(tmp_path, GOOD)))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_strategies(pilot, app)
        scanning = runtime_of(app).scanning
        await pilot.press("space")
        await pilot.pause()
        assert not by_name(screen)["trend"].enabled
        assert [s.name for s in scanning.running()] == []
        await pilot.press("down", "enter")
        await pilot.pause()
        assert by_name(screen)["dip"].enabled
        assert [s.name for s in scanning.running()] == ["dip"]
        before = app.scans.scans_started
        await pilot.press("n")
        await settle(pilot, lambda: app.scans.scans_started > before)
        report = app.scans.last_report
        assert report is not None and {s.strategy for s in report.new_setups} <= {"dip"}
        assert by_name(screen)["dip"].last_run is not None


async def test_reload_with_a_broken_file_shows_the_error_and_keeps_running(tmp_path: Path) -> None:
    path = write_config(tmp_path, GOOD)
    app = screen_app(tmp_path, load_config_file(path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_strategies(pilot, app)
        path.write_text(textwrap.dedent(GOOD).replace("close > ema(20)", "close > emma(20)"))
        await pilot.press("r")
        await settle(pilot, lambda: screen.reloads >= 1)
        trend = by_name(screen)["trend"]
        assert trend.loaded and "emma" in trend.error and "config.toml" in trend.error
        assert screen.table.get_row("trend")[3].plain == "old rules"
        detail = static_text(screen.query_one("#strategies-detail"))
        assert "emma" in detail and "previously loaded version keeps running" in detail
        running = runtime_of(app).scanning.running()
        assert [s.name for s in running] == ["trend"]
        assert [t.text for t in running[0].terms] == ["close > ema(20)"]

        path.write_text("[[strategy]\nname = ")
        await pilot.press("r")
        await settle(pilot, lambda: screen.reloads >= 2)
        detail = static_text(screen.query_one("#strategies-detail"))
        assert "Reload failed" in detail and "invalid TOML" in detail
        assert [s.name for s in runtime_of(app).scanning.running()] == ["trend"]

        path.write_text(textwrap.dedent(GOOD).replace("close > ema(20)", "close > sma(5)"))
        await pilot.press("r")
        await settle(pilot, lambda: screen.reloads >= 3)
        assert by_name(screen)["trend"].error == ""
        assert screen.table.get_row("trend")[3].plain == "ok"
        assert "Reload failed" not in static_text(screen.query_one("#strategies-detail"))
        assert [t.text for t in runtime_of(app).scanning.running()[0].terms] == ["close > sma(5)"]


async def test_a_strategy_that_never_compiled_cannot_be_enabled(tmp_path: Path) -> None:
    broken = GOOD.replace("close < ema(20)", "close <")
    app = screen_app(tmp_path, load_config_file(write_config(tmp_path, GOOD)))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_strategies(pilot, app)
        (tmp_path / "config.toml").write_text(textwrap.dedent(broken).replace('name = "dip"', 'name = "dip2"'))
        await pilot.press("r")
        await settle(pilot, lambda: screen.reloads >= 1)
        dip2 = by_name(screen)["dip2"]
        assert not dip2.loaded and dip2.error
        assert screen.table.get_row("dip2")[3].plain == "error"
        await pilot.press("down", "space")
        await pilot.pause()
        assert not by_name(screen)["dip2"].enabled
        assert "cannot run until this is fixed" in static_text(screen.query_one("#strategies-detail"))
        titles = [c.title for c in screen.palette_commands()]
        assert {"Reload strategies", "Toggle strategy", "Scan now"} <= set(titles)
