"""Message templates, event filtering, redaction and the thread-safe outbox."""

from __future__ import annotations

import asyncio
import threading

from cryptoterm.domain.market import Candle
from cryptoterm.domain.setups import ConditionResult, Setup, advance, build_setup
from cryptoterm.domain.timeframes import HOUR_MS
from cryptoterm.services.notifications import (
    NotificationEvent,
    NotificationOutbox,
    error_message,
    format_price,
    redact_url,
    setup_message,
    transition_message,
)
from tests.waiting import eventually

T0 = 1_688_166_000_000  # 2023-06-30 23:00 UTC


class Recorder:
    """A Notifier that keeps what it was given; fails the events listed in `fail`."""

    def __init__(self, fail: frozenset[str] = frozenset()) -> None:
        self.got: list[tuple[str, str, str]] = []
        self.fail = fail
        self.threads: set[int] = set()

    async def send(self, event: str, title: str, body: str) -> bool:
        self.threads.add(threading.get_ident())
        if event == "boom":
            raise RuntimeError("exploded")
        self.got.append((event, title, body))
        return event not in self.fail


def make(direction: str = "long") -> Setup:
    entry, stop, target = (27_000.0, 26_500.0, 28_000.0) if direction == "long" else (1.25, 1.30, 1.10)
    return build_setup(
        strategy="rsi-pullback",
        symbol="BTC/USDT" if direction == "long" else "XRP/USDT",
        timeframe="1h",
        direction=direction,  # type: ignore[arg-type]
        entry=entry,
        stop=stop,
        targets=[target],
        bar_time=T0,
        created_ms=T0 + HOUR_MS,
        expires_bars=4,
        equity=10_000,
        risk_pct=1,
        conditions=[ConditionResult("rsi(14) < 30", True, "27.4"), ConditionResult("close > ema(200)", True)],
    )


def test_new_setup_message() -> None:
    msg = setup_message(make())
    assert msg.event == "new"
    assert msg.title == "▲ LONG BTC/USDT — rsi-pullback"
    lines = msg.body.splitlines()
    assert lines[0] == "Entry    27,000.00  (zone 26,750.00 – 27,250.00)"
    assert "Stop     26,500.00" in lines
    assert "Targets  28,000.00" in lines
    assert "R:R      2.00" in lines
    assert "Size     0.2  (risk 100.00)" in lines
    assert "Bar      2023-06-30 23:00 UTC (1h)" in lines
    assert "✓ rsi(14) < 30  [27.4]" in lines
    short = setup_message(make("short"))
    assert short.title == "▼ SHORT XRP/USDT — rsi-pullback"
    assert "Entry    1.2500" in short.body


def test_transition_messages_name_the_event() -> None:
    setup = make()
    triggered, moves = advance(setup, Candle(T0 + HOUR_MS, 27_100, 27_200, 26_900, 27_050, 1), T0 + 2 * HOUR_MS)
    msg = transition_message(triggered, moves[0])
    assert msg.event == "triggered"
    assert msg.title == "▲ LONG BTC/USDT — rsi-pullback · entry hit"
    assert msg.body.startswith("Entry hit at 27,000.00 — entry hit")
    closed, moves = advance(triggered, Candle(T0 + 2 * HOUR_MS, 27_500, 28_100, 27_400, 28_050, 1), T0 + 3 * HOUR_MS)
    msg = transition_message(closed, moves[0])
    assert msg.event == "closed"
    assert msg.title.endswith("· target hit +2.00R")


def test_error_message_redacts_and_truncates() -> None:
    errors = [
        {"strategy": "s", "symbol": f"S{i}/USDT", "error": "GET https://api.x.com/k?signature=abc123&apiKey=KEY9"}
        for i in range(25)
    ]
    msg = error_message("scheduled", errors, secrets=("KEY9",))
    assert msg.event == "error"
    assert msg.title == "⚠ scheduled scan: 25 errors"
    assert "abc123" not in msg.body and "KEY9" not in msg.body
    assert msg.body.splitlines()[-1] == "… and 5 more"
    assert len(msg.body.splitlines()) == 21


def test_format_price() -> None:
    assert format_price(27123.456) == "27,123.46"
    assert format_price(1.23456) == "1.2346"
    assert format_price(0.000123456789) == "0.00012345679"
    assert format_price(None) == "—"
    assert format_price(float("nan")) == "—"


def test_redact_url_is_available_to_the_screens() -> None:
    assert redact_url("json://127.0.0.1:9/secret-path") == "json://127.0.0.1:9/***"


async def test_outbox_filters_events_and_drains_in_order() -> None:
    rec = Recorder(fail=frozenset({"closed"}))
    box = NotificationOutbox(rec, events=["new", "closed", "error"], secrets=("TOPSECRET",))
    assert box.emit(NotificationEvent("new", "a", "body TOPSECRET"))
    assert not box.emit(NotificationEvent("active", "b", ""))
    assert box.emit(NotificationEvent("closed", "c", ""))
    assert box.pending() == 2
    assert await box.drain() == [True, False]
    assert rec.got == [("new", "a", "body ***"), ("closed", "c", "")]
    assert box.pending() == 0 and [ok for _m, ok in box.sent] == [True, False]


async def test_outbox_survives_a_failing_notifier() -> None:
    rec = Recorder()
    box = NotificationOutbox(rec, events=["boom", "new"])
    box.emit(NotificationEvent("boom", "x", ""))
    box.emit(NotificationEvent("new", "y", ""))
    assert await box.drain() == [False, True]


async def test_bound_outbox_delivers_messages_emitted_from_threads() -> None:
    rec = Recorder()
    box = NotificationOutbox(rec, events=["new"])
    box.bind(asyncio.get_running_loop())
    workers = [threading.Thread(target=box.emit, args=(NotificationEvent("new", f"t{i}", ""),)) for i in range(5)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    await eventually(lambda: len(rec.got) == 5, "five deliveries from threads")
    assert sorted(t for _e, t, _b in rec.got) == [f"t{i}" for i in range(5)]
    assert rec.threads == {threading.get_ident()}  # delivered on the loop's thread


async def test_outbox_without_notifier_keeps_a_record() -> None:
    box = NotificationOutbox(None)
    box.emit(NotificationEvent("new", "t", "b"))
    assert await box.drain() == [False]
    assert box.sent[0][0].title == "t"
