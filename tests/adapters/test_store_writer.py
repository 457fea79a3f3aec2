"""The batching writer: batches, flushes, isolation of bad jobs, retries, concurrency and shutdown."""

from __future__ import annotations

import math
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from cryptoterm.adapters.store import SqliteStore, StoreError, StoreWriter, database
from cryptoterm.domain.market import Candle
from tests.waiting import GUARD_S, eventually_sync

EX = "binance"
MIN = 60_000


def bars(n: int, start: int = 0) -> list[Candle]:
    return [Candle(start + i * MIN, 1.0 + i, 2.0 + i, 0.5 + i, 1.5 + i, 3.0, 4.0, i) for i in range(n)]


def count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM candles").fetchone()[0])
    finally:
        conn.close()


def wait_for(predicate: Callable[[], bool]) -> bool:
    eventually_sync(predicate, "the writer's background work")
    return True


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "w.db"


@pytest.fixture
def slow_writer(db_path: Path) -> Iterator[StoreWriter]:
    """A writer whose timer never fires during a test: only flush / row limits / close trigger writes."""
    writer = StoreWriter(db_path, batch_ms=600_000, max_rows=1_000_000)
    yield writer
    writer.close()


def test_submit_then_flush_writes_everything_in_one_transaction(slow_writer: StoreWriter, db_path: Path) -> None:
    for i in range(20):
        slow_writer.submit_candles(EX, f"S{i}/USDT", "1m", bars(5))
    assert slow_writer.queue_depth == 100
    assert count(db_path) == 0  # queued, not written: the timer has not fired
    slow_writer.flush()
    assert count(db_path) == 100
    assert slow_writer.queue_depth == 0
    assert slow_writer.rows_written == 100
    assert slow_writer.batches_written == 1
    assert slow_writer.last_error is None


def test_row_limit_triggers_a_write_without_flush(db_path: Path) -> None:
    writer = StoreWriter(db_path, batch_ms=600_000, max_rows=50)
    try:
        writer.submit_candles(EX, "A/USDT", "1m", bars(30))
        writer.submit_candles(EX, "B/USDT", "1m", bars(30))
        assert wait_for(lambda: writer.rows_written == 60)
        assert count(db_path) == 60
    finally:
        writer.close()


def test_timer_triggers_a_write_without_flush(db_path: Path) -> None:
    writer = StoreWriter(db_path, batch_ms=10, max_rows=1_000_000)
    try:
        writer.submit_candles(EX, "A/USDT", "1m", bars(7))
        assert wait_for(lambda: count(db_path) == 7)
        assert writer.batches_written >= 1
    finally:
        writer.close()


def test_a_bad_job_fails_alone(slow_writer: StoreWriter, db_path: Path) -> None:
    good = bars(4)
    bad = [*bars(3, start=100 * MIN)]
    bad[2] = bad[2]._replace(volume=math.inf)

    def broken(db: Database) -> int:
        db.execute("INSERT INTO strategies (name) VALUES ('half')")
        raise RuntimeError("strategy snapshot failed")

    slow_writer.submit_candles(EX, "A/USDT", "1m", good)
    slow_writer.submit_candles(EX, "B/USDT", "1m", bad)
    failing = slow_writer.submit(broken, what="strategy snapshot")
    slow_writer.submit_candles(EX, "C/USDT", "1m", good)
    slow_writer.flush()
    assert count(db_path) == 8
    assert slow_writer.rows_dropped == 4  # the bad candle batch (3) and the failing callback (1)
    assert slow_writer.rows_written == 8
    assert slow_writer.batches_written == 1
    with pytest.raises(RuntimeError, match="snapshot failed"):
        failing.result(0)
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM strategies").fetchone()[0] == 0  # rolled back to its savepoint
    conn.close()
    error = slow_writer.last_error
    assert isinstance(error, RuntimeError)


def test_bad_candle_error_names_the_series(slow_writer: StoreWriter) -> None:
    bad = bars(2)
    bad[1] = bad[1]._replace(close=math.nan)
    with pytest.raises(ValueError, match=r"B/USDT 1m open_time=60000: field 'close'"):
        slow_writer.write_candles(EX, "B/USDT", "1m", bad)
    assert isinstance(slow_writer.last_error, ValueError)


def test_submit_and_call_run_functions_in_the_writer(slow_writer: StoreWriter, db_path: Path) -> None:
    def add_run(db: Database) -> int:
        return int(db.table("scan_runs").insert({"started_ms": 1, "origin": "test", "hits": 3}).last_pk or 0)

    future = slow_writer.submit(add_run)
    slow_writer.flush()
    first = future.result(0)
    second = slow_writer.call(add_run)
    assert second == first + 1
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*), sum(hits) FROM scan_runs").fetchone() == (2, 6)
    conn.close()


def test_a_caller_that_stops_waiting_loses_nothing_and_the_writer_goes_on(
    slow_writer: StoreWriter, db_path: Path
) -> None:
    """A task cancelled while it awaits a write (asyncio.wrap_future cancels the future it wraps) must neither undo
    the write nor stop the writer for everyone else."""

    def add_run(db: Database) -> int:
        return int(db.table("scan_runs").insert({"started_ms": 1, "origin": "test", "hits": 3}).last_pk or 0)

    abandoned = slow_writer.submit(add_run)
    assert abandoned.cancel()
    slow_writer.flush()
    assert slow_writer.call(add_run) == 2  # the writer still runs, after the abandoned write
    assert slow_writer.last_error is None
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM scan_runs").fetchone() == (2,)
    conn.close()


def test_write_candles_commits_before_returning(slow_writer: StoreWriter, db_path: Path) -> None:
    assert slow_writer.write_candles(EX, "A/USDT", "1m", bars(12)) == 12
    assert count(db_path) == 12
    assert slow_writer.write_candles(EX, "A/USDT", "1m", bars(12)) == 0


def test_close_writes_what_is_queued_and_refuses_more(db_path: Path) -> None:
    writer = StoreWriter(db_path, batch_ms=600_000)
    writer.submit_candles(EX, "A/USDT", "1m", bars(9))
    writer.close()
    assert count(db_path) == 9
    assert writer.closed
    with pytest.raises(StoreError, match="closed"):
        writer.submit_candles(EX, "A/USDT", "1m", bars(1))
    writer.close()  # twice is fine


def test_concurrent_producers_and_readers(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "c.db", batch_ms=5, max_batch_rows=500)
    seen: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def produce(worker: int) -> None:
        for job in range(40):
            store.submit_candles(EX, f"W{worker}/USDT", "1m", bars(10, start=job * 10 * MIN))

    def read() -> None:
        try:
            while not stop.is_set():
                seen.append(store.count_candles(EX))
                frame = store.read_candles_frame(EX, "W0/USDT", "1m")
                assert frame.index.is_monotonic_increasing
        except BaseException as exc:
            errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    producers = [threading.Thread(target=produce, args=(w,)) for w in range(4)]
    for t in producers:
        t.start()
    for t in producers:
        t.join()
    store.flush()
    stop.set()
    reader.join()
    try:
        assert errors == []
        assert store.count_candles(EX) == 4 * 40 * 10
        assert seen == sorted(seen)  # readers only ever see whole committed batches, never a row disappearing
        assert all(n % 10 == 0 for n in seen)
        assert store.writer.rows_written == 1600
    finally:
        store.close()


async def test_async_producers_never_wait_for_the_disk(db_path: Path) -> None:
    writer = StoreWriter(db_path, batch_ms=600_000)
    try:
        for i in range(10):
            writer.submit_candles(EX, "A/USDT", "1m", bars(3, start=i * 3 * MIN))
        assert writer.rows_written == 0
        await writer.flush_async()
        assert count(db_path) == 30
    finally:
        writer.close()


def test_a_locked_database_is_retried_then_dropped(monkeypatch: pytest.MonkeyPatch, db_path: Path) -> None:
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 30)
    writer = StoreWriter(db_path, batch_ms=5, max_attempts=2)
    blocker = sqlite3.connect(db_path, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        writer.submit_candles(EX, "A/USDT", "1m", bars(6))
        writer.flush()
        assert writer.rows_dropped == 6
        error = writer.last_error
        assert isinstance(error, StoreError)
        assert str(db_path) in str(error) and "locked" in str(error)
        blocker.execute("ROLLBACK")
        assert writer.write_candles(EX, "A/USDT", "1m", bars(6)) == 6
    finally:
        blocker.close()
        writer.close()


def test_a_briefly_locked_database_loses_nothing(monkeypatch: pytest.MonkeyPatch, db_path: Path) -> None:
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 30)
    writer = StoreWriter(db_path, batch_ms=5, max_attempts=1_000)
    blocker = sqlite3.connect(db_path, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        writer.submit_candles(EX, "A/USDT", "1m", bars(6))
        assert wait_for(lambda: writer.last_error is not None)
        blocker.execute("ROLLBACK")
        writer.flush()
        assert count(db_path) == 6
        assert writer.rows_dropped == 0
    finally:
        blocker.close()
        writer.close()


def test_invalid_settings_are_rejected(db_path: Path) -> None:
    with pytest.raises(ValueError, match="batch_ms"):
        StoreWriter(db_path, batch_ms=-1)
    with pytest.raises(ValueError, match="max_rows"):
        StoreWriter(db_path, max_rows=0)


def test_waiting_from_inside_a_job_is_refused_not_deadlocked(slow_writer: StoreWriter) -> None:
    def nested(db: Database) -> int:
        return slow_writer.write_candles(EX, "A/USDT", "1m", bars(1))

    with pytest.raises(StoreError, match="inside a write job"):
        slow_writer.call(nested)
    assert slow_writer.write_candles(EX, "A/USDT", "1m", bars(2)) == 2


def test_a_stalled_writer_holds_history_writers_and_sheds_live_rows_counted(db_path: Path) -> None:
    """The disk stalls (a job that does not finish): the queue stops at its bound, live candles beyond it are shed
    and counted, a history writer waits instead of queueing more, and when the disk comes back everything queued
    and the waiting writer's rows are committed. The depth reported counts the batch stuck in the writer."""
    writer = StoreWriter(db_path, batch_ms=600_000, max_rows=1_000_000, max_queued_rows=100)
    inside, release = threading.Event(), threading.Event()

    def stalled_disk(db: Database) -> int:
        inside.set()
        release.wait()
        return 0

    stuck = threading.Thread(target=writer.call, args=(stalled_disk,))
    stuck.start()
    assert inside.wait(GUARD_S)
    try:
        for i in range(12):  # 120 live rows; 9 batches fit beside the stuck job (1 row)
            writer.submit_candles(EX, "A/USDT", "1m", bars(10, start=i * 10 * MIN))
        stats = writer.stats()
        assert (stats.queue_depth, stats.candles_shed, stats.max_queued_rows) == (91, 30, 100)
        results: list[int] = []
        history = threading.Thread(target=lambda: results.append(writer.write_candles(EX, "B/USDT", "1h", bars(20))))
        history.start()
        assert wait_for(lambda: writer.stats().producers_waiting == 1)
        assert writer.queue_depth == 91  # the history writer's rows were not queued: it waits
    finally:
        release.set()
    stuck.join(GUARD_S)
    history.join(GUARD_S)
    writer.flush()
    assert results == [20]
    assert count(db_path) == 90 + 20
    stats = writer.stats()
    assert stats.queue_depth == 0 and stats.producer_waits >= 1 and stats.rows_dropped == 0
    writer.close()


def test_the_depth_counts_batches_put_back_for_a_retry(monkeypatch: pytest.MonkeyPatch, db_path: Path) -> None:
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 30)
    writer = StoreWriter(db_path, batch_ms=5, max_attempts=1_000)
    blocker = sqlite3.connect(db_path, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        writer.submit_candles(EX, "A/USDT", "1m", bars(6))
        assert wait_for(lambda: writer.last_error is not None)
        assert writer.queue_depth == 6 and writer.stats().queue_depth == 6  # being retried, not gone
        blocker.execute("ROLLBACK")
        writer.flush()
        assert writer.queue_depth == 0 and count(db_path) == 6
    finally:
        blocker.close()
        writer.close()


def test_many_small_trade_submissions_commit_together(slow_writer: StoreWriter, db_path: Path) -> None:
    from cryptoterm.domain.market import Trade

    for i in range(50):
        slow_writer.submit_trades(EX, [Trade("BTC/USDT", 1_000_000 + i, 60_000.0, 0.1, "buy", 100 + i)])
    assert slow_writer.queue_depth == 50
    slow_writer.flush()
    assert slow_writer.rows_written == 50 and slow_writer.batches_written == 1
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM trades").fetchone()[0] == 50
    conn.close()


def test_an_invalid_bound_is_rejected(db_path: Path) -> None:
    with pytest.raises(ValueError, match="max_queued_rows"):
        StoreWriter(db_path, max_queued_rows=0)
