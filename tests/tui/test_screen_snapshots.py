"""Rendering snapshots of the symbol detail with its depth ladder, the health screen and the setups list, over
the seeded fake feed, fixed order books, a frozen clock and a fixed store / process report.

Regenerate after an intended visual change with `make snapshots-update` and review the SVG diffs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from cryptoterm.tui.screens import health as health_module
from cryptoterm.tui.screens.health import HealthScreen, ProcessStats
from cryptoterm.tui.screens.setup_detail import SetupDetailScreen
from cryptoterm.tui.screens.setups import SetupsScreen
from cryptoterm.tui.screens.symbol import SymbolScreen
from cryptoterm.tui.widgets.quality_panel import QualityPanel
from tests.tui.screen_fakes import screen_app, settle

SnapCompare = Callable[..., bool]


@pytest.fixture(autouse=True)
def frozen_health(monkeypatch: pytest.MonkeyPatch) -> None:
    """Process figures, measured UI latency and per-stream rates depend on the machine: fix them."""
    monkeypatch.setattr(health_module, "process_stats", lambda: ProcessStats(150 * 1024 * 1024, 5_400.0, 12))
    monkeypatch.setattr(health_module, "median", lambda values: 3.0)
    monkeypatch.setattr(HealthScreen, "_measure_rates", lambda self, snapshot: None)


async def _symbol(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("down", "down", "enter")
    app = pilot.app
    await settle(
        pilot, lambda: isinstance(app.screen, SymbolScreen) and bool(app.screen.query_one(QualityPanel).reports)
    )
    screen = app.screen
    assert isinstance(screen, SymbolScreen)
    await pilot.pause(0.1)  # let redraws queued by the layout (resize) run first
    screen.redraw_chart()
    await pilot.pause(0.1)


def test_symbol_detail_with_depth_ladder_120x40(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(screen_app(tmp_path), terminal_size=(120, 40), run_before=_symbol)


def test_symbol_detail_80x24(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(screen_app(tmp_path), terminal_size=(80, 24), run_before=_symbol)


def test_health_120x40(snap_compare: SnapCompare, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("h")
        app = pilot.app
        await settle(pilot, lambda: isinstance(app.screen, HealthScreen) and app.screen.counts is not None)
        screen = app.screen
        assert isinstance(screen, HealthScreen)
        screen.paint(screen.session.snapshot)
        await pilot.pause()

    assert snap_compare(screen_app(tmp_path), terminal_size=(120, 40), run_before=run_before)


async def _setups(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("u")
    app = pilot.app
    await settle(pilot, lambda: isinstance(app.screen, SetupsScreen) and app.screen.loads >= 1)


def test_setups_list_120x40(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(screen_app(tmp_path), terminal_size=(120, 40), run_before=_setups)


def test_setups_list_80x24(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(screen_app(tmp_path), terminal_size=(80, 24), run_before=_setups)


def test_setup_detail_120x40(snap_compare: SnapCompare, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _setups(pilot)
        await pilot.press("enter")
        app = pilot.app
        await settle(pilot, lambda: isinstance(app.screen, SetupDetailScreen) and app.screen.detail is not None)

    assert snap_compare(screen_app(tmp_path), terminal_size=(120, 40), run_before=run_before)
