"""Trading in the TUI on the real demo runtime (the simulated market at full speed, a temporary database): the
order ticket from the watchlist fills against the simulated trades, the positions panel and screen follow, a
resting limit is filled by the market, positions are flattened and orders cancelled from the positions screen,
a setup is taken in one key, journal entries are written from a setup and a position and read on the journal
screen, and the kill switch asks, then cancels and flattens."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from textual.widgets import DataTable, Input, Select, Static, TextArea

from cryptoterm.config import default_config
from cryptoterm.config.schema import LevelsConfig, ScannerConfig, StrategyConfig
from cryptoterm.domain.market import Trade
from cryptoterm.services.engine import Engine
from cryptoterm.tui.app import CryptotermApp
from cryptoterm.tui.screens.confirm_kill_switch import ConfirmKillSwitch
from cryptoterm.tui.screens.journal import JournalScreen
from cryptoterm.tui.screens.journal_form import JournalForm
from cryptoterm.tui.screens.order_ticket import OrderTicket
from cryptoterm.tui.screens.positions import PositionsScreen
from cryptoterm.tui.screens.setup_detail import SetupDetailScreen
from cryptoterm.tui.widgets.positions_panel import PositionsPanel
from cryptoterm.wiring.options import RunOptions
from tests.waiting import eventually


def demo_app(tmp_path: Path) -> CryptotermApp:
    config = default_config()
    demo = msgspec.structs.replace(config.demo, symbols=4, history_days=2, speed=0.0)
    strategy = StrategyConfig(
        name="every-bar",
        timeframe="1m",
        when=["close > 0"],
        levels=LevelsConfig(entry="close", stop="close - 2 * atr(14)", targets=["2R", "3R"]),
        expires="30 bars",
    )
    scanner = ScannerConfig(interval_s=0.0, on_candle_close=False, history_bars=200)
    config = msgspec.structs.replace(config, demo=demo, scanner=scanner, strategy=[strategy])
    return CryptotermApp(config, RunOptions(mode="demo", db_path=str(tmp_path / "demo.db")))


async def _engine(app: CryptotermApp, pilot: object) -> Engine:
    await eventually(
        lambda: isinstance(app.session.runtime, Engine) and app.session.snapshot is not None,
        "the demo engine running",
        pause=pilot.pause,  # type: ignore[attr-defined]
    )
    runtime = app.session.runtime
    assert isinstance(runtime, Engine) and runtime.broker is not None
    await eventually(lambda: runtime.feed.stats().trades_total > 50, "simulated trades", pause=pilot.pause)  # type: ignore[attr-defined]
    return runtime


def _fill(ticket: OrderTicket, **fields: str) -> None:
    for name, value in fields.items():
        if name in ("side", "kind"):
            ticket.query_one(f"#ticket-{name}", Select).value = value
        else:
            ticket.query_one(f"#ticket-{name}", Input).value = value


async def test_ticket_fills_against_the_simulated_market_and_the_screens_follow(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        runtime = await _engine(app, pilot)
        broker = runtime.broker
        assert broker is not None
        symbol = app.session.selected_symbol
        await pilot.press("N")
        await eventually(lambda: isinstance(app.screen, OrderTicket), "the order ticket", pause=pilot.pause)
        ticket = app.screen
        assert isinstance(ticket, OrderTicket) and ticket.draft.symbol == symbol
        assert ticket.draft.kind == "limit" and float(ticket.draft.price) > 0  # the last price, as the limit
        last = runtime.feed.candles(symbol, "1m", 1)[-1].close
        # a field the ticket cannot read: one line naming it, and the ticket stays open with what was typed
        _fill(ticket, kind="limit", qty="0.01", price="cheap")
        await pilot.press("ctrl+s")
        error = str(ticket.query_one("#ticket-error", Static).content)
        assert error == "price: 'cheap' is not a number" and app.screen is ticket
        # an order over [trading] max_order_notional: the broker refuses it in one line, nothing is placed
        limit = app.session.config.trading.max_order_notional
        _fill(ticket, kind="market", qty=f"{2 * limit / last:.6f}", price="")
        await pilot.press("ctrl+s")
        await eventually(lambda: _notified(app, "order refused: "), "the refusal", pause=pilot.pause)
        refusal = next(str(n.message) for n in app._notifications if "order refused" in str(n.message))
        assert "\n" not in refusal and "notional" in refusal and not broker.view().orders
        assert not broker.view().positions

        await pilot.press("N")
        await eventually(lambda: isinstance(app.screen, OrderTicket), "the ticket again", pause=pilot.pause)
        qty = round(300.0 / last, 6)
        _fill(app.screen, kind="market", qty=str(qty), price="")  # type: ignore[arg-type]
        await pilot.press("ctrl+s")
        await eventually(lambda: broker.view().positions, "a position from the market order", pause=pilot.pause)
        (position, _mark) = broker.view().positions[0]
        assert position.symbol == symbol and position.qty == qty
        panel = app.screen.query_one(PositionsPanel)
        await eventually(
            lambda: panel.has_class("-open") and panel.paints, "the positions panel shown", pause=pilot.pause
        )

        # a resting buy limit just under the market, filled by the simulated trades
        await pilot.press("N")
        await eventually(lambda: isinstance(app.screen, OrderTicket), "the ticket again", pause=pilot.pause)
        last = runtime.feed.candles(symbol, "1m", 1)[-1].close
        _fill(app.screen, kind="limit", qty=str(qty), price=f"{last * 0.9995:.2f}")  # type: ignore[arg-type]
        await pilot.press("ctrl+s")
        await eventually(lambda: broker.view().orders or sum(p.qty for p, _ in broker.view().positions) > qty,
                         "the limit resting or filled", pause=pilot.pause)  # fmt: skip
        # at full speed the simulated price may have run away from the limit before it rested: one trade through
        # it, handed to the broker as the feed hands it its trades, fills what is left (in one step, so no simulated
        # trade comes between reading the remainder and the fill)
        for resting in broker.view().orders:
            price = resting.request.price
            assert price is not None
            through = Trade(symbol, resting.created_ms, price * 0.999, resting.remaining_qty, "sell")
            broker.on_trades([through])
        await eventually(
            lambda: not broker.view().orders and sum(p.qty for p, _ in broker.view().positions) > 1.5 * qty,
            "the limit filled by the market",
            pause=pilot.pause,
        )
        fills = await broker.fills(symbol)
        maker = [f for f in fills if f.liquidity == "maker"]
        assert fills[0].liquidity == "taker" and len(maker) == len(fills) - 1  # the limit, over one or more trades
        assert abs(sum(f.qty for f in maker) - qty) < 1e-9

        # the positions screen lists it; f flattens it
        await pilot.press("p")
        await eventually(lambda: isinstance(app.screen, PositionsScreen), "the positions screen", pause=pilot.pause)
        screen = app.screen
        assert isinstance(screen, PositionsScreen)
        table = screen.query_one("#positions-table", DataTable)
        await eventually(lambda: table.row_count == 1, "the position listed", pause=pilot.pause)
        await pilot.press("3")
        fills_table = screen.query_one("#fills-table", DataTable)
        await eventually(lambda: fills_table.row_count == len(fills), "every fill listed", pause=pilot.pause)

        # a buy limit far under the market rests; x on the orders tab cancels it
        await pilot.press("N")
        await eventually(lambda: isinstance(app.screen, OrderTicket), "a ticket for the limit", pause=pilot.pause)
        _fill(app.screen, kind="limit", qty=str(qty), price=f"{last * 0.5:.2f}")  # type: ignore[arg-type]
        await pilot.press("ctrl+s")
        await eventually(lambda: broker.view().orders, "the far limit resting", pause=pilot.pause)
        (resting,) = broker.view().orders
        orders_table = screen.query_one("#orders-table", DataTable)
        await pilot.press("2")
        await eventually(lambda: orders_table.row_count == 1, "the order listed", pause=pilot.pause)
        await pilot.press("x")
        await eventually(lambda: not broker.view().orders, "the order cancelled", pause=pilot.pause)
        assert (await broker.order_by_client_id(resting.request.client_id)).status == "cancelled"  # type: ignore[union-attr]
        await eventually(lambda: orders_table.row_count == 0, "the orders table emptied", pause=pilot.pause)

        await pilot.press("1", "f")
        await eventually(lambda: not broker.view().positions, "the position flattened", pause=pilot.pause)
        await eventually(lambda: table.row_count == 0, "the table emptied", pause=pilot.pause)


async def test_kill_switch_asks_then_cancels_and_flattens(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        runtime = await _engine(app, pilot)
        broker = runtime.broker
        assert broker is not None
        symbol = app.session.selected_symbol
        await pilot.press("K")  # nothing open: nothing to ask
        await eventually(lambda: _notified(app, "nothing open, nothing held"), "the empty account", pause=pilot.pause)
        last = runtime.feed.candles(symbol, "1m", 1)[-1].close
        for kind, price in (("market", ""), ("limit", f"{last * 0.5:.2f}")):
            await pilot.press("N")
            await eventually(lambda: isinstance(app.screen, OrderTicket), "a ticket", pause=pilot.pause)
            _fill(app.screen, kind=kind, qty=f"{200 / last:.6f}", price=price)  # type: ignore[arg-type]
            await pilot.press("ctrl+s")
            await eventually(lambda: not isinstance(app.screen, OrderTicket), "the ticket closed", pause=pilot.pause)
        await eventually(lambda: broker.view().positions and broker.view().orders, "held and open", pause=pilot.pause)

        await pilot.press("K")
        await eventually(lambda: isinstance(app.screen, ConfirmKillSwitch), "the question", pause=pilot.pause)
        question = app.screen
        assert isinstance(question, ConfirmKillSwitch)
        assert question.plan.describe().startswith("cancel 1 open order and flatten 1 position")
        await pilot.press("n")
        await eventually(lambda: _notified(app, "kill switch not run"), "the answer no", pause=pilot.pause)
        assert len(broker.view().orders) == 1 and len(broker.view().positions) == 1

        await pilot.press("K")
        await eventually(lambda: isinstance(app.screen, ConfirmKillSwitch), "the question again", pause=pilot.pause)
        await pilot.press("y")
        await eventually(
            lambda: _notified(app, "1 order cancelled, 1 position flattened; nothing left open"),
            "the kill switch's report",
            pause=pilot.pause,
        )
        assert not broker.view().orders and not broker.view().positions


def _notified(app: CryptotermApp, text: str) -> bool:
    return any(text in str(n.message) for n in app._notifications)


async def test_take_setup_in_one_key_and_journal_from_the_position(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        runtime = await _engine(app, pilot)
        scanning = runtime.scanning
        assert scanning is not None
        await eventually(lambda: scanning.repo.recent_setups(), "a setup from the startup scan", pause=pilot.pause)
        setup = next(s for s in scanning.repo.recent_setups() if s.symbol in runtime.feed.symbols)
        await app.push_screen(SetupDetailScreen(app.session, setup))
        await pilot.press("k")
        await eventually(lambda: isinstance(app.screen, OrderTicket), "the ticket from the setup", pause=pilot.pause)
        ticket = app.screen
        assert isinstance(ticket, OrderTicket)
        draft = ticket.current()
        assert (draft.kind, draft.side, draft.setup_id) == ("bracket", "buy", setup.id)
        # the levels as typed by hand: ten decimals at most
        assert float(draft.price) == pytest.approx(setup.entry, abs=1e-9)
        assert float(draft.stop) == pytest.approx(setup.stop, abs=1e-9)
        targets = [float(t.split(":")[0]) for t in draft.targets.split(",")]
        assert targets == pytest.approx(list(setup.targets), abs=1e-9)
        limits = app.session.config.trading
        assert 0 < float(draft.qty) * setup.entry <= limits.max_order_notional * (1 + 1e-9)
        await pilot.press("ctrl+s")
        broker = runtime.broker
        assert broker is not None
        # the demo runs at full speed: the bracket may enter and leave (stop or target) before the next poll,
        # so its placement is read from the notice and the store, not from what is still open
        await eventually(lambda: _notified(app, f"{setup.symbol} buy"), "the bracket placed", pause=pilot.pause)
        still_open = [o for o in broker.view().orders if o.request.setup_id == setup.id]
        assert still_open or await broker.fills(setup.symbol), "the bracket neither rests nor filled"
        # e on the setup: a journal entry drafted from it
        await pilot.press("e")
        await eventually(lambda: isinstance(app.screen, JournalForm), "the setup's journal form", pause=pilot.pause)
        setup_form = app.screen
        assert isinstance(setup_form, JournalForm)
        assert (setup_form.draft.setup_id, setup_form.draft.symbol) == (setup.id, setup.symbol)
        assert setup_form.draft.strategy == "every-bar" and setup_form.draft.position_key is None
        setup_form.query_one("#journal-tags", Input).value = "setup"
        await pilot.press("ctrl+s")
        await eventually(lambda: setup_form.saved is not None, "the setup's entry saved", pause=pilot.pause)
        await eventually(lambda: isinstance(app.screen, SetupDetailScreen), "back on the setup", pause=pilot.pause)
        await pilot.press("escape")  # back from the setup detail

        # a position to write about: a market buy, then e on the positions screen
        await pilot.press("N")
        await eventually(lambda: isinstance(app.screen, OrderTicket), "a ticket", pause=pilot.pause)
        symbol = app.screen.draft.symbol  # type: ignore[attr-defined]
        last = runtime.feed.candles(symbol, "1m", 1)[-1].close
        _fill(app.screen, kind="market", qty=f"{200 / last:.6f}", price="")  # type: ignore[arg-type]
        await pilot.press("ctrl+s")
        await eventually(lambda: any(p.symbol == symbol for p, _ in broker.view().positions), "held", pause=pilot.pause)
        await pilot.press("p")
        await eventually(lambda: isinstance(app.screen, PositionsScreen), "the positions screen", pause=pilot.pause)
        screen = app.screen
        table = screen.query_one("#positions-table", DataTable)
        await eventually(lambda: table.row_count >= 1, "positions listed", pause=pilot.pause)
        await pilot.press("e")
        await eventually(lambda: isinstance(app.screen, JournalForm), "the journal form", pause=pilot.pause)
        form = app.screen
        assert isinstance(form, JournalForm) and form.draft.position_key is not None
        form.query_one("#journal-notes", TextArea).text = "bought the open"
        form.query_one("#journal-tags", Input).value = "demo, momentum"
        await pilot.press("ctrl+s")
        await eventually(lambda: form.saved is not None, "the entry saved", pause=pilot.pause)
        assert form.saved is not None and form.saved.tags == ("demo", "momentum") and form.saved.outcome == "open"
        await pilot.press("j")
        await eventually(
            lambda: isinstance(app.screen, JournalScreen) and app.screen.loads, "the journal", pause=pilot.pause
        )
        journal_screen = app.screen
        assert isinstance(journal_screen, JournalScreen)
        assert sorted(e.notes for e in journal_screen.entries) == ["", "bought the open"]
        assert journal_screen.query_one(DataTable).row_count == 2
        await pilot.press("v")
        await eventually(
            lambda: sorted(g.key for g in journal_screen.groups) == ["demo", "momentum", "setup"],
            "stats by tag",
            pause=pilot.pause,
        )
