"""The trading keys are listed in `?` and reachable from the palette, on the dashboard and the positions screen,
and each says in one line why it cannot act before the market has started (no broker yet)."""

from __future__ import annotations

from cryptoterm.tui.app import CryptotermApp
from cryptoterm.tui.commands import palette_commands
from cryptoterm.tui.screens.help import HelpScreen
from cryptoterm.tui.screens.positions import PositionsScreen
from tests.tui.conftest import make_app
from tests.waiting import eventually


def _notified(app: CryptotermApp, text: str) -> bool:
    return any(text in str(n.message) for n in app._notifications)


async def test_trading_keys_in_help_and_palette() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await eventually(
            lambda: app.session.snapshot is not None or app.session.runtime.started, "started", pause=pilot.pause
        )  # type: ignore[attr-defined]
        keys = dict(app.key_help())
        assert keys["N"].startswith("Order ticket") and keys["K"].startswith("Kill switch")
        commands = {c.title: c.key for c in palette_commands(app, app.screen)}
        assert commands["New order"] == "N" and commands["Kill switch"] == "K"
        assert commands["Go to Positions"] == "p" and commands["Go to Journal"] == "j"

        await pilot.press("K")  # the fake runtime has no broker: one line, nothing else
        await eventually(lambda: _notified(app, "the kill switch works once the market has started"), "why not",
                         pause=pilot.pause)  # fmt: skip
        await pilot.press("N")
        await eventually(lambda: _notified(app, "orders open once the market has started"), "no ticket yet",
                         pause=pilot.pause)  # fmt: skip

        await pilot.press("p")
        await eventually(lambda: isinstance(app.screen, PositionsScreen), "the positions screen", pause=pilot.pause)
        keys = dict(app.key_help())
        for key in ("x", "X", "f", "e", "S", "Z", "N", "K"):
            assert key in keys, key
        titles = {c.title for c in palette_commands(app, app.screen)}
        assert {"Cancel the highlighted order", "Flatten the highlighted position", "Journal entry"} <= titles
        await pilot.press("question_mark")
        await eventually(lambda: isinstance(app.screen, HelpScreen), "the help", pause=pilot.pause)
