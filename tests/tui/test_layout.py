"""Layout: columns grow with the terminal, and the too-small notice sits exactly where the layout stops holding."""

from __future__ import annotations

from pathlib import Path

import pytest

from cryptoterm.config.schema import AppConfig
from cryptoterm.tui.screens.dashboard import DashboardScreen
from cryptoterm.tui.screens.setups import SetupsScreen
from cryptoterm.tui.screens.strategies import StrategiesScreen
from cryptoterm.tui.screens.symbol import SymbolScreen
from cryptoterm.tui.screens.too_small import MIN_HEIGHT, MIN_WIDTH, TooSmallScreen
from cryptoterm.tui.widgets.candle_chart import CandleChart
from cryptoterm.tui.widgets.column_fit import fit_widths
from cryptoterm.tui.widgets.depth_ladder import DepthLadder
from cryptoterm.tui.widgets.setup_table import SetupTable
from cryptoterm.tui.widgets.watchlist import Watchlist
from tests.tui.conftest import make_app
from tests.tui.screen_fakes import always, screen_app, screen_config, settle
from tests.waiting import eventually

LONG_NAMES = ("bollinger-fade-short", "macd-cross-trend-long")


def test_spare_room_goes_to_the_grow_columns_up_to_what_they_need() -> None:
    columns = (("name", "Name", 10), ("n", "N", 4))
    assert fit_widths(columns, 18, {"name": 30}) == {"name": 10, "n": 4}  # nothing to spare
    assert fit_widths(columns, 25, {"name": 30}) == {"name": 17, "n": 4}
    assert fit_widths(columns, 99, {"name": 21}) == {"name": 21, "n": 4}


def fits(widget: object, width: int, height: int) -> bool:
    region = widget.region  # type: ignore[attr-defined]
    return region.width > 0 and region.height > 0 and region.right <= width and region.bottom <= height


@pytest.mark.parametrize(("width", "height"), [(MIN_WIDTH - 1, MIN_HEIGHT), (MIN_WIDTH, MIN_HEIGHT - 1), (60, 20)])
async def test_below_the_guard_the_notice_shows(width: int, height: int) -> None:
    app = make_app()
    async with app.run_test(size=(width, height)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)


async def test_at_the_guard_every_screen_lays_out_whole(tmp_path: Path) -> None:
    width, height = MIN_WIDTH, MIN_HEIGHT
    app = screen_app(tmp_path)
    async with app.run_test(size=(width, height)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        table, chart = screen.query_one(Watchlist), screen.query_one(CandleChart)
        assert fits(table, width, height) and fits(chart, width, height)
        assert table.region.height >= 5 and chart.region.height >= 8
        assert table.virtual_size.width <= table.size.width, "the watchlist needs no sideways scrolling"
        await pilot.press("s")
        await eventually(lambda: isinstance(app.screen, SymbolScreen), "detail", pause=pilot.pause)
        await pilot.pause()
        detail = app.screen
        assert fits(detail.query_one(CandleChart), width, height)
        assert fits(detail.query_one(DepthLadder), width, height)
        assert detail.query_one(CandleChart).region.height >= 8
        await pilot.press("u")
        await eventually(lambda: isinstance(app.screen, SetupsScreen), "setups", pause=pilot.pause)
        await pilot.pause()
        setups = app.screen.query_one(SetupTable)
        assert fits(setups, width, height) and setups.virtual_size.width <= setups.size.width


async def test_wider_terminals_widen_the_watchlist_columns() -> None:
    widths = {}
    for width in (80, 100):
        app = make_app(AppConfig())
        async with app.run_test(size=(width, 30)) as pilot:
            await eventually(lambda a=app: a.session.symbols, "runtime", pause=pilot.pause)  # type: ignore[misc]
            await pilot.pause()
            table = app.screen.query_one(Watchlist)
            widths[width] = sum(column.get_render_width(table) for column in table.columns.values())
            assert widths[width] <= table.size.width
    assert widths[100] > widths[80] + 10, widths


async def test_long_strategy_names_are_not_cut_on_a_wide_terminal(tmp_path: Path) -> None:
    config = screen_config(*(always(name) for name in LONG_NAMES))
    app = screen_app(tmp_path, config)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await eventually(lambda: isinstance(app.screen, StrategiesScreen), "strategies", pause=pilot.pause)
        await pilot.pause()
        table = app.screen.table  # type: ignore[attr-defined]
        assert table.columns[next(k for k in table.columns if k.value == "name")].width >= max(map(len, LONG_NAMES))
        await pilot.press("u")
        await eventually(lambda: isinstance(app.screen, SetupsScreen), "setups", pause=pilot.pause)
        setups = app.screen.query_one(SetupTable)
        await eventually(lambda: setups.row_count > 0, "setups listed", pause=pilot.pause)
        await pilot.pause()
        strategy_column = next(c for k, c in setups.columns.items() if k.value == "strategy")
        assert strategy_column.width >= max(map(len, LONG_NAMES))
