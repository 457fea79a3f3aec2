"""SetupsRepo over a temporary SQLite store: round trips, history, duplicates, scan runs, notifications."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cryptoterm.adapters.store.setups_repo import SetupsRepo
from cryptoterm.adapters.store.sqlite_store import SqliteStore
from cryptoterm.domain.market import Candle
from cryptoterm.domain.setups import ConditionResult, Setup, advance, build_setup
from cryptoterm.domain.timeframes import HOUR_MS
from cryptoterm.ports.notify import NotificationAttempt

T0 = 1_700_002_800_000 - (1_700_002_800_000 % HOUR_MS)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore(tmp_path / "t.db", batch_ms=0) as s:
        yield s


def make(symbol: str = "BTC/USDT", direction: str = "long", strategy: str = "s") -> Setup:
    entry, stop, target = (100.0, 90.0, 120.0) if direction == "long" else (100.0, 110.0, 80.0)
    return build_setup(
        strategy=strategy,
        symbol=symbol,
        timeframe="1h",
        direction=direction,  # type: ignore[arg-type]
        entry=entry,
        stop=stop,
        targets=[target, target + (10 if direction == "long" else -10)],
        bar_time=T0,
        created_ms=T0 + HOUR_MS,
        expires_bars=5,
        equity=10_000,
        risk_pct=1,
        conditions=[ConditionResult("rsi(14) < 30", True, "rsi=27.1")],
    )


def test_insert_and_read_back_every_field(store: SqliteStore) -> None:
    repo = SetupsRepo(store)
    run_id = repo.start_scan_run(T0, "test")
    saved = repo.insert_setup(make(), scan_run_id=run_id)
    assert saved is not None and saved.id is not None
    loaded = repo.get_setup(saved.id)
    assert loaded == saved
    assert loaded.conditions[0].values == "rsi=27.1"
    assert (loaded.zone_low, loaded.zone_high) == (95.0, 105.0)
    events = repo.setup_events(saved.id)
    assert [(e.from_state, e.to_state, e.note) for e in events] == [(None, "new", "setup created")]


def test_open_duplicates_are_refused_until_closed(store: SqliteStore) -> None:
    repo = SetupsRepo(store)
    first = repo.insert_setup(make())
    assert first is not None
    assert repo.insert_setup(make()) is None
    assert repo.insert_setup(make(direction="short")) is not None
    assert repo.insert_setup(make(strategy="other")) is not None
    assert repo.insert_setup(make(symbol="ETH/USDT")) is not None
    assert len(repo.open_setups()) == 4

    triggered, moves = advance(first, Candle(T0 + HOUR_MS, 100, 101, 99, 100, 1), T0 + 2 * HOUR_MS)
    closed, more = advance(triggered, Candle(T0 + 2 * HOUR_MS, 95, 96, 85, 88, 1), T0 + 3 * HOUR_MS)
    repo.save_transitions(closed, moves + more)
    assert closed.state == "closed_stop"
    assert repo.get_setup(first.id or 0) == closed
    history = repo.setup_events(first.id or 0)
    assert [e.to_state for e in history] == ["new", "triggered", "closed_stop"]
    assert repo.insert_setup(make()) is not None  # the earlier one is closed now


def test_concurrent_inserts_create_one_setup(store: SqliteStore) -> None:
    repo = SetupsRepo(store)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: repo.insert_setup(make()), range(8)))
    assert sum(r is not None for r in results) == 1
    assert len(repo.open_setups(symbol="BTC/USDT", timeframe="1h")) == 1


def test_open_setups_filters(store: SqliteStore) -> None:
    repo = SetupsRepo(store)
    repo.insert_setup(make("BTC/USDT"))
    repo.insert_setup(make("ETH/USDT"))
    assert [s.symbol for s in repo.open_setups(symbol="ETH/USDT")] == ["ETH/USDT"]
    assert repo.open_setups(timeframe="4h") == []
    assert [s.symbol for s in repo.recent_setups(limit=1)] == ["ETH/USDT"]
    assert len(repo.recent_setups(states=["new"])) == 2
    assert repo.recent_setups(states=["closed_stop"]) == []


def test_scan_run_round_trip(store: SqliteStore) -> None:
    repo = SetupsRepo(store)
    run_id = repo.start_scan_run(T0, "scheduled")
    repo.finish_scan_run(
        run_id,
        finished_ms=T0 + 1500,
        duration_ms=1500,
        strategies=2,
        symbols=10,
        hits=3,
        new_setups=2,
        errors=[{"symbol": "BAD/USDT", "strategy": "s", "error": "no candles"}],
    )
    (row,) = repo.scan_runs()
    assert (row.id, row.origin, row.duration_ms, row.hits, row.new_setups) == (run_id, "scheduled", 1500, 3, 2)
    assert row.errors == [{"symbol": "BAD/USDT", "strategy": "s", "error": "no candles"}]


def test_notifications_and_strategy_snapshot(store: SqliteStore) -> None:
    repo = SetupsRepo(store)
    attempt = NotificationAttempt(T0, "new", "title", "body", False, 1, "json://h/***: error=500")
    repo.record_notification(attempt)
    repo.record_notification(NotificationAttempt(T0 + 1, "new", "title", "body", True, 2, ""))
    got = repo.notifications()
    assert [(n.attempts, n.delivered) for n in got] == [(2, True), (1, False)]
    assert got[1] == attempt
    repo.save_strategy(name="s", source="a.toml", toml="x", digest="h1", enabled=True, updated_ms=1)
    repo.save_strategy(name="s", source="a.toml", toml="y", digest="h2", enabled=True, updated_ms=2)
    with store.reader() as db:
        assert db.execute("SELECT toml, hash, updated_ms FROM strategies").fetchall() == [("y", "h2", 2)]


def test_transitions_need_an_id(store: SqliteStore) -> None:
    with pytest.raises(ValueError, match="no id"):
        SetupsRepo(store).save_transitions(make(), [])
