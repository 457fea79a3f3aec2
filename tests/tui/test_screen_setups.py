"""Setups screen: the startup scan's setups listed, sorted by keys and header clicks, filtered by strategy and
state, "scan now", and the detail view with levels, conditions and state history."""

from __future__ import annotations

from pathlib import Path

from cryptoterm.tui.screens.setup_detail import SetupDetailScreen, setup_levels
from cryptoterm.tui.screens.setups import SetupsScreen, cycle
from cryptoterm.tui.widgets.candle_chart import CandleChart
from cryptoterm.tui.widgets.setup_table import SetupTable, setup_cells, sort_value
from tests.tui.screen_fakes import SCANNED, always, runtime_of, screen_app, screen_config, settle, static_text


def setups_screen(app: object) -> SetupsScreen:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, SetupsScreen)
    return screen


async def open_setups(pilot: object, app: object) -> SetupsScreen:
    await settle(pilot)
    await pilot.press("u")  # type: ignore[attr-defined]
    await settle(pilot, lambda: isinstance(app.screen, SetupsScreen) and app.screen.loads >= 1)  # type: ignore[attr-defined]
    return setups_screen(app)


async def test_startup_scan_setups_are_listed_with_levels(tmp_path: Path) -> None:
    app = screen_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_setups(pilot, app)
        table = screen.query_one(SetupTable)
        assert sorted(s.symbol for s in table.setups) == sorted(SCANNED)
        assert table.row_count == len(SCANNED)
        stored = runtime_of(app).scanning.repo.recent_setups()
        first = next(s for s in stored if s.symbol == "BTC/USDT")
        row = table.get_row(str(first.id))
        now = app.session.snapshot.ts  # type: ignore[union-attr]
        assert [cell.plain for cell in row] == [cell.plain for cell in setup_cells(first, now)]
        assert row[3].plain == "new" and str(row[3].style) == "bold cyan"


async def test_sorting_by_keys_and_header_clicks(tmp_path: Path) -> None:
    app = screen_app(tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_setups(pilot, app)
        table = screen.query_one(SetupTable)
        now = app.session.snapshot.ts  # type: ignore[union-attr]
        await pilot.press("o")  # age → strategy (wraps to the first column)
        await pilot.pause()
        assert table.sort_key == "strategy"
        screen.sort_by("entry")
        await pilot.pause()
        entries = [s.entry for s in table.shown]
        assert entries == sorted(entries)
        await pilot.press("r")
        await pilot.pause()
        assert [s.entry for s in table.shown] == sorted(entries, reverse=True)
        # Clicking the "Symbol" header sorts by symbol.
        await pilot.click(SetupTable, offset=(19, 0))
        await pilot.pause()
        assert table.sort_key == "symbol"
        assert [s.symbol for s in table.shown] == sorted(SCANNED)
        assert [table.get_row_at(i)[1].plain for i in range(table.row_count)] == sorted(SCANNED)
        assert "sort: Symbol ▲" in static_text(screen.query_one("#setups-bar"))
        assert sort_value(table.shown[0], "age", now) == (0, now - table.shown[0].created_ms)


async def test_filters_by_strategy_and_state(tmp_path: Path) -> None:
    config = screen_config(always("alpha", ["BTC/USDT", "BNB/USDT"]), always("beta", ["SOL/USDT"]))
    app = screen_app(tmp_path, config)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_setups(pilot, app)
        table = screen.query_one(SetupTable)
        assert table.row_count == 3
        await pilot.press("f")
        await pilot.pause()
        assert table.strategy_filter == "alpha" and table.row_count == 2
        await pilot.press("f")
        await pilot.pause()
        assert table.strategy_filter == "beta" and [s.symbol for s in table.shown] == ["SOL/USDT"]
        await pilot.press("f")
        await pilot.pause()
        assert table.strategy_filter == "" and table.row_count == 3
        await pilot.press("e")  # open
        await pilot.pause()
        assert table.state_filter == "open" and table.row_count == 3
        await pilot.press("e")  # new
        await pilot.pause()
        assert table.state_filter == "new" and table.row_count == 3
        await pilot.press("e")  # active: none yet
        await pilot.pause()
        assert table.state_filter == "active" and table.row_count == 0
        assert "0 of 3 setups" in static_text(screen.query_one("#setups-bar"))


async def test_scan_now_records_a_run_and_finds_the_open_duplicates(tmp_path: Path) -> None:
    app = screen_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_setups(pilot, app)
        before = app.scans.scans_started
        await pilot.press("n")
        await settle(pilot, lambda: app.scans.scans_started > before and app.scans.last_report is not None)
        report = app.scans.last_report
        assert report is not None and report.origin == "manual"
        assert report.new_setups == () and len(report.duplicates) == len(SCANNED)
        origins = [r.origin for r in runtime_of(app).scanning.repo.scan_runs()]
        assert origins == ["manual", "startup"]
        assert "last scan: 0 new, 4 hits, 0 errors" in static_text(screen.query_one("#setups-bar"))


async def test_detail_shows_levels_conditions_and_history(tmp_path: Path) -> None:
    app = screen_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_setups(pilot, app)
        table = screen.query_one(SetupTable)
        chosen = table.selected
        assert chosen is not None
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, SetupDetailScreen) and app.screen.detail is not None)
        detail = app.screen
        assert isinstance(detail, SetupDetailScreen) and detail.detail is not None
        assert [e.to_state for e in detail.detail.events] == ["new"]
        chart = detail.query_one(CandleChart)
        assert [lv.price for lv in chart.levels] == [chosen.entry, chosen.stop, *chosen.targets]
        assert chart.marker_time == chosen.bar_time
        assert any(c.open_time == chosen.bar_time for c in chart.candles)
        conditions = static_text(detail.query_one("#detail-conditions"))
        assert "close > 0" in conditions and "✓" in conditions
        history = static_text(detail.query_one("#detail-history"))
        assert "setup created" in history
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SetupsScreen)


def test_setup_levels_and_cycling() -> None:
    assert cycle(("", "a", "b"), "b") == "" and cycle(("", "a"), "zzz") == ""
    from cryptoterm.domain.setups import build_setup

    setup = build_setup(
        strategy="s",
        symbol="X/USDT",
        timeframe="1h",
        direction="short",
        entry=100.0,
        stop=110.0,
        targets=[90.0, 80.0],
        bar_time=0,
        created_ms=0,
        expires_bars=3,
        equity=1000.0,
        risk_pct=1.0,
    )
    assert [(lv.label, lv.price) for lv in setup_levels(setup)] == [
        ("entry", 100.0),
        ("stop", 110.0),
        ("target 1", 90.0),
        ("target 2", 80.0),
    ]
    cells = setup_cells(setup, 3_600_000)
    assert cells[2].plain == "▼ short" and cells[7].plain == "1.00" and cells[9].plain == "1h00m"
