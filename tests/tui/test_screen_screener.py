"""The pairs screener and the pair detail, driven through the real app over real stored klines."""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from cryptoterm.adapters.store.screening_repo import ScreeningRepo
from cryptoterm.adapters.store.sqlite_store import SqliteStore
from cryptoterm.domain.pairs import live_zscore
from cryptoterm.tui.commands import palette_commands
from cryptoterm.tui.screener_filter import FilterError, parse_filter
from cryptoterm.tui.screens import screener as screener_module
from cryptoterm.tui.screens.pair_detail import PairDetailScreen
from cryptoterm.tui.screens.screener import ScreenerScreen
from cryptoterm.tui.widgets.pair_chart import PairChart
from cryptoterm.tui.widgets.pair_table import PairTable
from cryptoterm.tui.widgets.pair_watch_bar import PairWatchBar
from tests.tui.fakes import FakeFeed
from tests.tui.screener_fakes import SYMBOLS, WATCHED, screener_app, seed_store
from tests.waiting import GUARD_S, eventually


@pytest.fixture
def db(tmp_path: Path, shared_data: Path) -> Path:
    path = tmp_path / "screener.db"
    seed_store(path, shared_data)
    return path


async def open_screener(pilot: Pilot[Any]) -> ScreenerScreen:
    app = pilot.app
    await eventually(lambda: app.session.snapshot is not None, "the runtime started", pause=lambda: pilot.pause(0.02))
    await pilot.press("P")
    await eventually(
        lambda: isinstance(app.screen, ScreenerScreen) and app.screen.summary is not None,
        "the screener showing the stored session",
        pause=lambda: pilot.pause(0.02),
    )
    screen = app.screen
    assert isinstance(screen, ScreenerScreen)
    return screen


async def test_the_stored_session_is_shown_sorted_and_filtered(db: Path) -> None:
    app = screener_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screener(pilot)
        table = screen.query_one(PairTable)
        assert table.row_count == 15 and screen.summary is not None and screen.summary.session_id == 1
        panel = str(screen.panel_text())
        assert "Session #1 · 6 symbols · 15 pairs · 300 1h bars" in panel and "1.2 s on inline" in panel
        p_adj = [row.p_adj for row in table.shown]
        assert p_adj == sorted(p_adj)
        results = screen.summary.results
        await pilot.press("f")
        await pilot.press(*"p<0.5 hl<200", "enter")
        expected = [r for r in results if r.eg_p < 0.5 and r.half_life < 200]
        assert 0 < len(expected) < 15
        assert table.row_count == len(expected) == table.passing
        assert "pass p<0.5 hl<200" in str(screen.panel_text())
        await pilot.press("f", *"bogus<1", "enter")
        assert "unknown statistic 'bogus'" in str(screen.panel_text())
        assert table.row_count == len(expected)  # a bad line keeps the filter in force
        await pilot.press("f", "ctrl+a", "backspace", "enter")  # cleared: every pair again (ctrl+a: line start)
        table.focus()
        await pilot.press("o")
        assert table.sort_key == "prev"
        await pilot.press("r")
        values = [row.eg_p_rev for row in table.shown]
        assert values == sorted(values, reverse=True)


async def test_a_screen_runs_with_progress_and_is_stored(db: Path) -> None:
    app = screener_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screener(pilot)
        await pilot.press("n")
        await eventually(
            lambda: not screen.running and screen.summary is not None and screen.summary.session_id == 2,
            "the new session shown",
            pause=lambda: pilot.pause(0.02),
        )
        assert screen.progress[0] == "screen" and screen.progress[1] == screen.progress[2] > 1
        assert not screen.query_one("#screener-progress").display
        assert screen.query_one(PairTable).row_count == 15
        assert screen.summary.executor == "inline" and set(screen.summary.symbols) == set(SYMBOLS)
    with SqliteStore(db, batch_ms=0) as store:
        assert [s.id for s in ScreeningRepo(store).screening_sessions()] == [2, 1]


async def test_cancel_stops_the_screen_and_keeps_the_results(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = threading.Event()
    original = screener_module._run_screen

    def gated(session: Any, progress: Any, cancel: threading.Event) -> Any:
        progress("read", 0, len(SYMBOLS))
        gate.wait(timeout=GUARD_S)  # hang guard only: the test opens the gate once it has pressed cancel
        return original(session, progress, cancel)

    monkeypatch.setattr(screener_module, "_run_screen", gated)
    app = screener_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screener(pilot)
        await pilot.press("n")
        await eventually(
            lambda: screen.query_one("#screener-progress").display and screen.progress == ("read", 0, 6),
            "the progress bar shown",
            pause=lambda: pilot.pause(0.02),
        )
        assert "Screening… reading symbols 0/6" in str(screen.panel_text())
        await pilot.press("n")  # a second screen while one runs is refused
        await pilot.press("x")
        gate.set()
        await eventually(lambda: not screen.running, "the screen stopped", pause=lambda: pilot.pause(0.02))
        assert "Screen cancelled" in str(screen.panel_text())
        assert screen.summary is not None and screen.summary.session_id == 1
    with SqliteStore(db, batch_ms=0) as store:
        assert [s.id for s in ScreeningRepo(store).screening_sessions()] == [1]


async def test_pair_detail_and_watching_the_pair_on_the_dashboard(db: Path) -> None:
    app = screener_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screener(pilot)
        table = screen.query_one(PairTable)
        table.move_cursor(row=table.get_row_index("BTC/USDT|ETH/USDT"))
        pair = table.selected
        assert pair is not None and (pair.y, pair.x) == ("BTC/USDT", "ETH/USDT")
        await pilot.press("enter")
        await eventually(
            lambda: isinstance(app.screen, PairDetailScreen) and app.screen.detail is not None,
            "the pair detail loaded",
            pause=lambda: pilot.pause(0.02),
        )
        detail_screen = app.screen
        assert isinstance(detail_screen, PairDetailScreen) and detail_screen.detail is not None
        ols = detail_screen.detail.hedges[0]
        assert ols.name == "ols" and ols.beta == pytest.approx(pair.beta_ols, rel=1e-9)
        chart = detail_screen.query_one(PairChart)
        assert "z-score (ols) · entry ±2 · exit ±0.5" in str(chart.border_title)
        for key, title in (("1", "× first bar"), ("3", "Kalman β"), ("4", "rolling correlation")):
            await pilot.press(key)
            assert title in str(chart.border_title)
        titles = [c.title for c in palette_commands(app, detail_screen)]
        assert {"Chart: prices", "Watch pair", "Go to Pairs screener"} <= set(titles)
        await pilot.press("z")
        watched = app.session.watched_pair
        assert watched is not None and (watched.y, watched.x, watched.hedge) == ("BTC/USDT", "ETH/USDT", "ols")
        await pilot.press("escape", "d")
        feed = app.session.feed
        assert isinstance(feed, FakeFeed)
        feed.set_last("BTC/USDT", 30_000.0)
        feed.set_last("ETH/USDT", 1_900.0)
        snapshot = feed.snapshot()  # carries the prices just set
        app.screen.apply_snapshot(snapshot)
        bar = app.screen.query_one(PairWatchBar)
        last = {t.symbol: t.last for t in snapshot.tickers}
        expected = live_zscore(
            math.log(last["BTC/USDT"]), math.log(last["ETH/USDT"]), pair.beta_ols, pair.alpha_ols,
            pair.spread_mean, pair.spread_std,
        )  # fmt: skip
        assert bar.display and bar.z == pytest.approx(expected)
        assert f"z {expected:+.2f}" in str(bar.render())


def test_the_filter_line() -> None:
    chosen = parse_filter("p<0.05, padj<=0.1 hl<50 hurst<0.5 corr>0.6")
    assert str(chosen) == "p<0.05 padj<=0.1 hl<50 hurst<0.5 corr>0.6"
    assert parse_filter("").thresholds == ()
    for text, message in [("p<", "expected a statistic"), ("q<1", "unknown statistic 'q'"), ("p=1", "expected")]:
        with pytest.raises(FilterError, match=message):
            parse_filter(text)


def test_the_screener_is_registered_with_its_key() -> None:
    from cryptoterm.tui.screens import SCREENS

    spec = next(s for s in SCREENS if s.name == "screener")
    assert spec.key == "P" and spec.factory.screen_class() is ScreenerScreen  # type: ignore[attr-defined]
    assert WATCHED[0] in SYMBOLS
