"""One owner of the selection: the dashboard (through the session) owns it, the watchlist shows it.

A watchlist told to select a row stays quiet; it reports a selection only for a user's key or click. These
tests edit the watchlist the way a trader does and check that the redraws settle, that the chart follows the
highlighted row, and that every way of choosing a symbol charts it.
"""

from __future__ import annotations

from textual.command import CommandList

from cryptoterm.tui.screens.dashboard import DashboardScreen
from cryptoterm.tui.screens.symbol_prompt import SymbolPrompt
from cryptoterm.tui.widgets.candle_chart import CandleChart
from cryptoterm.tui.widgets.watchlist import Watchlist
from tests.tui.conftest import fake_feed, make_app
from tests.waiting import eventually


def palette_hits(app: object) -> int:
    lists = app.screen.query(CommandList)  # type: ignore[attr-defined]
    return lists.first().option_count if lists else 0


def dashboard(app: object) -> DashboardScreen:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, DashboardScreen)
    return screen


async def settled_draws(pilot, screen: DashboardScreen) -> int:  # type: ignore[no-untyped-def]
    """Chart draws once nothing more is queued: no throttled redraw pending, the count steady over pauses."""
    counts: list[int] = []

    def stable() -> bool:
        counts.append(screen.chart_draws)
        return len(counts) >= 6 and len(set(counts[-6:])) == 1 and not screen.chart_redraw_pending

    await eventually(stable, "chart redraws settle", pause=lambda: pilot.pause(0.02))
    return screen.chart_draws


async def test_remove_then_add_settles_instead_of_redrawing_forever() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = dashboard(app)
        await pilot.press("down", "x")
        await eventually(lambda: "ETH/USDT" not in screen.watchlist.symbols, "ETH removed", pause=pilot.pause)
        await pilot.press("a")
        await eventually(lambda: isinstance(app.screen, SymbolPrompt), "the add prompt", pause=pilot.pause)
        await pilot.press(*"SOL/USDT", "enter")
        await eventually(lambda: app.session.selected_symbol == "SOL/USDT", "SOL selected", pause=pilot.pause)
        settled = await settled_draws(pilot, screen)
        for _ in range(10):
            await pilot.pause(0.02)
        assert screen.chart_draws == settled
        assert screen.chart.symbol == app.session.selected_symbol == screen.watchlist.selected_symbol


async def test_random_adds_and_removes_settle_with_chart_and_highlight_in_step() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = dashboard(app)
        feed = fake_feed(app)
        for keys in (("down", "down"), ("end",), ("home", "down"), ("end", "up")):
            await pilot.press(*keys)
            await pilot.pause()
            symbol = screen.watchlist.selected_symbol
            assert symbol is not None and screen.chart.symbol == symbol
            await pilot.press("x")
            await eventually(lambda s=symbol: s not in screen.watchlist.symbols, f"{symbol} removed", pause=pilot.pause)
            await settled_draws(pilot, screen)
            assert screen.chart.symbol == app.session.selected_symbol == screen.watchlist.selected_symbol
            await pilot.press("a")
            await eventually(lambda: isinstance(app.screen, SymbolPrompt), "the add prompt", pause=pilot.pause)
            await pilot.press(*symbol, "enter")
            await eventually(lambda s=symbol: s in screen.watchlist.symbols, f"{symbol} back", pause=pilot.pause)
            feed.tick()
            settled = await settled_draws(pilot, screen)
            for _ in range(5):
                await pilot.pause(0.02)
            assert screen.chart_draws == settled
            assert screen.chart.symbol == app.session.selected_symbol == screen.watchlist.selected_symbol == symbol


async def test_removing_a_middle_row_charts_the_row_the_highlight_moves_to() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = dashboard(app)
        await pilot.press("down", "down")
        await pilot.pause()
        assert screen.chart.symbol == "BNB/USDT"
        await pilot.press("x")
        await eventually(lambda: "BNB/USDT" not in screen.watchlist.symbols, "BNB removed", pause=pilot.pause)
        await settled_draws(pilot, screen)
        highlighted = screen.watchlist.selected_symbol
        assert highlighted == "SOL/USDT"  # the row that moved up into the cursor
        assert app.session.selected_symbol == highlighted
        assert screen.query_one(CandleChart).symbol == highlighted


async def test_the_palettes_chart_entry_charts_the_symbol() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = dashboard(app)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Chart LINK")
        await eventually(lambda: palette_hits(app) > 0, "a palette hit", pause=lambda: pilot.pause(0.02))
        await pilot.press("enter")
        await eventually(lambda: isinstance(app.screen, DashboardScreen), "palette closed", pause=pilot.pause)
        await eventually(lambda: screen.chart.symbol == "LINK/USDT", "LINK charted", pause=pilot.pause)
        await settled_draws(pilot, screen)
        assert app.session.selected_symbol == "LINK/USDT"
        assert screen.query_one(Watchlist).selected_symbol == "LINK/USDT"


async def test_symbol_detail_keeps_its_symbol_across_help_and_back() -> None:
    from cryptoterm.tui.screens.help import HelpScreen
    from cryptoterm.tui.screens.symbol import SymbolScreen

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("s")
        await eventually(lambda: isinstance(app.screen, SymbolScreen), "symbol detail", pause=pilot.pause)
        detail = app.screen
        assert isinstance(detail, SymbolScreen) and detail.symbol == "BTC/USDT"
        await pilot.press("right_square_bracket", "right_square_bracket")
        await pilot.pause()
        assert detail.symbol == app.session.selected_symbol == "BNB/USDT"
        await pilot.press("question_mark")
        await eventually(lambda: isinstance(app.screen, HelpScreen), "help", pause=pilot.pause)
        await pilot.press("escape")
        await eventually(lambda: app.screen is detail, "back on the detail", pause=pilot.pause)
        for _ in range(5):
            await pilot.pause(0.02)
        assert detail.symbol == app.session.selected_symbol == "BNB/USDT"
        assert str(detail.chart.border_title).startswith("BNB/USDT")
        await pilot.press("escape")
        await eventually(lambda: isinstance(app.screen, DashboardScreen), "dashboard", pause=pilot.pause)
        screen = dashboard(app)
        await settled_draws(pilot, screen)
        assert screen.chart.symbol == screen.watchlist.selected_symbol == "BNB/USDT"


async def test_brackets_step_through_the_watchlist_on_the_dashboard() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = dashboard(app)
        symbols = screen.watchlist.symbols
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert screen.chart.symbol == screen.watchlist.selected_symbol == symbols[1]
        await pilot.press("left_square_bracket", "left_square_bracket")
        await pilot.pause()
        assert screen.chart.symbol == screen.watchlist.selected_symbol == symbols[-1]  # wraps around
