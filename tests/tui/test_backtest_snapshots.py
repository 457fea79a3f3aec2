"""Rendering snapshots of the backtest screens over real stored klines and the seeded fake feed: a run's equity
and drawdown, a sweep with its heat map, the form with an error, a trade on its chart, two stored runs compared
(stored with fixed times) — at 80×24 and a wide size.

Regenerate after an intended visual change with `make snapshots-update` and review the SVG diffs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from cryptoterm.services.backtester import BacktestRequest
from cryptoterm.services.sweeps import with_params
from cryptoterm.tui.screens.backtest_compare import BacktestCompareScreen
from cryptoterm.tui.screens.backtest_trade import BacktestTradeScreen
from cryptoterm.tui.widgets.backtest_tables import TradeTable
from tests.tui.backtest_fakes import backtest_app, seed_runs, seed_store
from tests.tui.test_screen_backtest import config_rules, open_backtest, open_form, run_form, strategy
from tests.waiting import eventually

SnapCompare = Callable[..., bool]


@pytest.fixture
def db(tmp_path: Path, shared_data: Path) -> Path:
    path = tmp_path / "backtest.db"
    seed_store(path, shared_data)
    return path


async def _run(pilot: Pilot[Any]) -> None:
    screen = await open_backtest(pilot)
    await open_form(pilot, screen, symbols="BTC/USDT,ETH/USDT")
    await run_form(pilot, screen, screen.runs_loaded)
    await pilot.pause(0.1)


async def _sweep(pilot: Pilot[Any]) -> None:
    screen = await open_backtest(pilot)
    await open_form(pilot, screen, symbols="BTC/USDT", param_fast="5:20:5", param_slow="40,50,100")
    await run_form(pilot, screen, screen.runs_loaded)
    await pilot.pause(0.1)


async def _form_error(pilot: Pilot[Any]) -> None:
    screen = await open_backtest(pilot)
    await open_form(pilot, screen, symbols="BTC/USDT,NOPE/USDT", param_fast="5:20:5", param_slow="40,50,100")
    await pilot.press("ctrl+s")
    await pilot.pause(0.1)


async def _trade(pilot: Pilot[Any]) -> None:
    screen = await open_backtest(pilot)
    await open_form(pilot, screen, strategy="rsi-dip")
    await run_form(pilot, screen, screen.runs_loaded)
    await pilot.press("3")
    screen.query_one(TradeTable).move_cursor(row=2)
    await pilot.press("enter")
    app = pilot.app
    await eventually(
        lambda: isinstance(app.screen, BacktestTradeScreen) and app.screen.chart_data is not None,
        "the trade chart loaded",
        pause=lambda: pilot.pause(0.05),
    )
    await pilot.pause(0.1)
    detail = app.screen
    assert isinstance(detail, BacktestTradeScreen) and detail.chart_data is not None
    detail.show(detail.chart_data)  # at its settled size
    await pilot.pause(0.1)


async def _compare(pilot: Pilot[Any]) -> None:
    screen = await open_backtest(pilot)
    await pilot.press("5", "space", "down", "space", "c")
    app = pilot.app
    await eventually(
        lambda: isinstance(app.screen, BacktestCompareScreen) and app.screen.comparison is not None,
        "the comparison loaded",
        pause=lambda: pilot.pause(0.05),
    )
    await pilot.pause(0.1)
    assert screen.runs_loaded


def _seed_two_runs(db: Path) -> None:
    rules = config_rules()
    cross = strategy("sma-cross")
    seed_runs(
        db,
        (
            BacktestRequest(cross, ("BTC/USDT",), rules),
            BacktestRequest(with_params(cross, {"fast": 5.0}), ("ETH/USDT",), rules, 1_680_000_000_000),
        ),
    )


def test_backtest_run_80x24(snap_compare: SnapCompare, db: Path) -> None:
    assert snap_compare(backtest_app(db), terminal_size=(80, 24), run_before=_run)


def test_backtest_run_140x44(snap_compare: SnapCompare, db: Path) -> None:
    assert snap_compare(backtest_app(db), terminal_size=(140, 44), run_before=_run)


def test_backtest_sweep_80x24(snap_compare: SnapCompare, db: Path) -> None:
    assert snap_compare(backtest_app(db), terminal_size=(80, 24), run_before=_sweep)


def test_backtest_sweep_140x44(snap_compare: SnapCompare, db: Path) -> None:
    assert snap_compare(backtest_app(db), terminal_size=(140, 44), run_before=_sweep)


def test_backtest_form_error_80x24(snap_compare: SnapCompare, db: Path) -> None:
    assert snap_compare(backtest_app(db), terminal_size=(80, 24), run_before=_form_error)


def test_backtest_trade_80x24(snap_compare: SnapCompare, db: Path) -> None:
    assert snap_compare(backtest_app(db), terminal_size=(80, 24), run_before=_trade)


def test_backtest_compare_80x24(snap_compare: SnapCompare, db: Path) -> None:
    _seed_two_runs(db)
    assert snap_compare(backtest_app(db), terminal_size=(80, 24), run_before=_compare)


def test_backtest_compare_140x44(snap_compare: SnapCompare, db: Path) -> None:
    _seed_two_runs(db)
    assert snap_compare(backtest_app(db), terminal_size=(140, 44), run_before=_compare)
