"""`k` on the setups list fills the order ticket from the highlighted setup, as `k` on its detail does."""

from __future__ import annotations

from pathlib import Path

import pytest

from cryptoterm.tui.screens.order_ticket import OrderTicket
from cryptoterm.tui.screens.setups import SetupsScreen
from tests.tui.test_trading_tui import _engine, demo_app
from tests.waiting import eventually


async def test_k_on_the_setups_list_takes_the_highlighted_setup(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        runtime = await _engine(app, pilot)
        scanning = runtime.scanning
        assert scanning is not None
        await eventually(lambda: scanning.repo.recent_setups(), "a setup from the startup scan", pause=pilot.pause)
        await app.push_screen(SetupsScreen(app.session))
        screen = app.screen
        assert isinstance(screen, SetupsScreen)
        await eventually(lambda: screen.table.selected is not None, "the setups listed", pause=pilot.pause)
        screen.table.move_cursor(row=min(1, len(screen.table.shown) - 1))
        await pilot.pause()
        highlighted = screen.table.selected
        assert highlighted is not None
        await pilot.press("k")
        await eventually(lambda: isinstance(app.screen, OrderTicket), "the ticket from the setup", pause=pilot.pause)
        ticket = app.screen
        assert isinstance(ticket, OrderTicket)
        draft = ticket.current()
        assert (draft.kind, draft.setup_id, draft.symbol) == ("bracket", highlighted.id, highlighted.symbol)
        assert float(draft.price) == pytest.approx(highlighted.entry, abs=1e-9)
        assert float(draft.stop) == pytest.approx(highlighted.stop, abs=1e-9)
