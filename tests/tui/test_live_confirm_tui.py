"""Live orders from the TUI over the loopback exchange (Binance's signed spot endpoints, real exchangeInfo and
books): the app attaches its confirmation dialog to the guarded live account, every order waits for it, `n` sends
nothing and `y` sends the order; the kill switch's one answer covers its flattening orders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from textual.widgets import Input, Select

from cryptoterm.adapters.store import SqliteStore
from cryptoterm.adapters.store.trading_repo import TradingRepo
from cryptoterm.config.schema import AppConfig
from cryptoterm.services.live_broker import GuardedLiveBroker
from cryptoterm.services.live_engine_broker import LiveEngineBroker, no_dialog
from cryptoterm.tui.app import CryptotermApp
from cryptoterm.tui.context import Publish
from cryptoterm.tui.screens.confirm_kill_switch import ConfirmKillSwitch
from cryptoterm.tui.screens.confirm_order import ConfirmOrder
from cryptoterm.tui.screens.order_ticket import OrderTicket
from cryptoterm.wiring.brokers import guard_limits
from cryptoterm.wiring.options import RunOptions
from tests.adapters.conftest import API_KEY, API_SECRET, make_broker
from tests.loopback.binance_spot_api import LoopbackSpotExchange
from tests.tui.fakes import FakeFeed, FakeRuntime
from tests.waiting import eventually


class LiveRuntime(FakeRuntime):
    """The fake feed with the engine's live account over the loopback exchange (no dialog until the TUI's)."""

    def __init__(self, feed: FakeFeed, broker: LiveEngineBroker) -> None:
        super().__init__(feed, mode="live", exchange="binance")
        self.broker: LiveEngineBroker = broker

    async def start(self) -> None:
        await super().start()
        await self.broker.start()

    async def close(self) -> None:
        await self.broker.close()
        await super().close()


@pytest.fixture
async def exchange(shared_data: Path) -> AsyncIterator[LoopbackSpotExchange]:
    async with LoopbackSpotExchange(shared_data, {API_KEY: API_SECRET}) as ex:
        ex.account.deposit("USDT", "10000")
        yield ex


def live_app(exchange: LoopbackSpotExchange, store: SqliteStore) -> CryptotermApp:
    config = AppConfig()

    def build(config: AppConfig, options: RunOptions, publish: Publish) -> LiveRuntime:
        adapter = make_broker(exchange)
        clock = adapter.session.now_ms
        live = GuardedLiveBroker(adapter, guard_limits(config.trading), no_dialog, now_ms=clock)
        broker = LiveEngineBroker(live, TradingRepo(store), "live:binance", quote="USDT", now_ms=clock, refresh_s=3600)
        return LiveRuntime(FakeFeed(config.watchlist.symbols, publish=publish), broker)

    return CryptotermApp(config, RunOptions(mode="live"), build_engine=build)  # type: ignore[arg-type]


def _notified(app: CryptotermApp, text: str) -> bool:
    return any(text in str(n.message) for n in app._notifications)


async def _ticket(app: CryptotermApp, pilot: object, qty: str) -> None:
    await pilot.press("N")  # type: ignore[attr-defined]
    await eventually(lambda: isinstance(app.screen, OrderTicket), "the ticket", pause=pilot.pause)  # type: ignore[attr-defined]
    ticket = app.screen
    ticket.query_one("#ticket-kind", Select).value = "market"
    ticket.query_one("#ticket-qty", Input).value = qty
    ticket.query_one("#ticket-price", Input).value = ""
    await pilot.press("ctrl+s")  # type: ignore[attr-defined]


async def test_live_orders_wait_for_the_dialog(exchange: LoopbackSpotExchange, tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "live.db", batch_ms=0) as store:
        app = live_app(exchange, store)
        async with app.run_test(size=(80, 24)) as pilot:
            await eventually(lambda: isinstance(app.session.runtime, LiveRuntime), "the runtime", pause=pilot.pause)
            runtime = app.session.runtime
            assert isinstance(runtime, LiveRuntime)
            runtime.feed.tick()  # a snapshot: the screens attach the dialog to the live account
            await eventually(lambda: runtime.broker.live.confirm is not no_dialog, "the dialog", pause=pilot.pause)
            assert app.session.selected_symbol == "BTC/USDT"

            await _ticket(app, pilot, "0.01")
            await eventually(lambda: isinstance(app.screen, ConfirmOrder), "the confirmation", pause=pilot.pause)
            dialog = app.screen
            assert isinstance(dialog, ConfirmOrder)
            facts = dict(dialog.facts)
            assert (facts["mode"], facts["symbol"], facts["side"], facts["quantity"]) == (
                "LIVE",
                "BTC/USDT",
                "buy",
                "0.01",
            )
            assert facts["notional"].endswith(" USDT") and exchange.placed_requests == 0
            await pilot.press("n")
            await eventually(
                lambda: _notified(app, "not confirmed; nothing was sent"), "the refusal", pause=pilot.pause
            )
            assert exchange.placed_requests == 0 and not runtime.broker.view().positions

            await _ticket(app, pilot, "0.01")
            await eventually(lambda: isinstance(app.screen, ConfirmOrder), "the second question", pause=pilot.pause)
            await pilot.press("y")
            await eventually(lambda: runtime.broker.view().positions, "the position on the exchange", pause=pilot.pause)
            assert exchange.placed_requests == 1
            await eventually(lambda: _notified(app, "BTC/USDT buy 0.01 market: filled"), "the fill", pause=pilot.pause)

            # the kill switch: one question for the whole of it, then no dialog per flattening order
            await pilot.press("K")
            await eventually(lambda: isinstance(app.screen, ConfirmKillSwitch), "the kill switch", pause=pilot.pause)
            await pilot.press("y")
            await eventually(lambda: _notified(app, "kill switch (live)"), "the report", pause=pilot.pause)
            assert not any(isinstance(s, ConfirmOrder) for s in app.screen_stack)
            assert exchange.placed_requests == 2 and not runtime.broker.view().positions
