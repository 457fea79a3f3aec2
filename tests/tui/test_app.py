"""Pilot tests: the real app over the deterministic fake feed."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

import pytest
from textual.command import CommandList
from textual.widgets import DataTable

from cryptoterm.config.schema import AppConfig, UIConfig
from cryptoterm.tui.app import CryptotermApp
from cryptoterm.tui.commands import palette_commands
from cryptoterm.tui.context import PendingRuntime, Publish
from cryptoterm.tui.formatting import fmt_price
from cryptoterm.tui.messages import MarketUpdated
from cryptoterm.tui.screens import SCREENS, LazyScreen
from cryptoterm.tui.screens.dashboard import DashboardScreen
from cryptoterm.tui.screens.help import HelpScreen
from cryptoterm.tui.screens.too_small import TooSmallScreen
from cryptoterm.tui.widgets.candle_chart import CandleChart
from cryptoterm.tui.widgets.log_pane import LogPane
from cryptoterm.tui.widgets.status_bar import StatusBar
from cryptoterm.tui.widgets.watchlist import Watchlist
from cryptoterm.wiring import StartupError
from cryptoterm.wiring.options import RunOptions
from tests.tui.conftest import fake_feed, make_app
from tests.tui.fakes import FakeFeed, FakeRuntime, fake_builder
from tests.waiting import eventually


def palette_highlight(app: object) -> str:
    """The command palette's highlighted hit ("" while it has none)."""
    lists = app.screen.query(CommandList)  # type: ignore[attr-defined]
    if not lists or lists.first().highlighted is None:
        return ""
    command_list = lists.first()
    return command_list.get_option_at_index(command_list.highlighted).prompt.plain  # type: ignore[no-any-return]


def dashboard(app: object) -> DashboardScreen:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, DashboardScreen)
    return screen


async def test_starts_the_runtime_and_shows_every_symbol() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        runtime = app.session.runtime
        assert runtime.started == 1  # type: ignore[attr-defined]
        table = app.screen.query_one(Watchlist)
        assert table.symbols == AppConfig().watchlist.symbols
        btc = fake_feed(app).ticker("BTC/USDT")
        assert table.cell_text("BTC/USDT", "last") == fmt_price(btc.last)
        assert "DEMO" in app.screen.query_one(StatusBar).shown_text
        assert "2024-08-10 00:00:00 UTC" in app.screen.query_one(StatusBar).shown_text
    assert runtime.closed == 1  # type: ignore[attr-defined]


async def test_selecting_a_symbol_charts_it() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = dashboard(app)
        chart = screen.query_one(CandleChart)
        assert chart.title.startswith("BTC/USDT · 1m · ")
        await pilot.press("down", "down")
        await pilot.pause()
        assert app.session.selected_symbol == "BNB/USDT"
        assert chart.title.startswith("BNB/USDT · 1m · ")
        assert fmt_price(fake_feed(app).ticker("BNB/USDT").last) in chart.title
        assert chart.candles[-1] == fake_feed(app).candles("BNB/USDT", "1m", 1)[-1]


async def test_clicking_a_row_charts_that_symbol() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(Watchlist)
        row = table.get_row_index("SOL/USDT")
        await pilot.click(Watchlist, offset=(3, row + 1))  # +1: the header row
        await pilot.pause()
        assert app.screen.query_one(CandleChart).title.startswith("SOL/USDT")


async def test_timeframe_keys_change_the_chart_timeframe() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        chart = app.screen.query_one(CandleChart)
        feed = fake_feed(app)
        for key, timeframe in (("4", "1h"), ("6", "1d"), ("2", "5m"), ("1", "1m")):
            await pilot.press(key)
            await pilot.pause()
            assert chart.timeframe == timeframe
            assert chart.title.startswith(f"BTC/USDT · {timeframe} · ")
            assert feed.candle_requests[-1][:2] == ("BTC/USDT", timeframe)
        # daily bars are a day apart
        await pilot.press("6")
        await pilot.pause()
        times = [c.open_time for c in chart.candles]
        assert all(b - a == 86_400_000 for a, b in itertools.pairwise(times))


async def test_chart_draws_only_what_fits() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        chart = app.screen.query_one(CandleChart)
        assert len(chart.candles) == chart.capacity
        assert chart.capacity <= chart.content_size.width
        # the EMA warm-up bars were fetched, so the line is defined from the first visible bar
        assert fake_feed(app).candle_requests[-1][2] == chart.capacity + chart.warmup
        assert all(v == v for v in chart.ema)
        await pilot.resize_terminal(90, 30)
        await pilot.pause()
        await pilot.pause()
        assert len(chart.candles) == chart.capacity < 90


async def test_table_updates_when_a_snapshot_arrives() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(Watchlist)
        feed = fake_feed(app)
        feed.set_last("ETH/USDT", 3_000.0)
        feed.late_trades = 3
        app.publish(feed.snapshot())
        await pilot.pause()
        assert table.cell_text("ETH/USDT", "last") == "3,000.00"
        change = feed.ticker("ETH/USDT").change_pct
        assert table.cell_text("ETH/USDT", "change") == f"{change:+.2f}%"
        assert "late 3" in app.screen.query_one(StatusBar).shown_text
        assert app.session.snapshot is not None and app.session.snapshot.tickers[1].last == 3_000.0


async def test_screens_receive_the_original_publish_time() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.post_message(MarketUpdated(fake_feed(app).snapshot(), published=123.5))
        await pilot.pause()
        await pilot.pause()
        assert dashboard(app).last_published == 123.5


async def test_a_burst_of_snapshots_costs_one_repaint() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = dashboard(app)
        feed = fake_feed(app)
        before = screen.snapshots_applied
        for _ in range(50):
            feed.tick()  # publishes synchronously: all 50 are queued before the app runs again
        await pilot.pause()
        await pilot.pause()
        applied = screen.snapshots_applied - before
        assert 1 <= applied <= 3
        last = feed.ticker("XRP/USDT").last
        assert screen.query_one(Watchlist).cell_text("XRP/USDT", "last") == fmt_price(last)


def test_market_updated_is_replaced_only_by_a_newer_market_update() -> None:
    feed = FakeFeed(AppConfig().watchlist.symbols)
    older, newer = MarketUpdated(feed.snapshot()), MarketUpdated(feed.tick())
    assert older.can_replace(newer)
    assert not older.can_replace(DataTable.RowHighlighted.__new__(DataTable.RowHighlighted))


async def test_question_mark_opens_help_listing_keys_and_commands() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        keys = dict(app.screen.keys)
        assert {"q", "?", "t", "1", "6", "l"} <= set(keys)
        assert keys["d"] == "Go to Dashboard"
        assert keys["6"] == "Chart timeframe 1d" and keys["t"] == "Toggle dark / light theme"
        titles = [c.title for c in app.screen.commands]
        assert "Chart ETH/USDT" in titles and "Timeframe 4h" in titles and "Quit" in titles
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)


async def test_t_toggles_dark_and_light_theme() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.theme == "textual-dark"
        await pilot.press("t")
        assert app.theme == "textual-light" and not app.current_theme.dark
        await pilot.press("t")
        assert app.theme == "textual-dark"


async def test_configured_theme_is_the_initial_one_and_unknown_themes_fall_back() -> None:
    app = make_app(AppConfig(ui=UIConfig(theme="nord")))
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.theme == "nord"
        await pilot.press("t")
        assert app.theme == "textual-light"
        await pilot.press("t")
        assert app.theme == "nord"
    app = make_app(AppConfig(ui=UIConfig(theme="no-such-theme")))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.theme == "textual-dark"
        assert any("no-such-theme" in line.text for line in app.session.logs)


async def test_palette_has_an_entry_for_every_action_and_runs_them() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        commands = {c.title: c for c in palette_commands(app, app.screen)}
        for symbol in AppConfig().watchlist.symbols:
            assert f"Chart {symbol}" in commands
        for timeframe in ("1m", "5m", "15m", "1h", "4h", "1d"):
            assert f"Timeframe {timeframe}" in commands
        for title in ("Go to Dashboard", "Toggle dark / light theme", "Help", "Quit", "Toggle log pane"):
            assert title in commands
        commands["Timeframe 15m"].callback()
        commands["Chart DOGE/USDT"].callback()
        await pilot.pause()
        assert app.screen.query_one(CandleChart).title.startswith("DOGE/USDT · 15m")
        assert app.screen.query_one(Watchlist).selected_symbol == "DOGE/USDT"


async def test_command_palette_search_selects_a_symbol() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"chart avax")
        # the palette searches in a worker: enter picks the highlighted hit, so wait for it to be this one
        await eventually(lambda: "AVAX/USDT" in palette_highlight(app), "the AVAX hit highlighted", pause=pilot.pause)
        await pilot.press("enter")
        await eventually(lambda: app.session.selected_symbol == "AVAX/USDT", "AVAX selected", pause=pilot.pause)
        await eventually(lambda: isinstance(app.screen, DashboardScreen), "the palette closed", pause=pilot.pause)
        assert app.screen.query_one(CandleChart).title.startswith("AVAX/USDT")


async def test_80x24_keeps_table_and_chart_and_l_swaps_the_log_in_for_the_chart() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = dashboard(app)
        log_pane = screen.query_one(LogPane)
        assert not log_pane.display
        table, chart = screen.query_one(Watchlist), screen.query_one(CandleChart)
        assert table.region.height >= 5 and chart.region.height >= 10
        assert chart.region.right <= 80 and table.region.right <= 80
        await pilot.press("l")
        await eventually(lambda: log_pane.region.height >= 5, "the log in the chart's place", pause=pilot.pause)
        assert not chart.display and table.region.height >= 5
        assert log_pane.region.y >= table.region.bottom and log_pane.region.bottom <= 24
        await pilot.press("l")
        await eventually(lambda: chart.region.height >= 10, "the chart back", pause=pilot.pause)
        assert not log_pane.display


async def test_wide_terminal_puts_table_and_chart_side_by_side_and_l_toggles_the_log() -> None:
    app = make_app()
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        screen = dashboard(app)
        table, chart = screen.query_one(Watchlist), screen.query_one(CandleChart)
        assert table.region.y == chart.region.y and chart.region.x >= table.region.right
        log_pane = screen.query_one(LogPane)
        assert log_pane.display and log_pane.region.height > 0
        await pilot.press("l")
        await pilot.pause()
        assert not log_pane.display
        await pilot.press("l")
        await pilot.pause()
        assert log_pane.display


async def test_tiny_terminal_shows_a_clear_message_until_it_grows() -> None:
    app = make_app()
    async with app.run_test(size=(50, 12)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)
        text = str(app.screen.query_one("#too-small").render())
        assert "Terminal too small: 50×12" in text and "80×24" in text
        await pilot.press("d", "s", "t", "question_mark", "ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen) and app.theme == "textual-dark"
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        await pilot.resize_terminal(79, 30)
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)


async def test_a_failing_worker_is_logged_and_notified() -> None:
    app = make_app()

    async def explode() -> None:
        raise RuntimeError("feed decoder blew up")

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.run_worker(explode(), name="market feed", group="feed", exit_on_error=False)
        await eventually(
            lambda: any("feed decoder blew up" in n.message for n in app._notifications),
            "the failure notified",
            pause=pilot.pause,
        )
        logged = [line for line in app.session.logs if "feed decoder blew up" in line.text]
        assert logged and logged[0].level_name == "ERROR" and "RuntimeError" in logged[0].text
        assert any("feed decoder blew up" in n.message for n in app._notifications)
        assert app.is_running


async def test_q_quits() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.return_code is None
        await pilot.press("q")
        assert app.return_code == 0  # set by exit(), before the context closes the app


async def test_a_failing_screen_worker_is_reported_by_its_screen() -> None:
    app = make_app()

    def broken_scan() -> None:
        raise ValueError("scan expression is invalid")

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        worker = app.screen.run_worker(broken_scan, name="scan", thread=True, exit_on_error=False)
        await eventually(
            lambda: worker.is_finished and any("scan expression is invalid" in line.text for line in app.session.logs),
            "the failure logged",
            pause=pilot.pause,
        )
        logged = [line for line in app.session.logs if "scan expression is invalid" in line.text]
        assert logged and logged[0].text.startswith("dashboard: scan failed")


async def test_a_tick_updates_only_the_cells_that_changed_and_flashes_the_price() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(Watchlist)
        feed = fake_feed(app)
        rows = table.row_count
        assert table.apply_tickers(feed.snapshot().tickers) == 0  # nothing moved: nothing repainted
        feed.set_last("SOL/USDT", feed.ticker("SOL/USDT").last * 1.01)
        changed = table.apply_tickers(feed.snapshot().tickers)
        assert 1 <= changed <= 5  # last, change, bid, ask, spread of one row at most
        assert table.row_count == rows
        assert "on green" in str(table.get_cell("SOL/USDT", "last").style)
        await eventually(lambda: not table.has_flashes, "the flash faded", pause=pilot.pause)
        # back to the 24 h direction colour, like the change column
        assert str(table.get_cell("SOL/USDT", "last").style) == str(table.get_cell("SOL/USDT", "change").style)


async def test_dashboard_follows_a_selection_made_on_another_screen() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.push_screen(HelpScreen([], []))
        app.session.selected_symbol = "LINK/USDT"
        app.session.timeframe = "5m"
        app.pop_screen()
        await pilot.pause()
        assert app.screen.query_one(Watchlist).selected_symbol == "LINK/USDT"
        assert app.screen.query_one(CandleChart).title.startswith("LINK/USDT · 5m")


async def test_the_runtime_is_built_after_the_first_frame() -> None:
    built_after_frame: list[bool] = []
    inner = fake_builder()

    def build(config: AppConfig, options: RunOptions, publish: Publish) -> FakeRuntime:
        built_after_frame.append(app.first_frame_at is not None)
        return inner(config, options, publish)  # type: ignore[no-any-return]

    app = CryptotermApp(AppConfig(), RunOptions(mode="demo"), build_engine=build)
    assert isinstance(app.session.runtime, PendingRuntime)
    assert app.session.symbols == [] and app.session.feed.candles("BTC/USDT", "1m", 10) == []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert built_after_frame == [True]
        assert isinstance(app.session.runtime, FakeRuntime) and app.session.runtime.started == 1
        assert app.screen.query_one(Watchlist).row_count == len(AppConfig().watchlist.symbols)


async def test_a_setup_error_exits_with_one_line_and_code_2(capsys: pytest.CaptureFixture[str]) -> None:
    def build(config: AppConfig, options: RunOptions, publish: Publish) -> FakeRuntime:
        raise StartupError("/nowhere/db.sqlite: cannot open the database")

    app = CryptotermApp(AppConfig(), RunOptions(mode="live"), build_engine=build)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.pause()
    assert app.return_code == 2
    printed = capsys.readouterr()
    assert "cryptoterm: /nowhere/db.sqlite: cannot open the database" in printed.out + printed.err
    assert "Traceback" not in printed.out + printed.err


def test_screens_are_registered_without_importing_them_until_preloaded() -> None:
    lazy = [spec.factory.module for spec in SCREENS if isinstance(spec.factory, LazyScreen)]
    assert lazy
    script = (
        "import sys, json\n"
        "import cryptoterm.tui.app\n"
        "from cryptoterm.tui.screens import preload_screens\n"
        f"lazy = {lazy!r}\n"
        "before = [m in sys.modules for m in lazy]\n"
        "preload_screens()\n"
        "print(json.dumps([before, [m in sys.modules for m in lazy]]))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    before, after = json.loads(out)
    assert not any(before) and all(after)


async def test_a_lazily_registered_screen_opens_with_its_key() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("h")
        await pilot.pause()
        assert type(app.screen).__name__ == "HealthScreen"


async def test_a_short_chart_drops_the_volume_panel() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        chart = app.screen.query_one(CandleChart)
        chart.styles.max_height = 9  # shorter than any screen lays it out at the smallest supported size
        await eventually(lambda: chart.has_class("-no-volume"), "volume panel dropped", pause=pilot.pause)
        assert not chart.query_one("#volume").display
        assert chart.query_one("#price").region.height >= 6
        chart.styles.max_height = None
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        await pilot.pause()
        assert not chart.has_class("-no-volume") and chart.query_one("#volume").region.height >= 3
