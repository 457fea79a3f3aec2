"""Symbol detail: opened with enter on a watchlist row or `s`, overlays from the domain indicators, the depth
ladder (levels, bars, spread, mid, imbalance; "syncing…" without a synced book), stepping symbols, quality."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import ta

from cryptoterm.tui.formatting import fmt_price
from cryptoterm.tui.screens.dashboard import DashboardScreen
from cryptoterm.tui.screens.symbol import SymbolScreen
from cryptoterm.tui.widgets.candle_chart import CandleChart
from cryptoterm.tui.widgets.chart_overlays import indicator_overlays
from cryptoterm.tui.widgets.depth_ladder import DepthLadder, LadderView, ladder_summary, ladder_table, size_bar
from cryptoterm.tui.widgets.quality_panel import QualityPanel
from tests.tui.fakes import FakeFeed
from tests.tui.screen_fakes import book_for, runtime_of, screen_app, settle, static_text


def symbol_screen(app: object) -> SymbolScreen:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, SymbolScreen)
    return screen


async def test_enter_on_a_watchlist_row_opens_that_symbols_detail(tmp_path: Path) -> None:
    app = screen_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("down", "down", "down", "enter")
        await settle(pilot, lambda: isinstance(app.screen, SymbolScreen))
        screen = symbol_screen(app)
        assert screen.symbol == "SOL/USDT"
        chart = screen.query_one(CandleChart)
        assert str(chart.border_title).startswith("SOL/USDT · 1m · ")
        feed = runtime_of(app).feed
        assert chart.candles[-1] == feed.candles("SOL/USDT", "1m", 1)[-1]
        ladder = screen.query_one(DepthLadder)
        assert ladder.view is not None and ladder.symbol == "SOL/USDT"
        book = book_for("SOL/USDT", feed.ticker("SOL/USDT").last)
        assert ladder.view.bids == tuple(book.top(10)[0]) and ladder.view.asks == tuple(book.top(10)[1])
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)


async def test_s_key_shows_the_selected_symbol_and_brackets_step_through_the_watchlist(tmp_path: Path) -> None:
    app = screen_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("down", "s")
        await settle(pilot, lambda: isinstance(app.screen, SymbolScreen))
        screen = symbol_screen(app)
        assert screen.symbol == "ETH/USDT"
        assert screen.query_one(DepthLadder).syncing, "ETH/USDT has no synced book"
        assert "syncing…" in static_text(screen.query_one(DepthLadder))
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert screen.symbol == "BNB/USDT" and app.session.selected_symbol == "BNB/USDT"
        assert not screen.query_one(DepthLadder).syncing
        await pilot.press("left_square_bracket", "left_square_bracket", "left_square_bracket")
        await pilot.pause()
        assert screen.symbol == app.session.symbols[-1]


async def test_timeframe_bands_and_depth_keys(tmp_path: Path) -> None:
    app = screen_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot, lambda: isinstance(app.screen, SymbolScreen))
        screen = symbol_screen(app)
        chart = screen.query_one(CandleChart)
        assert [o.label for o in chart.overlays] == ["EMA 9", "EMA 21", "BB 20 upper", "BB 20 mid", "BB 20 lower"]
        await pilot.press("4")
        await pilot.pause()
        assert chart.timeframe == "1h" and str(chart.border_title).startswith("BTC/USDT · 1h · ")
        await pilot.press("b")
        await pilot.pause()
        assert [o.label for o in chart.overlays] == ["EMA 9", "EMA 21"]
        ladder = screen.query_one(DepthLadder)
        assert ladder.view is not None and len(ladder.view.bids) == 10
        await pilot.press("plus")
        await pilot.pause()
        assert len(ladder.view.bids) == 15 and len(ladder.view.asks) == 15
        await pilot.press("minus", "minus")
        await pilot.pause()
        assert len(ladder.view.bids) == 5


async def test_quality_report_covers_1m_and_1h(tmp_path: Path) -> None:
    app = screen_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot, lambda: bool(app.screen.query(QualityPanel) and app.screen.query_one(QualityPanel).reports))
        panel = symbol_screen(app).query_one(QualityPanel)
        assert [r.timeframe for r in panel.reports] == ["1m", "1h"]
        one_minute = panel.reports[0]
        assert one_minute.symbol == "BTC/USDT" and one_minute.rows == 1439  # the forming bar is not data yet
        assert one_minute.holes == () and one_minute.duplicates == 0
        # Judged on the feed's clock: the last closed bar ended 60 s before it, within one bar + stale_after_s.
        assert one_minute.last_bar_age_ms == 60_000 and not one_minute.stale
        assert one_minute.issues == () and one_minute.score == 100.0
        assert panel.reports[1].stale is False  # 1h bars are judged against two bar lengths


async def test_symbol_palette_offers_every_action(tmp_path: Path) -> None:
    app = screen_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot, lambda: isinstance(app.screen, SymbolScreen))
        titles = [c.title for c in symbol_screen(app).palette_commands()]
        for expected in ("Detail of SOL/USDT", "Next symbol", "Toggle Bollinger bands", "More depth levels"):
            assert expected in titles
        keys = dict(app.key_help())
        for key in ("[", "]", "b", "+", "-"):
            assert key in keys


def test_overlays_equal_ta() -> None:
    candles = FakeFeed(["BTC/USDT"]).candles("BTC/USDT", "1m", 300)
    closes = pd.Series([c.close for c in candles])
    overlays = {o.label: np.array(o.values) for o in indicator_overlays(candles)}
    references = {
        "EMA 9": ta.trend.ema_indicator(closes, window=9).to_numpy(),
        "EMA 21": ta.trend.ema_indicator(closes, window=21).to_numpy(),
        "BB 20 upper": ta.volatility.bollinger_hband(closes, window=20, window_dev=2).to_numpy(),
        "BB 20 mid": ta.volatility.bollinger_mavg(closes, window=20).to_numpy(),
        "BB 20 lower": ta.volatility.bollinger_lband(closes, window=20, window_dev=2).to_numpy(),
    }
    assert set(overlays) == set(references)
    for label, reference in references.items():
        ours = overlays[label]
        assert np.array_equal(np.isnan(ours), np.isnan(reference)), label
        np.testing.assert_allclose(np.nan_to_num(ours), np.nan_to_num(reference), rtol=1e-10, err_msg=label)
    assert indicator_overlays([]) == []


def test_ladder_rendering_shows_levels_bars_and_summary() -> None:
    view = LadderView("X/USDT", ((99.0, 2.0), (98.0, 4.0)), ((101.0, 1.0), (102.0, 8.0)), 2.0, 100.0, 6 / 15)
    assert size_bar(8.0, 8.0, 10) == "█" * 10 and size_bar(1.0, 8.0, 10) == "█" and size_bar(0.0, 8.0, 10) == ""
    summary = ladder_summary(view).plain
    assert "spread 2.0000 (200.0 bps)" in summary and "mid 100.0000" in summary and "40% bid" in summary
    rows = [(str(r[0]), str(r[1])) for r in zip(*(c._cells for c in ladder_table(view, 10).columns), strict=True)]
    prices = [r[0] for r in rows]
    assert prices == [fmt_price(102.0), fmt_price(101.0), "─ spread ─", fmt_price(99.0), fmt_price(98.0)]
    assert math.isclose(view.spread_bps, 200.0)
    assert DepthLadder.rows_shown(view) == ((102.0, 8.0), (101.0, 1.0), (99.0, 2.0), (98.0, 4.0))


def test_a_1m_series_is_stale_only_after_a_bar_plus_the_configured_delay() -> None:
    from cryptoterm.tui.widgets.quality_panel import assess_series, quality_text

    candles = [c for c in FakeFeed(["BTC/USDT"], minutes=120).candles("BTC/USDT", "1m", 200) if c.closed]
    last_close = candles[-1].open_time + 60_000
    (fresh,) = assess_series("BTC/USDT", [("1m", candles)], last_close + 89_000, spike_sigma=8.0, stale_after_ms=30_000)
    (stale,) = assess_series("BTC/USDT", [("1m", candles)], last_close + 91_000, spike_sigma=8.0, stale_after_ms=30_000)
    assert not fresh.stale and stale.stale
    assert "last bar closed 91s ago" in quality_text([stale]).plain
    assert "no issues" in quality_text([fresh]).plain


def test_the_ladder_spread_row_uses_the_book_decimals_like_the_summary() -> None:
    view = LadderView("BTC/USDT", ((60_999.99, 1.0),), ((61_000.0, 1.0),), 0.01, 60_999.995, 0.5)
    spread_row = next(
        r for r in zip(*(c._cells for c in ladder_table(view, 10).columns), strict=True) if "spread" in str(r[0])
    )
    assert str(spread_row[1]) == "0.01"
    assert "spread 0.01 (" in ladder_summary(view).plain


async def test_the_detail_chart_cursor_reads_out_a_bar_and_escape_hides_it_before_going_back(tmp_path: Path) -> None:
    app = screen_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot, lambda: isinstance(app.screen, SymbolScreen))
        screen = symbol_screen(app)
        chart = screen.query_one(CandleChart)
        await settle(pilot, lambda: len(chart.candles) > 3)
        await pilot.press("full_stop", "comma")
        await settle(pilot, lambda: chart.cursor == 1)
        bar = chart.candles[-2]
        moment = datetime.fromtimestamp(bar.open_time / 1000, tz=UTC)
        assert chart.readout.startswith(f"{moment:%Y-%m-%d %H:%M} O {fmt_price(bar.open)}")
        assert f"C {fmt_price(bar.close)}" in chart.readout and "EMA" in chart.readout
        await pilot.press("escape")  # the cursor first
        await settle(pilot, lambda: chart.cursor is None)
        assert isinstance(app.screen, SymbolScreen)
        await pilot.press("escape")  # then the screen
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
