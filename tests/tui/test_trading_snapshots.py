"""Rendering snapshots of the trading screens at 80×24 over the seeded fake feed, fixed order books and a frozen
clock: the positions screen over a real paper account (a filled market buy, a resting limit), and the order
ticket opened over it with `N`.

Regenerate after an intended visual change with `make snapshots-update` and review the SVG diffs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable

from cryptoterm.adapters.store.trading_repo import TradingRepo
from cryptoterm.domain.trading.orders import OrderRequest
from cryptoterm.services.paper_broker import PaperBroker
from cryptoterm.tui.screens.order_ticket import OrderTicket
from cryptoterm.tui.screens.positions import PositionsScreen
from cryptoterm.wiring.brokers import paper_settings
from tests.tui.screen_fakes import EXCHANGE, runtime_of, screen_app, settle

SnapCompare = Callable[..., bool]


async def _paper_account(pilot: Pilot[Any]) -> PaperBroker:
    """A paper account on the fake market holding BTC and resting a BNB limit (the ids and times are fixed)."""
    await settle(pilot)
    runtime = runtime_of(pilot.app)
    feed = runtime.feed
    broker = PaperBroker(
        paper_settings(pilot.app.session.config.trading, EXCHANGE, fresh=True),  # type: ignore[attr-defined]
        TradingRepo(runtime.real_store),
        lambda: feed.now_ms,
        lambda symbol: _book_view(feed, symbol),
        watched=lambda: feed.symbols,
    )
    await broker.start()
    runtime.broker = broker  # type: ignore[assignment]
    await broker.place(OrderRequest("snap-1", "BTC/USDT", "buy", "market", 0.01))
    bnb = feed.ticker("BNB/USDT").last
    await broker.place(OrderRequest("snap-2", "BNB/USDT", "buy", "limit", 1.0, price=round(bnb * 0.9, 2)))
    feed.tick()
    return broker


def _book_view(feed: Any, symbol: str) -> Any:
    from cryptoterm.domain.trading.matching import MarketView

    book = feed.books.get(symbol)
    bids, asks = book.top(50) if book is not None else ([], [])
    recent = feed.candles(symbol, "1m", 1)
    return MarketView(tuple(bids), tuple(asks), recent[-1].close if recent else None)


def test_positions_screen_80x24(snap_compare: SnapCompare, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _paper_account(pilot)
        await pilot.press("p")
        app = pilot.app
        await settle(pilot, lambda: isinstance(app.screen, PositionsScreen) and app.screen.loads >= 1)
        screen = app.screen
        assert isinstance(screen, PositionsScreen)
        screen.repaint()
        assert screen.query_one("#positions-table", DataTable).row_count == 1
        assert screen.query_one("#orders-table", DataTable).row_count == 1
        await pilot.pause()

    assert snap_compare(screen_app(tmp_path), terminal_size=(80, 24), run_before=run_before)


def test_order_ticket_80x24(snap_compare: SnapCompare, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _paper_account(pilot)
        app = pilot.app
        await pilot.press("p")  # the ticket over the positions screen: the dashboard's layout is not this test's
        await settle(pilot, lambda: isinstance(app.screen, PositionsScreen) and app.screen.loads >= 1)
        await pilot.press("N")
        await settle(pilot, lambda: isinstance(app.screen, OrderTicket))
        await pilot.pause()

    assert snap_compare(screen_app(tmp_path), terminal_size=(80, 24), run_before=run_before)
