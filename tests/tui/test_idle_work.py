"""Work the TUI does when little changes: snapshots with the same bars do not replot the chart, a move that
changes no cell of the plot only retitles it, a plot is built once per change however often it repaints, and the
status bar's rates and ages repaint once a second while its states repaint at once."""

from __future__ import annotations

import dataclasses

from textual.app import App, ComposeResult

from cryptoterm.domain.market import Candle
from cryptoterm.tui.screens.dashboard import DashboardScreen
from cryptoterm.tui.widgets.cached_plot import CachedPlot
from cryptoterm.tui.widgets.candle_chart import CandleChart
from cryptoterm.tui.widgets.status_bar import StatusBar, status_text
from tests.tui.conftest import fake_feed, make_app
from tests.tui.fakes import FakeFeed
from tests.waiting import eventually


async def test_snapshots_with_unchanged_bars_do_not_replot_the_chart() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await eventually(lambda: app.session.symbols, "runtime", pause=pilot.pause)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        chart = screen.query_one(CandleChart)
        counts: list[int] = []

        def settled() -> bool:  # drawn, and the layout done resizing it (each new size is one more draw)
            counts.append(chart.renders)
            return (
                counts[-1] > 0 and len(counts) >= 6 and len(set(counts[-6:])) == 1 and not screen.chart_redraw_pending
            )

        await eventually(settled, "chart drawn at its final size", pause=lambda: pilot.pause(0.02))
        before = chart.renders
        feed = fake_feed(app)
        for _ in range(5):
            screen.redraw_chart()
            app.publish(feed.snapshot())  # same bars: nothing moved
            await pilot.pause()
        await eventually(lambda: not screen.chart_redraw_pending, "throttle idle", pause=lambda: pilot.pause(0.02))
        assert chart.renders == before
        feed.tick()  # a trade moves the forming bar: the chart follows
        await eventually(lambda: chart.renders > before, "replotted after a move", pause=lambda: pilot.pause(0.02))


MINUTE = 60_000


def _bars(count: int) -> list[Candle]:
    return [
        Candle(1_723_161_600_000 + i * MINUTE, 100.0 + i % 7, 104.0 + i % 7, 97.0 + i % 7, 101.0 + i % 5, 5.0 + i % 3)
        for i in range(count)
    ]


async def test_a_move_too_small_to_change_a_cell_retitles_the_chart_without_replotting_it() -> None:
    class ChartOnly(App[None]):
        def compose(self) -> ComposeResult:
            yield CandleChart(warmup=0, volume=True)

    app = ChartOnly()
    async with app.run_test(size=(120, 40)) as pilot:
        chart = app.query_one(CandleChart)
        await pilot.pause()
        bars = _bars(60)
        assert chart.show("first", "1m", bars)
        price = chart.query_one("#price", CachedPlot)
        await pilot.pause()
        builds = price.builds
        last = bars[-1]
        nudged = [*bars[:-1], last._replace(close=last.close + 1e-6)]  # far below one braille dot
        assert not chart.show("nudged", "1m", nudged)
        assert chart.title == "nudged" and chart.renders == 1 and chart.candles[-1].close == last.close + 1e-6
        moved = [*bars[:-1], last._replace(close=last.low + 0.5)]  # the body moves by rows
        assert chart.show("moved", "1m", moved) and chart.renders == 2
        await pilot.pause()
        assert price.builds == builds + 1
        chart.border_title = "retitled"  # the container repaints; the plot is not built again
        price.refresh()
        await pilot.pause()
        assert price.builds == builds + 1


async def test_the_status_bar_repaints_rates_and_ages_once_a_second_and_states_at_once() -> None:
    class BarOnly(App[None]):
        def compose(self) -> ComposeResult:
            yield StatusBar("demo", "sim")

    now = [100.0]
    app = BarOnly()
    async with app.run_test(size=(120, 5)) as pilot:
        bar = app.query_one(StatusBar)
        bar.clock = lambda: now[0]
        feed = FakeFeed(["BTC/USDT"])
        first = feed.snapshot()
        bar.apply_snapshot(first)
        assert "812 msg/s" in bar.shown_text or "813 msg/s" in bar.shown_text
        now[0] += 0.2
        faster = dataclasses.replace(first, stats=dataclasses.replace(first.stats, messages_per_s=2_000.0))
        bar.apply_snapshot(faster)
        assert "2.0K msg/s" not in bar.shown_text and "2,000" not in bar.shown_text  # held back: only the rate moved
        late = dataclasses.replace(faster, stats=dataclasses.replace(faster.stats, late_trades=4))
        bar.apply_snapshot(late)
        assert "late 4" in bar.shown_text  # worth seeing at once
        now[0] += 0.2
        slower = dataclasses.replace(late, stats=dataclasses.replace(late.stats, messages_per_s=5.0))
        bar.apply_snapshot(slower)
        held = bar.shown_text
        await eventually(lambda: bar.shown_text != held, "the held-back rate painted", pause=pilot.pause)
        assert bar.shown_text == status_text("demo", "sim", slower).plain
