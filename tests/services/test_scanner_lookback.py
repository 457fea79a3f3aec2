"""Reviewing recent bars at start: signals missed while the app was not running open setups at their own bar
and walk through the bars since by the live lifecycle rules; nothing is ever opened twice."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from cryptoterm.adapters.store.setups_repo import SetupsRepo
from cryptoterm.adapters.store.sqlite_store import SqliteStore
from cryptoterm.domain.setups import OPEN_STATES
from cryptoterm.domain.timeframes import HOUR_MS
from cryptoterm.services.notifications import NotificationOutbox
from tests.services.test_scanner import make_scanner, strategy
from tests.services.test_scanner_data import seed

LOOKBACK = 30


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore(tmp_path / "lookback.db", batch_ms=0) as s:
        yield s


def test_review_opens_setups_one_at_a_time_and_walks_them_to_now(store: SqliteStore, shared_data: Path) -> None:
    frames = seed(store, shared_data, ["BTC"], bars=400)
    times = [int(t) for t in frames["BTC/USDT"].index]
    now = times[-1] + HOUR_MS + 1_000
    outbox = NotificationOutbox(None)
    cfg = strategy(expires="3 bars")  # `close > 0`: a signal on every bar
    report = make_scanner(store, [cfg], now, default=["BTC/USDT"], outbox=outbox).scan("startup", LOOKBACK)

    setups = sorted(report.new_setups, key=lambda s: s.bar_time)
    assert len(setups) >= 3, "a signal on every bar: each setup's end lets the next one open"
    window = set(times[-1 - LOOKBACK :])
    assert all(s.bar_time in window for s in setups)
    for earlier, later in itertools.pairwise(setups):
        assert earlier.state not in OPEN_STATES, "only the newest setup may still be open"
        # The next setup opens on the bar that ended the previous one, never while it was open.
        assert later.bar_time + HOUR_MS >= earlier.updated_ms
    assert sum(1 for s in setups if s.state in OPEN_STATES) <= 1

    repo = SetupsRepo(store)
    for setup in setups:
        assert setup.id is not None
        stored = repo.get_setup(setup.id)
        assert stored is not None and stored.state == setup.state
        events = repo.setup_events(setup.id)
        assert events[0].to_state == "new" and events[-1].to_state == setup.state

    # Only setups still open are announced; closed history is not news.
    asyncio.run(outbox.drain())
    assert len(outbox.sent) == sum(1 for s in setups if s.state in OPEN_STATES)


def test_a_second_review_never_reopens_a_signal(store: SqliteStore, shared_data: Path) -> None:
    frames = seed(store, shared_data, ["BTC"], bars=400)
    now = int(frames["BTC/USDT"].index[-1]) + HOUR_MS + 1_000
    cfg = strategy(expires="2 bars")
    first = make_scanner(store, [cfg], now, default=["BTC/USDT"]).scan("startup", LOOKBACK)
    again = make_scanner(store, [cfg], now, default=["BTC/USDT"]).scan("startup", LOOKBACK)
    assert len(first.new_setups) >= 2
    assert again.new_setups == ()


def test_lookback_zero_scans_only_the_last_closed_bar(store: SqliteStore, shared_data: Path) -> None:
    frames = seed(store, shared_data, ["BTC"], bars=400)
    last = int(frames["BTC/USDT"].index[-1])
    report = make_scanner(store, [strategy()], last + HOUR_MS + 1_000, default=["BTC/USDT"]).scan("scan", 0)
    assert [s.bar_time for s in report.new_setups] == [last]
