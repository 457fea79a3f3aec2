"""Rendering snapshots of the pairs screener (the stored session, filtered) and the pair detail (z-score chart,
hedge and Johansen tables), over real stored klines, the seeded fake feed and a frozen clock.

Regenerate after an intended visual change with `make snapshots-update` and review the SVG diffs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from cryptoterm.tui.screens.pair_detail import PairDetailScreen
from cryptoterm.tui.widgets.pair_table import PairTable
from tests.tui.screener_fakes import screener_app, seed_store
from tests.tui.test_screen_screener import open_screener
from tests.waiting import eventually

SnapCompare = Callable[..., bool]


@pytest.fixture
def db(tmp_path: Path, shared_data: Path) -> Path:
    path = tmp_path / "screener.db"
    seed_store(path, shared_data)
    return path


async def _filtered(pilot: Pilot[Any]) -> None:
    await open_screener(pilot)
    await pilot.press("f", *"hl<300", "enter")
    await pilot.pause(0.1)


async def _detail(pilot: Pilot[Any]) -> None:
    screen = await open_screener(pilot)
    table = screen.query_one(PairTable)
    table.move_cursor(row=table.get_row_index("BTC/USDT|ETH/USDT"))
    await pilot.press("enter")
    app = pilot.app
    await eventually(
        lambda: isinstance(app.screen, PairDetailScreen) and app.screen.detail is not None,
        "the pair detail loaded",
        pause=lambda: pilot.pause(0.02),
    )
    await pilot.pause(0.1)
    detail = app.screen
    assert isinstance(detail, PairDetailScreen)
    detail.draw_chart()  # at its settled size
    await pilot.pause(0.1)


def test_screener_80x24(snap_compare: SnapCompare, db: Path) -> None:
    assert snap_compare(screener_app(db), terminal_size=(80, 24), run_before=_filtered)


def test_screener_120x40(snap_compare: SnapCompare, db: Path) -> None:
    assert snap_compare(screener_app(db), terminal_size=(120, 40), run_before=_filtered)


def test_pair_detail_80x24(snap_compare: SnapCompare, db: Path) -> None:
    assert snap_compare(screener_app(db), terminal_size=(80, 24), run_before=_detail)


def test_pair_detail_120x40(snap_compare: SnapCompare, db: Path) -> None:
    assert snap_compare(screener_app(db), terminal_size=(120, 40), run_before=_detail)
