"""SetupTracker: open setups advance on closed bars, transitions are persisted and notified."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from cryptoterm.adapters.clock import FrozenClock
from cryptoterm.adapters.store.setups_repo import SetupsRepo
from cryptoterm.adapters.store.sqlite_store import SqliteStore
from cryptoterm.config.schema import LevelsConfig, ScannerConfig, StrategyConfig
from cryptoterm.domain.market import Candle
from cryptoterm.domain.setups import FINAL_STATES, Setup, build_setup
from cryptoterm.domain.strategy import compile_strategy
from cryptoterm.domain.timeframes import HOUR_MS
from cryptoterm.services.notifications import NotificationOutbox
from cryptoterm.services.scanner import Scanner
from cryptoterm.services.setup_tracker import SetupTracker
from cryptoterm.services.universe_provider import UniverseProvider
from tests.services.test_scanner_data import EXCHANGE, candles_of, read_klines, seed

T0 = 1_688_000_400_000 - (1_688_000_400_000 % HOUR_MS)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore(tmp_path / "track.db", batch_ms=0) as s:
        yield s


def stored_setup(repo: SetupsRepo, symbol: str = "BTC/USDT", timeframe: str = "1h") -> Setup:
    setup = build_setup(
        strategy="s",
        symbol=symbol,
        timeframe=timeframe,
        direction="long",
        entry=100.0,
        stop=90.0,
        targets=[120.0],
        bar_time=T0,
        created_ms=T0 + HOUR_MS,
        expires_bars=3,
        equity=10_000,
        risk_pct=1,
    )
    saved = repo.insert_setup(setup)
    assert saved is not None
    return saved


def bar(i: int, low: float, high: float) -> Candle:
    return Candle(T0 + i * HOUR_MS, (low + high) / 2, high, low, (low + high) / 2, 1.0)


def test_lifecycle_is_persisted_and_notified(store: SqliteStore) -> None:
    repo = SetupsRepo(store)
    setup = stored_setup(repo)
    other = stored_setup(repo, symbol="ETH/USDT")
    clock = FrozenClock(T0 + 2 * HOUR_MS)
    outbox = NotificationOutbox(None, events=["active", "triggered", "closed"])
    tracker = SetupTracker(repo, clock, outbox)

    assert tracker.on_bar_closed("BTC/USDT", "1h", bar(0, 50, 150)) == []  # the signal bar itself
    assert tracker.on_bar_closed("BTC/USDT", "4h", bar(1, 99, 101)) == []  # another timeframe
    assert tracker.on_bar_closed("BTC/USDT", "1h", bar(1, 99, 101)._replace(closed=False)) == []

    (change,) = tracker.on_bar_closed("BTC/USDT", "1h", bar(1, 103, 106))
    assert change.setup.state == "active"
    (change,) = tracker.on_bar_closed("BTC/USDT", "1h", bar(2, 99, 102))
    assert change.setup.state == "triggered"
    clock.advance(HOUR_MS)
    (change,) = tracker.on_bar_closed("BTC/USDT", "1h", bar(3, 110, 121))
    assert change.setup.state == "closed_target"
    assert change.transitions[0].ts == T0 + 3 * HOUR_MS

    assert repo.get_setup(setup.id or 0) == change.setup
    history = [(e.from_state, e.to_state) for e in repo.setup_events(setup.id or 0)]
    assert history == [(None, "new"), ("new", "active"), ("active", "triggered"), ("triggered", "closed_target")]
    assert repo.get_setup(other.id or 0) == other  # untouched
    asyncio.run(outbox.drain())
    assert [m.event for m, _ in outbox.sent] == ["active", "triggered", "closed"]
    assert outbox.sent[-1][0].title == "▲ LONG BTC/USDT — s · target hit +2.00R"
    # Closed setups receive no more bars.
    assert tracker.on_bar_closed("BTC/USDT", "1h", bar(4, 50, 150)) == []


def test_condition_check_invalidates_before_entry(store: SqliteStore) -> None:
    repo = SetupsRepo(store)
    setup = stored_setup(repo)
    asked: list[int] = []

    def condition(s: Setup, now: int) -> bool | None:
        asked.append(s.id or 0)
        return False

    tracker = SetupTracker(repo, FrozenClock(T0), None, condition)
    (change,) = tracker.on_bar_closed("BTC/USDT", "1h", bar(1, 106, 108))
    assert change.setup.state == "invalidated"
    assert change.transitions[0].note == "condition no longer true"
    assert asked == [setup.id]
    assert repo.open_setups() == []


def test_expiry_via_catch_up(store: SqliteStore) -> None:
    repo = SetupsRepo(store)
    stored_setup(repo)
    tracker = SetupTracker(repo, FrozenClock(T0), None, lambda s, now: None)
    changes = tracker.catch_up("BTC/USDT", "1h", [bar(3, 106, 108), bar(1, 106, 108), bar(2, 106, 108)])
    assert [c.setup.state for c in changes] == ["expired"]
    assert repo.open_setups() == []


def test_real_candles_drive_setups_to_a_final_state(store: SqliteStore, shared_data: Path) -> None:
    """Setups scanned at a point in real history, then fed the real bars that followed, one by one."""
    cut = 1_672_531_200_000  # 2023-01-01 00:00 UTC
    bases = ["BTC", "ETH", "SOL", "XRP"]
    seed(store, shared_data, bases, bars=400, until_ms=cut)
    cfg = StrategyConfig(
        name="tight",
        when=["close > 0"],
        levels=LevelsConfig(entry="close", stop="close - 1.0 * atr(14)", targets=["1R"]),
        expires="48 bars",
    )
    universe = UniverseProvider(store, EXCHANGE, {}, [f"{b}/USDT" for b in bases])
    clock = FrozenClock(cut)
    outbox = NotificationOutbox(None)
    repo = SetupsRepo(store)
    scanner = Scanner(store, repo, repo, [compile_strategy(cfg)], ScannerConfig(), EXCHANGE, clock, outbox, universe)
    report = scanner.scan()
    assert len(report.new_setups) == 4
    tracker = SetupTracker(scanner.setups, clock, outbox, scanner.condition_at)
    for base in bases:
        later = read_klines(shared_data, base)
        later = later[later.index >= cut].head(200)
        for candle in candles_of(later):
            clock.advance(HOUR_MS)
            store.write_candles(EXCHANGE, f"{base}/USDT", "1h", [candle])
            tracker.on_bar_closed(f"{base}/USDT", "1h", candle)
    final = scanner.setups.recent_setups()
    assert {s.state for s in final} <= FINAL_STATES
    for s in final:
        events = scanner.setups.setup_events(s.id or 0)
        assert events[0].to_state == "new" and events[-1].to_state == s.state
        for a, b in itertools.pairwise(events):
            assert a.to_state == b.from_state
        if s.state == "closed_target":
            assert s.r_multiple == pytest.approx(1.0) and s.triggered_ms is not None
        if s.state == "closed_stop":
            assert s.r_multiple is not None and s.r_multiple <= -1.0 + 1e-9 and s.triggered_ms is not None


def test_replayed_bars_are_applied_once(store: SqliteStore) -> None:
    repo = SetupsRepo(store)
    setup = stored_setup(repo)
    asked: list[int] = []

    def condition(s: Setup, at_ms: int) -> bool | None:
        asked.append(at_ms)
        return True

    tracker = SetupTracker(repo, FrozenClock(T0), None, condition)
    bars = [bar(1, 106, 108), bar(2, 99, 101)]
    first = tracker.catch_up("BTC/USDT", "1h", bars)
    assert [c.setup.state for c in first] == ["triggered"]
    assert asked == [T0 + 2 * HOUR_MS, T0 + 3 * HOUR_MS]  # each check is as of that bar's close
    # A restart replays the same bars plus one new one: only the new bar counts.
    again = tracker.catch_up("BTC/USDT", "1h", [*bars, bar(3, 110, 121)])
    assert [c.setup.state for c in again] == ["closed_target"]
    assert len(asked) == 2  # triggered setups are not re-checked
    history = [e.to_state for e in repo.setup_events(setup.id or 0)]
    assert history == ["new", "triggered", "closed_target"]


def test_quiet_bars_still_advance_the_bookmark(store: SqliteStore) -> None:
    repo = SetupsRepo(store)
    setup = stored_setup(repo)
    tracker = SetupTracker(repo, FrozenClock(T0))
    assert tracker.on_bar_closed("BTC/USDT", "1h", bar(1, 106, 108)) == []
    reloaded = repo.get_setup(setup.id or 0)
    assert reloaded is not None and reloaded.state == "new" and reloaded.last_bar == T0 + HOUR_MS
