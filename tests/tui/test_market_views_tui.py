"""The market views in the app: the market browser, movers, tape, full order book, replay keys, the watchlist's
sort and the log pane's filter, over the deterministic screen fakes (the numbers on screen are the services'),
then on the real demo engine and on a real replay of ../shared/data/ws."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from cryptoterm.config import default_config
from cryptoterm.domain.tape import aggregate_prints
from cryptoterm.services.engine import Engine
from cryptoterm.tui.app import CryptotermApp
from cryptoterm.tui.context import LogLine
from cryptoterm.tui.screens.markets import MarketsScreen
from cryptoterm.tui.screens.movers import MoversScreen
from cryptoterm.tui.screens.order_book import OrderBookScreen
from cryptoterm.tui.screens.order_ticket import OrderTicket
from cryptoterm.tui.screens.symbol import SymbolScreen
from cryptoterm.tui.screens.tape import TapeScreen
from cryptoterm.tui.screens.text_prompt import TextPrompt
from cryptoterm.tui.widgets.depth_chart import LABEL_WIDTH, DepthChart
from cryptoterm.tui.widgets.full_book import FullBookLadder
from cryptoterm.tui.widgets.log_pane import LogPane
from cryptoterm.tui.widgets.replay_bar import ReplayBar
from cryptoterm.tui.widgets.trade_tape import TradeTapeView
from cryptoterm.tui.widgets.watchlist import Watchlist
from cryptoterm.wiring.options import RunOptions
from tests.tui.screen_fakes import settle
from tests.tui.view_fakes import FixedReplay, views_app
from tests.waiting import eventually

SPOT = "ws/hftbacktest_binance-spot_btcusdt_2024-08-08.jsonl.gz"


@pytest.fixture(autouse=True)
def keep_the_log_level() -> Iterator[None]:
    """A running app sets the `cryptoterm` logger's level; put it back so later tests see their own."""
    logger = logging.getLogger("cryptoterm")
    level = logger.level
    yield
    logger.setLevel(level)


async def test_the_market_browser_searches_filters_and_adds(tmp_path: Path) -> None:
    app = views_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await eventually(lambda: isinstance(app.screen, MarketsScreen), "the browser", pause=pilot.pause)
        screen = app.screen
        assert isinstance(screen, MarketsScreen)
        assert {m.market.symbol for m in screen.matches} == set(app.session.symbols)
        await pilot.press("s", "o", "l")
        await eventually(lambda: [m.market.symbol for m in screen.matches] == ["SOL/USDT"], "SOL", pause=pilot.pause)
        await pilot.press("enter")  # to the list
        await pilot.press("enter")  # open the detail
        await eventually(lambda: isinstance(app.screen, SymbolScreen), "SOL's detail", pause=pilot.pause)
        assert app.session.selected_symbol == "SOL/USDT"


async def test_movers_rank_the_sampled_hour(tmp_path: Path) -> None:
    app = views_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("M")
        await eventually(lambda: isinstance(app.screen, MoversScreen), "movers", pause=pilot.pause)
        screen = app.screen
        assert isinstance(screen, MoversScreen)
        board = screen.board
        assert board is not None and board.samples == 2 and board.gainers and board.losers
        assert all(a.change_pct >= b.change_pct for a, b in zip(board.gainers, board.gainers[1:], strict=False))
        await pilot.press("2")
        await eventually(lambda: screen.window == "24h", "the 24 h window", pause=pilot.pause)


async def test_the_tape_aggregates_by_the_minimum_and_steps_symbols(tmp_path: Path) -> None:
    app = views_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("T")
        await eventually(lambda: isinstance(app.screen, TapeScreen), "the tape", pause=pilot.pause)
        screen = app.screen
        assert isinstance(screen, TapeScreen)
        view = screen.query_one(TradeTapeView)
        await eventually(lambda: view.prints, "prints shown", pause=pilot.pause)
        symbol = view.symbol
        trades = app.session.views.tape.recent(symbol)  # type: ignore[union-attr]
        config = app.session.config.tape
        expected = aggregate_prints(trades, min_notional=config.min_notional, large_notional=config.large_notional)
        assert view.prints[0] == expected[-1] and any(p.large for p in view.prints)
        before = len(expected)
        await pilot.press("plus")
        await eventually(lambda: view.min_notional > config.min_notional, "a larger minimum", pause=pilot.pause)
        bigger = aggregate_prints(trades, min_notional=view.min_notional, large_notional=config.large_notional)
        assert len(bigger) < before and view.prints[0] == bigger[-1]
        await pilot.press("right_square_bracket")
        await eventually(lambda: view.symbol != symbol, "the next symbol's tape", pause=pilot.pause)


async def test_the_full_book_groups_by_ticks(tmp_path: Path) -> None:
    app = views_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("O")
        await eventually(lambda: isinstance(app.screen, OrderBookScreen), "the book", pause=pilot.pause)
        screen = app.screen
        assert isinstance(screen, OrderBookScreen)
        ladder = screen.query_one(FullBookLadder)
        await eventually(lambda: ladder.book is not None and ladder.book.bids, "a grouped book", pause=pilot.pause)
        fine = ladder.book
        assert fine is not None
        assert all(a.cumulative < b.cumulative for a, b in zip(fine.bids, fine.bids[1:], strict=False))
        await pilot.press("plus", "plus")
        await eventually(lambda: ladder.book is not None and ladder.book.step > fine.step, "coarser", pause=pilot.pause)
        assert ladder.book is not None and ladder.book.bids[0].qty > fine.bids[0].qty


async def test_the_full_book_redraws_a_panel_whose_size_changed_without_new_data(tmp_path: Path) -> None:
    """The screen does not resize and no snapshot comes (the fake feed is frozen): the ladder narrows and the depth
    chart widens, and each is drawn again for its new size (a breakpoint changes sizes just like this)."""
    app = views_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("O")
        await eventually(lambda: isinstance(app.screen, OrderBookScreen), "the book", pause=pilot.pause)
        screen = app.screen
        assert isinstance(screen, OrderBookScreen)
        ladder, depth = screen.query_one(FullBookLadder), screen.query_one(DepthChart)
        await eventually(lambda: ladder.book is not None and depth.drawn_size == depth.size, "drawn", pause=pilot.pause)
        assert ladder.book is not None
        before_rows, before_width = len(ladder.book.bids), len(depth.profile)
        ladder.styles.height = 14
        ladder.styles.width = 36
        await eventually(
            lambda: ladder.drawn_size == ladder.size and depth.drawn_size == depth.size and ladder.size.height < 14,
            "both drawn at their new sizes",
            pause=pilot.pause,
        )
        assert ladder.book is not None and len(ladder.book.bids) < before_rows
        assert len(depth.profile) == depth.content_size.width - LABEL_WIDTH > before_width


async def test_the_full_book_repaints_from_snapshots_at_most_book_hz_and_at_once_after_a_key(tmp_path: Path) -> None:
    from cryptoterm.tui.screens.order_book import BOOK_HZ

    app = views_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("O")
        await eventually(lambda: isinstance(app.screen, OrderBookScreen), "the book", pause=pilot.pause)
        screen = app.screen
        assert isinstance(screen, OrderBookScreen)
        await eventually(lambda: screen.grouped is not None, "a grouped book", pause=pilot.pause)
        await eventually(lambda: not screen.repaint_pending, "no repaint waiting", pause=pilot.pause)
        now = [time.monotonic() + 1_000.0]  # a clock of the test's own, past every repaint so far
        screen.clock = lambda: now[0]
        snapshot = app.session.snapshot
        assert snapshot is not None
        screen.apply_snapshot(snapshot)  # long after the last repaint: at once
        painted = screen.repaints
        for _ in range(5):  # a burst inside one interval: no repaint now, one scheduled
            now[0] += 0.01
            screen.apply_snapshot(snapshot)
        assert screen.repaints == painted and screen.repaint_pending
        await eventually(lambda: not screen.repaint_pending, "the scheduled repaint", pause=pilot.pause)
        assert screen.repaints == painted + 1
        now[0] += 1.0 / BOOK_HZ
        screen.apply_snapshot(snapshot)  # an interval later: at once again
        assert screen.repaints == painted + 2
        await pilot.press("plus")  # a key repaints at once, whatever the interval
        await eventually(lambda: screen.repaints == painted + 3, "the key's repaint", pause=pilot.pause)


async def test_replay_keys_steer_the_replay_and_the_bar_follows(tmp_path: Path) -> None:
    app = views_app(tmp_path, replay=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        views = app.session.views
        assert views is not None and isinstance(views.replay, FixedReplay)
        replay = views.replay
        bar = app.screen.query_one(ReplayBar)
        await eventually(lambda: bar.progress is not None, "the replay bar", pause=pilot.pause)
        await pilot.press("space")
        await eventually(lambda: "⏸ paused" in str(bar.render()), "paused on the bar", pause=pilot.pause)
        await pilot.press("greater_than_sign")
        await pilot.press("J")
        await eventually(lambda: isinstance(app.screen, TextPrompt), "the seek prompt", pause=pilot.pause)
        await pilot.press("x", "enter")  # not a time: the prompt says so and stays
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        await pilot.press("backspace", "5", "0", "%", "enter")
        await eventually(lambda: replay.calls[-1:] == ["seek 1723161426000"], "the seek", pause=pilot.pause)
        assert replay.calls[:2] == ["pause", "speed 2"]


async def test_outside_a_replay_the_replay_keys_do_nothing(tmp_path: Path) -> None:
    app = views_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.replay_action_allowed("replay_toggle") is False
        await pilot.press("J")
        await pilot.pause()
        assert not isinstance(app.screen, TextPrompt)
        assert not app.screen.query_one(ReplayBar).display


async def test_the_add_prompt_reads_the_exchanges_spelling_and_says_why_not(tmp_path: Path) -> None:
    app = views_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        runtime = app.session.runtime
        watched = list(app.session.symbols)
        await pilot.press("x")  # unwatch the highlighted symbol, then add it back typed as the exchange writes it
        await eventually(lambda: len(app.session.symbols) < len(watched), "unwatched", pause=pilot.pause)
        (symbol,) = set(watched) - set(app.session.symbols)
        await pilot.press("a")
        await pilot.press("slash")  # "/" alone is no market: the prompt says so and stays open
        await pilot.press("enter")
        prompt = app.screen
        assert str(prompt.query_one("#symbol-error").render()).strip()
        await pilot.press("backspace", *symbol.replace("/", "").lower(), "enter")
        await eventually(lambda: symbol in app.session.symbols, f"{symbol} watched again", pause=pilot.pause)
        assert runtime.feed.symbols.count(symbol) == 1


async def test_the_watchlist_sorts_by_key_and_reverses(tmp_path: Path) -> None:
    app = views_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        watchlist = app.screen.query_one(Watchlist)
        await pilot.press("o")
        await eventually(lambda: watchlist.sort_shown == ("change", True), "sorted by change", pause=pilot.pause)
        changes = {t.symbol: t.change_pct for t in app.session.snapshot.tickers}  # type: ignore[union-attr]
        assert watchlist.symbols == sorted(changes, key=lambda s: -changes[s])
        assert str(watchlist.columns[next(c for c in watchlist.columns if c.value == "change")].label) == "▼Chg 24h"
        await pilot.press("r")
        await eventually(lambda: watchlist.sort_shown == ("change", False), "reversed", pause=pilot.pause)
        assert watchlist.symbols == sorted(changes, key=lambda s: changes[s])
        assert app.session.ui.sort["watchlist"].descending is False


async def test_the_log_pane_filters_by_level_and_text_and_pauses(tmp_path: Path) -> None:
    app = views_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.screen.query_one(LogPane)
        pane.add_lines(
            [
                LogLine(1, logging.INFO, "INFO", "cryptoterm.feed", "feed connected"),
                LogLine(2, logging.WARNING, "WARNING", "cryptoterm.store", "store queue long"),
                LogLine(3, logging.ERROR, "ERROR", "cryptoterm.feed", "feed dropped"),
            ]
        )
        await pilot.press("L", "L")  # every level → ≥ INFO → ≥ WARNING
        assert pane.min_level == logging.WARNING
        assert [line.text for line in pane.shown if line.logger != "cryptoterm.feed"][-1:] == ["store queue long"]
        await pilot.press("slash")
        await eventually(lambda: isinstance(app.screen, TextPrompt), "the filter prompt", pause=pilot.pause)
        await pilot.press("f", "e", "e", "d", "enter")
        await eventually(lambda: pane.text_filter == "feed", "the text filter", pause=pilot.pause)
        assert [line.text for line in pane.shown] == ["feed dropped"]
        assert "“feed”" in str(pane.border_title) and len(pane.kept) >= 3  # nothing filtered out was lost
        await pilot.press("F")
        assert pane.paused and "paused" in str(pane.border_title)


def _demo_app(tmp_path: Path) -> CryptotermApp:
    config = default_config()
    demo = msgspec.structs.replace(config.demo, symbols=4, history_days=2, speed=0.0)
    config = msgspec.structs.replace(config, demo=demo, strategy=[])
    return CryptotermApp(config, RunOptions(mode="demo", db_path=str(tmp_path / "demo.db")))


async def test_on_the_demo_the_tape_book_and_browser_fill(tmp_path: Path) -> None:
    app = _demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await eventually(lambda: isinstance(app.session.runtime, Engine), "the demo engine", pause=pilot.pause)
        engine = app.session.runtime
        assert isinstance(engine, Engine)
        await eventually(lambda: engine.views.tape.trades_seen > 100, "demo trades", pause=pilot.pause)
        await pilot.press("T")
        await eventually(lambda: isinstance(app.screen, TapeScreen), "the tape", pause=pilot.pause)
        view = app.screen.query_one(TradeTapeView)
        await eventually(lambda: view.prints, "demo prints", pause=pilot.pause)
        await pilot.press("O")
        await eventually(lambda: isinstance(app.screen, OrderBookScreen), "the book", pause=pilot.pause)
        ladder = app.screen.query_one(FullBookLadder)
        await eventually(lambda: ladder.book is not None and ladder.book.asks, "the demo book", pause=pilot.pause)
        # a level picked on the ladder: N opens a limit there, a buy at a bid and a sell at an ask
        book_screen = app.screen
        assert isinstance(book_screen, OrderBookScreen)
        await pilot.press("down", "down")
        await eventually(lambda: book_screen.pick == ("bid", 1), "the second bid picked", pause=pilot.pause)
        assert "N: buy @ " in str(ladder.border_title)
        await pilot.press("N")
        await eventually(lambda: isinstance(app.screen, OrderTicket), "the ticket at the level", pause=pilot.pause)
        draft = app.screen.draft  # type: ignore[attr-defined]
        assert (draft.side, draft.kind) == ("buy", "limit") and float(draft.price) > 0
        await pilot.press("escape")
        await eventually(lambda: app.screen is book_screen, "back on the book", pause=pilot.pause)
        await pilot.press("up", "up")
        await eventually(lambda: book_screen.pick == ("ask", 0), "the best ask picked", pause=pilot.pause)
        await pilot.press("N")
        await eventually(lambda: isinstance(app.screen, OrderTicket), "the ticket at the ask", pause=pilot.pause)
        assert app.screen.draft.side == "sell"  # type: ignore[attr-defined]
        await pilot.press("escape")
        await eventually(lambda: app.screen is book_screen, "back on the book again", pause=pilot.pause)
        await pilot.press("escape")  # drops the pick, stays
        await eventually(lambda: book_screen.pick is None, "the pick dropped", pause=pilot.pause)
        assert app.screen is book_screen
        await pilot.press("m")
        await eventually(lambda: isinstance(app.screen, MarketsScreen), "the browser", pause=pilot.pause)
        markets = app.screen
        assert isinstance(markets, MarketsScreen)
        await eventually(lambda: len(markets.matches) >= 4, "the demo's markets", pause=pilot.pause)


async def test_on_a_real_replay_the_bar_pauses_and_seeks(tmp_path: Path, shared_data: Path) -> None:
    options = RunOptions(
        mode="replay",
        db_path=str(tmp_path / "r.db"),
        replay_path=str(shared_data / SPOT),
        replay_speed=1.0,
        hold_replay_end=True,
    )
    config = msgspec.structs.replace(default_config(), strategy=[])
    app = CryptotermApp(config, options)
    async with app.run_test(size=(80, 24)) as pilot:
        await eventually(lambda: isinstance(app.session.runtime, Engine), "the replay engine", pause=pilot.pause)
        engine = app.session.runtime
        assert isinstance(engine, Engine) and engine.views.replay is not None
        replay = engine.views.replay
        await eventually(lambda: replay.progress().end_ms > 0, "the recording's span", pause=pilot.pause)
        await pilot.press("space")
        await eventually(lambda: replay.progress().paused, "paused", pause=pilot.pause)
        await pilot.press("J")
        await eventually(lambda: isinstance(app.screen, TextPrompt), "the seek prompt", pause=pilot.pause)
        await pilot.press("5", "0", "%", "enter")
        half = (replay.progress().start_ms + replay.progress().end_ms) // 2
        await eventually(lambda: replay.progress().position_ms >= half - 1000, "half way", pause=pilot.pause)
        assert replay.progress().paused  # a seek while paused goes there, then holds
        await pilot.press("T")
        await eventually(lambda: isinstance(app.screen, TapeScreen), "the tape", pause=pilot.pause)
        view = app.screen.query_one(TradeTapeView)
        await eventually(lambda: view.prints and view.symbol == "BTC/USDT", "replayed prints", pause=pilot.pause)
        assert app.screen.query_one(ReplayBar).progress is not None
