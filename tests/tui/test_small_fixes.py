"""Small things a trader notices in the first hour: titles that match what is drawn, one precision per
ladder, distinct state colours, readable quality counts, toasts without module names, axes with dates, named
level lines, a duplicate add that says so, and a network outage that is one line with a way out."""

from __future__ import annotations

import logging
import re

from rich.color import Color
from rich.style import Style
from textual._ansi_theme import ALABASTER, MONOKAI

from cryptoterm.domain.market import Candle
from cryptoterm.domain.quality import QualityReport
from cryptoterm.ports.market import StreamHealth
from cryptoterm.services.market_snapshot import FeedStats, MarketSnapshot
from cryptoterm.tui.connection_advice import ConnectionAdvice
from cryptoterm.tui.formatting import fmt_bar_time, fmt_spread
from cryptoterm.tui.logging_bridge import FloodGate
from cryptoterm.tui.screens.dashboard import DashboardScreen
from cryptoterm.tui.screens.symbol import SymbolScreen
from cryptoterm.tui.screens.symbol_prompt import SymbolPrompt
from cryptoterm.tui.widgets.candle_chart import CandleChart
from cryptoterm.tui.widgets.chart_overlays import PriceLevel
from cryptoterm.tui.widgets.depth_ladder import LadderView, ladder_summary
from cryptoterm.tui.widgets.quality_panel import quality_text
from cryptoterm.tui.widgets.setup_table import STATE_STYLES
from tests.tui.conftest import fake_feed, make_app
from tests.waiting import eventually

ANSI = re.compile(r"\x1b\[[0-9;]*m")
HOUR = 3_600_000


async def test_the_detail_title_names_the_bands_only_while_they_are_drawn() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await eventually(lambda: app.session.symbols, "runtime", pause=pilot.pause)
        await pilot.press("s")
        await eventually(lambda: isinstance(app.screen, SymbolScreen), "detail", pause=pilot.pause)
        chart = app.screen.query_one(CandleChart)
        await eventually(lambda: "EMA" in str(chart.border_title), "chart drawn", pause=pilot.pause)
        assert "BB 20" in str(chart.border_title)
        await pilot.press("b")
        await eventually(lambda: "BB" not in str(chart.border_title), "the bands' name gone", pause=pilot.pause)
        assert "EMA 9/21" in str(chart.border_title)


async def test_adding_a_symbol_already_watched_says_so_and_selects_it() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await eventually(lambda: app.session.symbols, "runtime", pause=pilot.pause)
        before = list(fake_feed(app).symbols)
        await pilot.press("a")
        await eventually(lambda: isinstance(app.screen, SymbolPrompt), "the add prompt", pause=pilot.pause)
        await pilot.press(*"sol/usdt", "enter")
        await eventually(lambda: app.session.selected_symbol == "SOL/USDT", "selected", pause=pilot.pause)
        messages = [n.message for n in app._notifications]
        assert "SOL/USDT is already in the watchlist" in messages
        assert not any(m.startswith("Added") for m in messages)
        assert fake_feed(app).symbols == before
        screen = app.screen
        assert isinstance(screen, DashboardScreen) and screen.chart.symbol == "SOL/USDT"


def test_the_spread_uses_its_books_price_decimals() -> None:
    assert fmt_spread(0.01, 149.945) == "0.0100"
    assert fmt_spread(0.01, 61_000.0) == "0.01"
    assert fmt_spread(0.0001, 0.55) == "0.000100"
    sol = LadderView("SOL/USDT", ((149.94, 1.0),), ((149.95, 1.0),), 0.01, 149.945, 0.5)
    spread_line = ladder_summary(sol).plain.splitlines()[0]
    mid_decimals = len(ladder_summary(sol).plain.splitlines()[1].split()[1].split(".")[1])
    assert spread_line.startswith("spread 0.0100 ") and mid_decimals == 4


def test_triggered_and_stopped_out_setups_never_share_a_colour() -> None:
    def rgb(style: str, theme: object) -> tuple[int, int, int]:
        color = Style.parse(style).color
        assert isinstance(color, Color)
        return tuple(color.get_truecolor(theme))  # type: ignore[arg-type,return-value]

    for theme in (MONOKAI, ALABASTER):
        coloured = {state: rgb(style, theme) for state, style in STATE_STYLES.items() if "dim" not in style}
        assert coloured["triggered"] != coloured["closed_stop"]
        assert len(set(coloured.values())) == len(coloured), coloured


def test_the_quality_line_separates_score_and_bar_count() -> None:
    report = QualityReport("BTC/USDT", "1m", 1499, 0, 0, 1499, (), (), 0, 0, 0, 0, (), 0, False, 100.0)
    assert quality_text([report]).plain == " 1m 100/100 · 1,499 bars · no issues"


async def test_an_error_toast_is_titled_by_its_level_not_its_logger() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        logging.getLogger("cryptoterm.services.scan_session").error("the scan failed: disk full")
        await eventually(lambda: any("disk full" in n.message for n in app._notifications), "toast", pause=pilot.pause)
        (toast,) = [n for n in app._notifications if "disk full" in n.message]
        assert toast.title == "Error" and "scan_session" not in toast.title


def test_hourly_axes_carry_the_date() -> None:
    t = 1_723_161_600_000 + 14 * HOUR  # 2024-08-09 14:00 UTC
    assert fmt_bar_time(t, 60_000) == "14:00"
    assert fmt_bar_time(t, HOUR) == "08-09 14:00"
    assert fmt_bar_time(t, 4 * HOUR) == "08-09 14:00"
    assert fmt_bar_time(t, 24 * HOUR) == "08-09"


async def test_setup_chart_lines_are_labelled_with_name_and_price() -> None:
    candles = [
        Candle(1_723_161_600_000 + i * HOUR, 100 + i, 101 + i, 99 + i, 100.5 + i, 1.0, 100.0, 1) for i in range(40)
    ]
    levels = [
        PriceLevel("entry", 120.0, "yellow"),
        PriceLevel("stop", 110.0, "red"),
        PriceLevel("target 1", 140.0, "green"),
    ]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        chart = CandleChart(warmup=0)
        await app.screen.mount(chart)
        await pilot.pause()
        chart.show("setup", "1h", candles, (), levels)
        drawn = ANSI.sub("", chart.plt.build())
        for name in ("entry 120.0000", "stop 110.0000", "target 1 140.0000"):
            assert name in drawn
        assert re.search(r"\d\d-\d\d \d\d:\d\d", drawn), "the 1h axis shows dates"


def live_snapshot(messages: int, *health: StreamHealth) -> MarketSnapshot:
    stats = FeedStats(mode="live", exchange="binance", messages_total=messages, health=health)
    return MarketSnapshot(ts=0, tickers=(), stats=stats)


def test_no_network_is_one_line_with_the_demo_hint_then_quiet() -> None:
    advice = ConnectionAdvice(started_s=0.0, after_s=20.0, every_s=300.0)
    failing = live_snapshot(0, StreamHealth("trades", "reconnecting", reconnects=6, errors=6))
    assert advice.check(10.0, failing) == ""  # too early to tell
    line = advice.check(25.0, failing)
    assert "binance" in line and "cryptoterm --demo" in line and "\n" not in line
    assert advice.check(100.0, failing) == ""  # rate-limited
    assert "cryptoterm --demo" in advice.check(330.0, failing)
    assert advice.check(400.0, live_snapshot(5, StreamHealth("trades", "connected", messages=5))) == ""
    demo = MarketSnapshot(ts=0, tickers=(), stats=FeedStats(mode="demo", exchange="sim"))
    assert ConnectionAdvice(0.0).check(999.0, demo) == ""


def test_a_flood_of_warnings_shows_a_few_then_one_summary() -> None:
    gate = FloodGate(burst=3, window_s=60.0)

    def record(
        created: float, level: int = logging.WARNING, name: str = "cryptoterm.adapters.binance"
    ) -> logging.LogRecord:
        made = logging.LogRecord(name, level, __file__, 1, "connect failed", None, None)
        made.created = created
        return made

    shown = [gate.admit(record(float(i)))[0] for i in range(40)]
    assert shown.count(True) == 3
    assert gate.admit(record(1.0, name="cryptoterm.services.backfill")) == (True, "")  # other loggers unaffected
    assert gate.admit(record(5.0, logging.ERROR)) == (True, "")  # errors are never held back
    show, summary = gate.admit(record(61.0))
    assert show and summary == "37 more warnings like these in 60 s not shown"


async def test_the_app_logs_the_advice_in_live_mode() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.connection_advice = ConnectionAdvice(started_s=0.0)
        app.session.snapshot = live_snapshot(0, StreamHealth("trades", "reconnecting", reconnects=3))
        app.advise_on_connection(now_s=30.0)
        app.advise_on_connection(now_s=31.0)
        await eventually(lambda: any("--demo" in line.text for line in app.session.logs), "advice", pause=pilot.pause)
        assert sum("--demo" in line.text for line in app.session.logs) == 1
