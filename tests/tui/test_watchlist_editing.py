"""Editing the watchlist from the dashboard: `x` removes the highlighted symbol, `a` prompts for one to add."""

from __future__ import annotations

from cryptoterm.tui.screens.symbol_prompt import SymbolPrompt
from cryptoterm.tui.widgets.watchlist import Watchlist
from tests.tui.conftest import fake_feed, make_app
from tests.waiting import eventually


async def test_remove_then_add_back_updates_the_runtime_and_the_table() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(Watchlist)
        first = table.selected_symbol
        assert first == "BTC/USDT"
        await pilot.press("x")
        await eventually(lambda: first not in table.symbols, "the symbol removed", pause=pilot.pause)
        assert first not in fake_feed(app).symbols
        assert first not in table.symbols
        assert app.session.selected_symbol != first

        await pilot.press("a")
        await eventually(lambda: isinstance(app.screen, SymbolPrompt), "the add prompt", pause=pilot.pause)
        await pilot.press(*"btc/usdt", "enter")
        await eventually(lambda: app.session.selected_symbol == "BTC/USDT", "BTC added back", pause=pilot.pause)
        assert fake_feed(app).symbols[-1] == "BTC/USDT"
        assert table.symbols[-1] == "BTC/USDT"
        assert app.session.selected_symbol == "BTC/USDT"


async def test_unknown_symbol_is_a_notification_and_changes_nothing() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        before = list(fake_feed(app).symbols)
        await pilot.press("a")
        await eventually(lambda: isinstance(app.screen, SymbolPrompt), "the add prompt", pause=pilot.pause)
        await pilot.press(*"NOPE/USDT", "enter")
        await eventually(
            lambda: any("NOPE/USDT: not listed" in n.message for n in app._notifications),
            "the refusal",
            pause=pilot.pause,
        )
        assert fake_feed(app).symbols == before
        assert any("NOPE/USDT: not listed" in n.message for n in app._notifications)


async def test_escape_cancels_the_prompt() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        before = list(fake_feed(app).symbols)
        await pilot.press("a")
        await eventually(lambda: isinstance(app.screen, SymbolPrompt), "the add prompt", pause=pilot.pause)
        await pilot.press("escape")
        await eventually(lambda: not isinstance(app.screen, SymbolPrompt), "the prompt closed", pause=pilot.pause)
        assert fake_feed(app).symbols == before
