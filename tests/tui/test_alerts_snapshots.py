"""Rendering snapshots of the alert feed on the dashboard, the alerts screen, the rule form with an error and an
alert opened from the feed, over the fake market, a real alert engine and fixed market events.

Regenerate after an intended visual change with `make snapshots-update` and review the SVG diffs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from cryptoterm.tui.screens.alert_detail import AlertDetailScreen
from cryptoterm.tui.screens.alert_form import AlertForm
from cryptoterm.tui.screens.alerts import AlertsScreen
from cryptoterm.tui.screens.dashboard import DashboardScreen
from cryptoterm.tui.widgets.alert_feed import AlertFeed
from tests.tui.alert_fakes import alerts_app
from tests.waiting import eventually

SnapCompare = Callable[..., bool]


@pytest.fixture(autouse=True)
def quiet_alert_logs() -> Iterator[None]:
    """The log pane shows wall-clock times: keep the alert engine's own lines out of these pictures."""
    loggers = [logging.getLogger(f"cryptoterm.services.{name}") for name in ("alert_engine", "alert_delivery")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


async def _dashboard(pilot: Pilot[Any]) -> None:
    app = pilot.app
    await eventually(
        lambda: isinstance(app.screen, DashboardScreen) and len(app.screen.query_one(AlertFeed).items) == 4,
        "the alert feed filled",
        pause=lambda: pilot.pause(0.02),
    )
    await pilot.pause(0.1)
    app.screen.redraw_chart()
    await pilot.pause()


def test_dashboard_with_the_alert_feed_120x40(snap_compare: SnapCompare) -> None:
    assert snap_compare(alerts_app(failures=2), terminal_size=(120, 40), run_before=_dashboard)


def test_alerts_screen_120x40(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _dashboard(pilot)
        await pilot.press("w")
        await eventually(lambda: isinstance(pilot.app.screen, AlertsScreen), "alerts screen", pause=pilot.pause)
        await pilot.pause()

    assert snap_compare(alerts_app(failures=2), terminal_size=(120, 40), run_before=run_before)


def test_alert_form_with_an_error_120x40(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _dashboard(pilot)
        await pilot.press("w")
        await eventually(lambda: isinstance(pilot.app.screen, AlertsScreen), "alerts screen", pause=pilot.pause)
        await pilot.press("n")
        await eventually(lambda: isinstance(pilot.app.screen, AlertForm), "the form", pause=pilot.pause)
        form = pilot.app.screen
        form.query_one("#alert-name", Input).value = "sol-dip"
        form.query_one("#alert-symbol", Input).value = "SOL/USDT"
        form.query_one("#alert-when", Input).value = "price crosses_belw 150"
        form.query_one("#alert-cooldown", Input).value = "10m"
        await pilot.pause()

    assert snap_compare(alerts_app(), terminal_size=(120, 40), run_before=run_before)


def test_alert_opened_from_the_feed_120x40(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _dashboard(pilot)
        feed = pilot.app.screen.query_one(AlertFeed)
        feed.focus()
        feed.move_cursor(row=3)
        await pilot.press("enter")
        await eventually(lambda: isinstance(pilot.app.screen, AlertDetailScreen), "detail", pause=pilot.pause)
        await pilot.pause()

    assert snap_compare(alerts_app(failures=2), terminal_size=(120, 40), run_before=run_before)
