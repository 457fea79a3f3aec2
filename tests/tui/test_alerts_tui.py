"""The alert feed on the dashboard and the alerts screen, over a real alert engine: newest first, unread count,
the bell on a new firing, delivery status; enter opens the alert at its time; rules created in a form checked as
you type, edited, paused, test-fired and deleted; the watchlist's attention column where there is room."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Static

from cryptoterm.domain.market import Trade
from cryptoterm.tui.formatting import DASH
from cryptoterm.tui.screens.alert_detail import AlertDetailScreen
from cryptoterm.tui.screens.alert_form import AlertForm
from cryptoterm.tui.screens.alerts import AlertsScreen
from cryptoterm.tui.screens.dashboard import DashboardScreen
from cryptoterm.tui.widgets.alert_feed import AlertFeed
from cryptoterm.tui.widgets.watchlist import Watchlist
from tests.tui.alert_fakes import MINUTE, AlertsRuntime, alerts_app
from tests.tui.fakes import START_MS
from tests.tui.screen_fakes import static_text
from tests.waiting import eventually


async def ready(pilot: Pilot[Any]) -> AlertFeed:
    app = pilot.app
    await eventually(
        lambda: isinstance(app.screen, DashboardScreen) and len(app.screen.query_one(AlertFeed).items) == 4,
        "the alert feed filled",
        pause=lambda: pilot.pause(0.02),
    )
    return app.screen.query_one(AlertFeed)


def runtime(app: Any) -> AlertsRuntime:
    found = app.session.runtime
    assert isinstance(found, AlertsRuntime)
    return found


async def test_the_feed_newest_first_with_unread_count_delivery_and_bell() -> None:
    app = alerts_app(failures=2)
    async with app.run_test(size=(120, 40)) as pilot:
        feed = await ready(pilot)
        assert [(i.kind, i.symbol) for i in feed.items] == [
            ("alert", "BTC/USDT"),
            ("event", ""),
            ("event", "SOL/USDT"),
            ("alert", "ETH/USDT"),
        ]
        assert feed.border_title == "Alerts · 2 unread"
        eth = feed.items[-1]
        assert eth.status == "✗ failed ×2"  # the first delivery failed both attempts
        assert feed.items[0].status == "✓ sent"
        assert feed.items[1].text.startswith("market (6 symbols) return -6.10 %")
        assert feed.bells == 0  # what fired before the feed existed does not ring
        alerts = runtime(app).alerts
        alerts.on_trades([Trade("ETH/USDT", START_MS + 50 * MINUTE, 2680.0, 1, "buy")])
        alerts.on_trades([Trade("ETH/USDT", START_MS + 59 * MINUTE, 2660.0, 1, "sell")])  # crosses: fires
        await eventually(lambda: feed.bells == 1 and len(feed.items) == 5, "a new firing rang", pause=pilot.pause)
        alerts.on_trades([Trade("ETH/USDT", START_MS + 62 * MINUTE, 2680.0, 1, "buy"),
                          Trade("ETH/USDT", START_MS + 63 * MINUTE, 2660.0, 1, "sell")])  # fmt: skip
        await alerts.drain()  # crossed again within the 10m cooldown: nothing fired
        await pilot.pause()
        assert len(feed.items) == 5 and feed.bells == 1
        assert feed.border_title == "Alerts · 3 unread"
        feed.focus()
        await pilot.press("r")
        await eventually(lambda: feed.border_title == "Alerts", "every alert read", pause=pilot.pause)


async def test_enter_opens_the_alert_at_its_time() -> None:
    app = alerts_app(failures=2)
    async with app.run_test(size=(120, 40)) as pilot:
        feed = await ready(pilot)
        feed.focus()
        feed.move_cursor(row=3)
        await pilot.press("enter")
        await eventually(lambda: isinstance(app.screen, AlertDetailScreen), "the alert opened", pause=pilot.pause)
        detail = app.screen
        assert isinstance(detail, AlertDetailScreen)
        text = static_text(detail.query_one("#alert-detail", Static))
        assert "Alert eth-dip · ETH/USDT" in text and "at 2024-08-09 00:12:00 UTC" in text
        assert "Delivery: ✗ failed ×2" in text and "HTTP 500" in text
        assert detail.candles and all(abs(c.open_time - detail.item.ts) <= 30 * MINUTE for c in detail.candles)
        assert app.session.selected_symbol == "ETH/USDT"
        await pilot.press("escape")
        await eventually(lambda: feed.border_title == "Alerts · 1 unread", "the opened alert read", pause=pilot.pause)


async def test_rules_are_created_checked_as_you_type_paused_tested_and_deleted() -> None:
    app = alerts_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("w")
        await eventually(lambda: isinstance(app.screen, AlertsScreen), "the alerts screen", pause=pilot.pause)
        screen = app.screen
        assert isinstance(screen, AlertsScreen)
        assert [row.rule.name for row in screen.table.rows_loaded] == ["eth-dip", "btc-breakout", "oversold-4h"]
        await pilot.press("n")
        await eventually(lambda: isinstance(app.screen, AlertForm), "the form", pause=pilot.pause)
        form = app.screen
        assert isinstance(form, AlertForm)
        form.query_one("#alert-name", Input).value = "sol-dip"
        form.query_one("#alert-symbol", Input).value = "SOL/USDT"
        form.query_one("#alert-when", Input).focus()
        await pilot.press(*"price crosses_belw 150")
        await pilot.pause()
        assert form.error.startswith('when: "price crosses_belw 150": unknown comparison "crosses_belw"')
        assert '(did you mean "crosses_below"?)' in form.error
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, AlertForm)  # refused while it does not build
        when = form.query_one("#alert-when", Input)
        when.value = "price crosses_below 150"
        await pilot.pause()
        assert form.error == ""
        await pilot.press("ctrl+s")
        await eventually(lambda: len(screen.table.rows_loaded) == 4, "the new rule listed", pause=pilot.pause)
        store = runtime(app).store_
        assert store.saved["sol-dip"].rule.origin == "user"
        screen.table.move_cursor(row=3)
        await pilot.press("p")
        await eventually(lambda: not runtime(app).alerts.statuses()[3].rule.enabled, "paused", pause=pilot.pause)
        assert not store.saved["sol-dip"].rule.enabled  # stored: it stays paused after a restart
        await pilot.press("t")
        await eventually(lambda: any(f.test for f in store.firings), "a test firing", pause=pilot.pause)
        assert [f.rule_name for f in store.firings if f.test] == ["sol-dip"]
        await pilot.press("x")
        await eventually(lambda: len(screen.table.rows_loaded) == 3, "deleted", pause=pilot.pause)
        screen.table.move_cursor(row=0)
        await pilot.press("e")
        await pilot.pause()
        assert not isinstance(app.screen, AlertForm)  # a config rule is edited in the config file


async def test_attention_column_where_there_is_room() -> None:
    app = alerts_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        table = app.screen.query_one(Watchlist)
        await eventually(lambda: table.cell_text("BTC/USDT", "attention") == "11", "attention shown", pause=pilot.pause)
        assert table.cell_text("ETH/USDT", "attention") == "3.4"
        assert table.cell_text("BNB/USDT", "attention") == DASH
    app = alerts_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await eventually(lambda: app.session.snapshot is not None, "started", pause=pilot.pause)
        await pilot.pause()
        assert not app.screen.query_one(Watchlist).shows_attention  # 80 columns hold the seven ticker columns only
