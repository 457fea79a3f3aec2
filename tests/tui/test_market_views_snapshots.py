"""Rendering snapshots of the market views at 80×24 (and the full book at 120×40, where the tape joins it), over
the screen fakes' frozen feed, fixed books and the deterministic tape, book history and ticker samples of
`view_fakes`. Regenerate after an intended visual change with `make snapshots-update` and review the SVG diffs."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from cryptoterm.tui.screens.markets import MarketsScreen
from cryptoterm.tui.screens.movers import MoversScreen
from cryptoterm.tui.screens.order_book import OrderBookScreen
from cryptoterm.tui.screens.tape import TapeScreen
from cryptoterm.tui.widgets.full_book import FullBookLadder
from cryptoterm.tui.widgets.replay_bar import ReplayBar
from cryptoterm.tui.widgets.trade_tape import TradeTapeView
from tests.tui.screen_fakes import settle
from tests.tui.view_fakes import views_app
from tests.waiting import eventually

SnapCompare = Callable[..., bool]


@pytest.fixture(autouse=True)
def keep_the_log_level() -> Iterator[None]:
    """A running app sets the `cryptoterm` logger's level; put it back so later tests see their own."""
    logger = logging.getLogger("cryptoterm")
    level = logger.level
    yield
    logger.setLevel(level)


def _open(key: str, ready: Callable[[Any], bool]) -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press(key)
        app = pilot.app
        await eventually(lambda: ready(app.screen), f"the {key} view ready", pause=pilot.pause)
        # the order book throttles its repaints: wait for a scheduled one instead of racing it
        await eventually(lambda: not getattr(app.screen, "repaint_pending", False), "no repaint due", pause=pilot.pause)
        await pilot.pause(0.1)  # let redraws queued by the layout run first
        await pilot.pause()

    return run_before


def _markets_ready(screen: Any) -> bool:
    return isinstance(screen, MarketsScreen) and screen.fills >= 1 and bool(screen.matches)


def _movers_ready(screen: Any) -> bool:
    return isinstance(screen, MoversScreen) and screen.board is not None and bool(screen.board.gainers)


def _tape_ready(screen: Any) -> bool:
    return isinstance(screen, TapeScreen) and bool(screen.query_one(TradeTapeView).prints)


def _book_ready(screen: Any) -> bool:
    return isinstance(screen, OrderBookScreen) and screen.query_one(FullBookLadder).book is not None


def test_markets_80x24(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(views_app(tmp_path), terminal_size=(80, 24), run_before=_open("m", _markets_ready))


def test_movers_80x24(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(views_app(tmp_path), terminal_size=(80, 24), run_before=_open("M", _movers_ready))


def test_tape_80x24(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(views_app(tmp_path), terminal_size=(80, 24), run_before=_open("T", _tape_ready))


def test_order_book_80x24(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(views_app(tmp_path), terminal_size=(80, 24), run_before=_open("O", _book_ready))


def test_order_book_with_tape_120x40(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(views_app(tmp_path), terminal_size=(120, 40), run_before=_open("O", _book_ready))


def test_dashboard_with_the_replay_bar_80x24(snap_compare: SnapCompare, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        bar = pilot.app.screen.query_one(ReplayBar)
        await eventually(lambda: bar.progress is not None and bar.renders >= 1, "the replay bar", pause=pilot.pause)
        await pilot.pause()

    assert snap_compare(views_app(tmp_path, replay=True), terminal_size=(80, 24), run_before=run_before)
