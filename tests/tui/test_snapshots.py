"""Rendering snapshots of the dashboard (and help) over the seeded fake feed with a frozen clock.

Regenerate after an intended visual change with `make snapshots-update` and review the SVG diffs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from cryptoterm.tui.screens.dashboard import DashboardScreen
from tests.tui.conftest import make_app

SnapCompare = Callable[..., bool]


async def _settle(pilot: Pilot[Any]) -> None:
    """Wait until the runtime has started, the first snapshot is applied and the chart is drawn."""
    for _ in range(3):
        await pilot.pause()
    screen = pilot.app.screen
    if isinstance(screen, DashboardScreen):
        screen.redraw_chart()
    await pilot.pause()


def test_dashboard_80x24(snap_compare: SnapCompare) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_settle)


def test_dashboard_120x40(snap_compare: SnapCompare) -> None:
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=_settle)


def test_dashboard_200x60_after_selecting_a_symbol_and_timeframe(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _settle(pilot)
        await pilot.press("down", "down", "down", "4")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(200, 60), run_before=run_before)


def test_help_screen_120x40(snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=run_before)


def test_too_small_terminal(snap_compare: SnapCompare) -> None:
    assert snap_compare(make_app(), terminal_size=(50, 12), run_before=_settle)


def test_dashboard_200x60_with_chart_studies_and_the_cursor(snap_compare: SnapCompare) -> None:
    """BB and an EMA over the price, volume, RSI and MACD panels under it, and the cursor's readout."""
    import msgspec

    from cryptoterm.config.schema import AppConfig, ChartConfig

    studies = ["ema(21)", "bb(20, 2)", "volume", "rsi(14)", "macd"]
    config = msgspec.structs.replace(AppConfig(), chart=ChartConfig(studies=studies))

    async def run_before(pilot: Pilot[Any]) -> None:
        await _settle(pilot)
        await pilot.press("full_stop", "comma", "comma", "comma")
        await pilot.pause()

    assert snap_compare(make_app(config), terminal_size=(200, 60), run_before=run_before)
