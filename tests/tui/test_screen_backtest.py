"""The backtest screen, driven through the real app over real stored klines: what it shows equals what the
backtest services compute on the same store."""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest
from rich.console import Console, RenderableType
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from cryptoterm.adapters.store.backtests_repo import BacktestsRepo
from cryptoterm.adapters.store.sqlite_store import SqliteStore
from cryptoterm.config.schema import StrategyConfig
from cryptoterm.domain.backtest.rules import BacktestRules
from cryptoterm.ports.compute import InlineExecutor
from cryptoterm.services.backtest_records import load_for
from cryptoterm.services.backtester import Backtester, BacktestRequest
from cryptoterm.services.sweeps import grid, sweep, with_params
from cryptoterm.tui.backtest_view import format_metric
from cryptoterm.tui.commands import palette_commands
from cryptoterm.tui.screens import backtest as backtest_module
from cryptoterm.tui.screens.backtest import BacktestScreen
from cryptoterm.tui.screens.backtest_compare import BacktestCompareScreen
from cryptoterm.tui.screens.backtest_form import BacktestForm
from cryptoterm.tui.screens.backtest_trade import BacktestTradeScreen
from cryptoterm.tui.widgets.backtest_tables import RunsTable, SweepTable, TradeTable
from cryptoterm.tui.widgets.candle_chart import CandleChart
from cryptoterm.tui.widgets.equity_chart import EquityChart
from cryptoterm.tui.widgets.heat_map import HeatMap, heat_table
from tests.tui.backtest_fakes import EXCHANGE, backtest_app, backtest_config, seed_runs, seed_store
from tests.waiting import GUARD_S, eventually


@pytest.fixture
def db(tmp_path: Path, shared_data: Path) -> Path:
    path = tmp_path / "backtest.db"
    seed_store(path, shared_data)
    return path


def strategy(name: str) -> StrategyConfig:
    return next(s for s in backtest_config().strategy if s.name == name)


def config_rules() -> BacktestRules:
    return BacktestRules(**msgspec.to_builtins(backtest_config().backtest))


def text_of(renderable: RenderableType, width: int = 120) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def stored(db: Path) -> list[Any]:
    with SqliteStore(db, batch_ms=0) as store:
        return BacktestsRepo(store).backtests()


async def open_backtest(pilot: Pilot[Any]) -> BacktestScreen:
    app = pilot.app
    await eventually(lambda: app.session.snapshot is not None, "the runtime started", pause=lambda: pilot.pause(0.02))
    await pilot.press("B")
    await eventually(
        lambda: isinstance(app.screen, BacktestScreen) and app.screen.catalog is not None and app.screen.runs_loaded,
        "the backtest screen with the store's catalog",
        pause=lambda: pilot.pause(0.02),
    )
    screen = app.screen
    assert isinstance(screen, BacktestScreen)
    return screen


async def open_form(pilot: Pilot[Any], screen: BacktestScreen, **fields: str) -> BacktestForm:
    """Open the form and set fields (`strategy`, `symbols`, `since`, …, `param_fast`) as a user would leave them."""
    await pilot.press("n")
    await eventually(lambda: isinstance(pilot.app.screen, BacktestForm), "the form open", pause=pilot.pause)
    form = pilot.app.screen
    assert isinstance(form, BacktestForm)
    if "strategy" in fields:
        form.query_one("#bt-strategy", Select).value = fields.pop("strategy")
        await pilot.pause()
    for key, value in fields.items():
        widget_id = f"#bt-param-{key.removeprefix('param_')}" if key.startswith("param_") else f"#bt-{key}"
        widget = form.query_one(widget_id)
        if isinstance(widget, Select):
            widget.value = value
        else:
            assert isinstance(widget, Input)
            widget.value = value
    await pilot.pause()
    return form


async def run_form(pilot: Pilot[Any], screen: BacktestScreen, runs_before: int) -> None:
    await pilot.press("ctrl+s")
    await eventually(
        lambda: screen.running is None and screen.runs_loaded > runs_before and pilot.app.screen is screen,
        "the run finished and the stored runs reloaded",
        pause=lambda: pilot.pause(0.05),
    )


async def test_a_backtest_shows_the_services_numbers_and_is_stored(db: Path) -> None:
    app = backtest_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backtest(pilot)
        assert "No backtest yet" in str(screen.panel_text())
        await open_form(pilot, screen, symbols="BTC/USDT,ETH/USDT")
        await run_form(pilot, screen, screen.runs_loaded)
        with SqliteStore(db, batch_ms=0) as store:
            request = BacktestRequest(strategy("sma-cross"), ("BTC/USDT", "ETH/USDT"), config_rules())
            expected = Backtester(store, EXCHANGE, backtest_config().scanner).run(request)
        metrics = expected.metrics
        run = screen.run_view
        assert run is not None and run.backtest_id == 1 and metrics.trade_count > 20
        assert "Run #1 · sma-cross · BTC/USDT, ETH/USDT · 1h" in str(screen.panel_text())
        equity = screen.query_one("#bt-equity", EquityChart)
        assert np.array_equal(equity.curves[0].values, expected.result.equity)
        assert np.array_equal(equity.curves[0].times, expected.result.times)
        assert f"{metrics.final_equity:,.2f}" in str(equity.border_title)
        drawdown = screen.query_one("#bt-drawdown", EquityChart)
        assert float(-drawdown.curves[0].values.min()) == pytest.approx(metrics.max_drawdown * 100, rel=1e-12)
        await pilot.press("2")
        stats = text_of(screen.query_one("#bt-stats", Static).content)  # type: ignore[arg-type]
        for figure in (
            f"{metrics.final_equity:,.2f}",
            f"{metrics.total_return * 100:.2f} %",
            f"{metrics.sharpe:.2f}",
            f"{metrics.max_drawdown * 100:.2f} %",
            f"{metrics.drawdown_p5 * 100:.2f} %",
            f"{metrics.drawdown_p50 * 100:.2f} %",
            f"{metrics.drawdown_p95 * 100:.2f} %",
            f"{metrics.win_rate * 100:.2f} %",
            f"{metrics.fees:,.2f}",
        ):
            assert figure in stats, figure
        assert "BTC/USDT" in stats and "ETH/USDT" in stats  # the per-symbol breakdown
        await pilot.press("3")
        table = screen.query_one(TradeTable)
        trades = expected.result.trades
        assert table.row_count == len(trades) and [row[1] for row in table.shown] == list(trades)
        first = table.get_row_at(0)
        assert f"{trades[0].pnl:+,.2f}" in [str(cell) for cell in first]
    records = stored(db)
    assert [(r.id, r.kind, r.strategy) for r in records] == [(1, "single", "sma-cross")]
    assert records[0].metrics["final_equity"] == pytest.approx(metrics.final_equity, rel=1e-12)
    with SqliteStore(db, batch_ms=0) as store:
        assert len(BacktestsRepo(store).backtest_trades(1)) == len(trades)


async def test_bad_input_is_one_line_on_the_form_and_nothing_runs(db: Path) -> None:
    app = backtest_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_backtest(pilot)
        form = await open_form(pilot, screen)
        assert app.focused is form.query_one("#bt-symbols", Input)
        await pilot.press(*"nope/usdt", "enter")
        shown = (
            "symbols: unknown symbol 'NOPE/USDT' (no 1h candles stored on sim; stored: BTC/USDT, ETH/USDT, LTC/USDT)"
        )
        assert form.error == shown and app.screen is form
        assert text_of(form.query_one("#bt-form-error", Static).content).strip() == f"✗ {shown}"  # type: ignore[arg-type]
        cases = [
            ({"symbols": "BTC/USDT", "since": "2023-13-01"},
             "since: bad date '2023-13-01' (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM, UTC)"),
            ({"since": "2023-05-01", "until": "2023-04-01"}, "until: must be after since"),
            ({"until": "", "param_fast": "5,a"},
             "param 'fast=5,a': values must be numbers (V1,V2,… or START:STOP:STEP)"),
            ({"param_fast": "9:3:1"}, "param 'fast=9:3:1': values must be numbers (V1,V2,… or START:STOP:STEP)"),
            ({"param_fast": "10", "fee_bps": "-1"}, "fee bps: Expected `float` >= 0.0"),
            ({"fee_bps": "ten"}, "fee bps: expected a number, got 'ten'"),
            ({"fee_bps": "10", "fill": "levels"}, 'strategy "sma-cross" has no levels (entry and stop)'),
        ]  # fmt: skip
        for fields, message in cases:
            for key, value in fields.items():
                widget = form.query_one(f"#bt-param-{key[6:]}" if key.startswith("param_") else f"#bt-{key}")
                widget.value = value  # type: ignore[attr-defined]
            await pilot.press("ctrl+s")
            assert form.error.startswith(message) and "\n" not in form.error, (fields, form.error)
            assert app.screen is form
        await pilot.press("escape")
        assert app.screen is screen and screen.running is None and screen.run_view is None
        assert not any(line.level >= 40 for line in app.session.logs)  # no error logged, no traceback
    assert stored(db) == []


async def test_cancel_stops_a_sweep_and_keeps_the_previous_results(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = threading.Event()
    original = backtest_module.run_order

    def gated(session: Any, order: Any, progress: Any, cancel: threading.Event, now_ms: int) -> Any:
        def held(done: int, total: int) -> None:
            progress(done, total)
            if order.sweep and done == 1:
                gate.wait(timeout=GUARD_S)  # hang guard only: the test opens the gate once it has pressed cancel

        return original(session, order, held, cancel, now_ms)

    monkeypatch.setattr(backtest_module, "run_order", gated)
    app = backtest_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backtest(pilot)
        await open_form(pilot, screen, symbols="BTC/USDT")
        await run_form(pilot, screen, screen.runs_loaded)
        before = screen.run_view
        assert before is not None and before.backtest_id == 1
        await open_form(pilot, screen, param_fast="5,10,20", param_slow="40,50")
        await pilot.press("ctrl+s")
        await eventually(
            lambda: screen.progress == (1, 6) and screen.query_one("#bt-progress").display,
            "the sweep past its first point",
            pause=lambda: pilot.pause(0.02),
        )
        assert "sma-cross: sweep 1/6 points · x cancels" in str(screen.panel_text())
        await pilot.press("n")  # a second run while one runs is refused
        assert app.screen is screen
        await pilot.press("x")
        gate.set()
        await eventually(lambda: screen.running is None, "the sweep stopped", pause=lambda: pilot.pause(0.02))
        assert "Cancelled; the previous results stay." in str(screen.panel_text())
        assert screen.run_view is before and screen.sweep_view is None
        assert not screen.query_one("#bt-progress").display
    assert [r.kind for r in stored(db)] == ["single"]


async def test_a_sweep_fills_its_table_and_the_heat_map_with_its_values(db: Path) -> None:
    app = backtest_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backtest(pilot)
        await open_form(pilot, screen, symbols="BTC/USDT", param_fast="5:15:5", param_slow="40,50", rank="sharpe")
        await run_form(pilot, screen, screen.runs_loaded)
        config, rules = strategy("sma-cross"), config_rules()
        points = grid({"fast": [5.0, 10.0, 15.0], "slow": [40.0, 50.0]})
        with SqliteStore(db, batch_ms=0) as store:
            backtester = Backtester(store, EXCHANGE, backtest_config().scanner)
            inputs = load_for(backtester, config, points, ("BTC/USDT",), None, None)
        expected = sweep(config, points, inputs, rules, InlineExecutor(), rank="sharpe")
        by_params = {(p.params["fast"], p.params["slow"]): p.metrics for p in expected}
        assert screen.sweep_view is not None and screen.query_one("#bt-tabs").active == "bt-tab-sweep"  # type: ignore[attr-defined]
        table = screen.query_one(SweepTable)
        assert [p.params for p in table.shown] == [p.params for p in expected]  # best first by Sharpe
        sharpes = [p.metrics.sharpe for p in table.shown if p.metrics]
        assert sharpes == sorted(sharpes, reverse=True)
        heat = screen.query_one(HeatMap)
        grid_shown = heat.grid
        assert grid_shown is not None and (grid_shown.x_name, grid_shown.y_name) == ("slow", "fast")
        assert grid_shown.xs == (40.0, 50.0) and grid_shown.ys == (5.0, 10.0, 15.0)
        for row, fast in enumerate(grid_shown.ys):
            for column, slow in enumerate(grid_shown.xs):
                metrics = by_params[(fast, slow)]
                assert metrics is not None and grid_shown.values[row][column] == metrics.sharpe
        cells = text_of(heat_table(grid_shown))
        for metrics in by_params.values():
            assert metrics is not None and format_metric(metrics.sharpe, "num") in cells
        best = expected[0]
        assert f"best fast={best.params['fast']:g} slow={best.params['slow']:g}" in str(screen.panel_text())
        await pilot.press("o")  # the next column: sortable by any metric
        assert table.sort_key != "sharpe"
        table.focus()
        table.move_cursor(row=0)
        chosen = table.selected
        assert chosen is not None
        await pilot.press("enter")  # the point backtested alone
        await eventually(lambda: screen.run_view is not None and screen.running is None, "the point's backtest",
                         pause=lambda: pilot.pause(0.05))  # fmt: skip
        assert (
            screen.run_view is not None and screen.run_view.strategy.params == with_params(config, chosen.params).params
        )
        assert chosen.metrics is not None
        assert screen.run_view.metrics["final_equity"] == pytest.approx(chosen.metrics.final_equity, rel=1e-12)
    await eventually(lambda: len(stored(db)) == 2, "both runs stored")
    assert [r.kind for r in stored(db)] == ["single", "sweep"]


async def test_enter_on_a_trade_opens_it_on_a_chart_with_its_levels(db: Path) -> None:
    app = backtest_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backtest(pilot)
        await open_form(pilot, screen, strategy="rsi-dip")
        await run_form(pilot, screen, screen.runs_loaded)
        assert screen.run_view is not None and screen.run_view.symbols == ("BTC/USDT",)  # its universe
        await pilot.press("3")
        table = screen.query_one(TradeTable)
        table.move_cursor(row=2)
        await pilot.press("enter")
        await eventually(
            lambda: isinstance(app.screen, BacktestTradeScreen) and app.screen.chart_data is not None,
            "the trade chart loaded",
            pause=lambda: pilot.pause(0.05),
        )
        detail = app.screen
        assert isinstance(detail, BacktestTradeScreen) and detail.chart_data is not None
        trade, stop = screen.run_view.trades[2], screen.run_view.stops[2]
        with SqliteStore(db, batch_ms=0) as store:
            signal_bar = store.read_candles(EXCHANGE, "BTC/USDT", "1h", since_ms=trade.signal_time, limit=None)[0]
        close = signal_bar.close  # entry = "close", targets 2R and 3R of the signal bar
        levels = {level.label: level.price for level in detail.query_one(CandleChart).levels}
        assert levels["entry"] == trade.entry_price
        assert levels["stop"] == stop and stop < close
        assert levels["target 1"] == pytest.approx(close + 2 * (close - stop), rel=1e-12)
        assert levels["target 2"] == pytest.approx(close + 3 * (close - stop), rel=1e-12)
        assert levels[f"exit ({trade.reason})"] == trade.exit_price
        chart = detail.query_one(CandleChart)
        assert chart.marker_time == trade.entry_time and any(c.open_time == trade.entry_time for c in chart.candles)
        assert chart.title.startswith("BTC/USDT · 1h · rsi-dip · long")
        await pilot.press("escape")
        assert app.screen is screen


async def test_two_stored_runs_compared_side_by_side(db: Path) -> None:
    rules = config_rules()
    runs = seed_runs(
        db,
        (
            BacktestRequest(strategy("sma-cross"), ("BTC/USDT",), rules),
            BacktestRequest(with_params(strategy("sma-cross"), {"fast": 5.0}), ("ETH/USDT",), rules, 1_680_000_000_000),
        ),
    )
    app = backtest_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backtest(pilot)
        await pilot.press("5")
        table = screen.query_one(RunsTable)
        assert [r.id for r in table.shown] == [2, 1]
        await pilot.press("c")  # nothing marked: refused
        assert app.screen is screen
        await pilot.press("space", "down", "space")
        assert table.marked == [2, 1]
        await pilot.press("c")
        await eventually(
            lambda: isinstance(app.screen, BacktestCompareScreen) and app.screen.comparison is not None,
            "the comparison loaded",
            pause=lambda: pilot.pause(0.05),
        )
        compare = app.screen
        assert isinstance(compare, BacktestCompareScreen)
        shown = text_of(compare.query_one("#bt-compare-table", Static).content, width=160)  # type: ignore[arg-type]
        assert "#2 sma-cross" in shown and "#1 sma-cross" in shown
        assert "2023-03-28 → 2023-06-30" in shown  # from 1_680_000_000_000 to the last stored bar
        for run in runs:
            m = run.metrics
            for figure in (f"{m.total_return * 100:.2f} %", f"{m.sharpe:.2f}", f"{m.drawdown_p95 * 100:.2f} %"):
                assert figure in shown
        curves = compare.query_one(EquityChart).curves
        assert [c.label for c in curves] == ["#2 sma-cross", "#1 sma-cross"]
        for curve, run in zip(curves, reversed(runs), strict=True):
            result = run.result
            stride = math.ceil(result.times.size / 2_000)
            assert np.array_equal(curve.times, result.times[::stride])
            assert np.allclose(curve.values, (result.equity[::stride] / result.initial_equity - 1) * 100, rtol=1e-12)


async def test_the_screen_is_reachable_by_its_key_the_palette_and_help(db: Path) -> None:
    app = backtest_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await eventually(lambda: app.session.snapshot is not None, "the runtime started", pause=pilot.pause)
        commands = {c.title: c for c in palette_commands(app, app.screen)}
        commands["Go to Backtest"].callback()
        await eventually(lambda: isinstance(app.screen, BacktestScreen), "the screen from the palette",
                         pause=pilot.pause)  # fmt: skip
        titles = {c.title for c in palette_commands(app, app.screen)}
        assert {"New backtest", "Cancel the backtest", "Compare marked runs"} <= titles
        keys: Mapping[str, str] = dict(app.key_help())
        assert keys["B"] == "Go to Backtest" and keys["n"].startswith("Choose strategy") and "x" in keys
