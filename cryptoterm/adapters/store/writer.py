"""The one batching writer: a thread that owns the write connection and commits queued work in batches.

Producers (the market feed on the asyncio loop, scanner threads, the CLI) only append to an in-memory queue under a
lock held for a few microseconds; they wait for the disk only when it is `max_queued_rows` behind, and live writes
never do (they are shed and counted instead: `store/write_queue.py` says why). The writer thread wakes when the
oldest queued job is `batch_ms` old, when `max_rows` rows are queued, or when someone asks for a flush or waits for
room, and commits everything queued in ONE transaction: a kill at any moment leaves every batch either fully in the
file or not at all (WAL rolls an uncommitted tail back on the next open). Batching is also what makes writing fast:
SQLite's cost is per transaction, not per row.

Each job runs inside its own SAVEPOINT, so a job with bad data (a NaN price, a failing callback) is rolled back
and reported alone while the rest of the batch commits. Failures of the whole transaction (database locked
past the busy timeout, disk full, I/O error) are retried a few times with the batch kept in order, then dropped
and reported through `last_error` and the log; the market feed backfills dropped candles from the exchange.
`queue_depth` is the true depth: queued rows, the batch being written, and batches put back for a retry.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlite_utils import Database

from cryptoterm.adapters.store.database import StoreError, open_database
from cryptoterm.adapters.store.write_queue import DEFAULT_MAX_QUEUED_ROWS, Job, WriteQueue, candles_job, trades_job
from cryptoterm.adapters.store.writer_stats import WriterStats as WriterStats
from cryptoterm.domain.market import Candle, Trade

log = logging.getLogger(__name__)

T = TypeVar("T")

#: SQLite primary result codes that mean "the database could not take the write right now" (locked, busy,
#: out of memory, I/O error, disk full, cannot open), as opposed to "this job is wrong" (constraint, bad SQL).
_TRANSIENT_CODES = frozenset({5, 6, 7, 10, 13, 14, 15})


def _is_transient(exc: BaseException) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.Error) and code is not None and (code & 0xFF) in _TRANSIENT_CODES


class StoreWriter:
    """Owns the database's write connection; every write in the process goes through one of these.

    Construct it with the database path (the file is created and migrated here, so a bad path fails at startup,
    not in the thread), submit work from any thread, and `close()` it on shutdown to write what is queued.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        batch_ms: int = 250,
        max_rows: int = 10_000,
        max_attempts: int = 3,
        max_queued_rows: int = DEFAULT_MAX_QUEUED_ROWS,
        name: str = "cryptoterm-store-writer",
    ) -> None:
        if batch_ms < 0:
            raise ValueError(f"batch_ms must be >= 0, got {batch_ms}")
        if max_rows < 1:
            raise ValueError(f"max_rows must be >= 1, got {max_rows}")
        if max_queued_rows < 1:
            raise ValueError(f"max_queued_rows must be >= 1, got {max_queued_rows}")
        self.path = Path(path)
        self.batch_ms = batch_ms
        self.max_rows = max_rows
        self.max_attempts = max(1, max_attempts)
        # Opened here so path/schema errors reach the caller; used only by the writer thread from now on.
        self._db = open_database(self.path, migrate=True, check_same_thread=False)
        self._cond = threading.Condition()
        self._q = WriteQueue(max_queued_rows)
        self._urgent = False
        self._stopping = False
        self._dead = False
        self._submitted = 0
        self._completed = 0
        self._rows_written = 0
        self._rows_dropped = 0
        self._batches = 0
        self._last_error: Exception | None = None
        self._in_flight: list[Job] = []
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    # -- producers ---------------------------------------------------------------------------------------

    def submit_candles(self, exchange: str, symbol: str, timeframe: str, candles: Sequence[Candle]) -> None:
        """Queue closed live candles for upsert (forming ones are skipped). Cheap, thread-safe, never blocks:
        at the bound they are shed and counted (`candles_shed`); the next start's backfill refills them."""
        if not candles:
            return
        self._enqueue(candles_job(exchange, symbol, timeframe, candles), live=True)

    def submit_trades(self, exchange: str, trades: Sequence[Trade]) -> None:
        """Queue trades for recording (duplicates by trade id are ignored), merged with the trades queued just
        before them into one job. Cheap, thread-safe, never blocks: at the bound they are shed (`trades_shed`)."""
        if not trades:
            return
        with self._cond:
            self._check_open()
            if self._q.has_room(len(trades)) and self._q.merge_trades(exchange, trades):
                return
        self._enqueue(trades_job(exchange, trades), live=True)

    def submit(self, fn: Callable[[Database], T], *, rows: int = 1, what: str = "write") -> Future[T]:
        """Queue `fn(db)` to run inside the next batch transaction; the future carries its result or error.

        This is how other repositories (setups, scan runs, alerts) write through the single writer. `fn` must
        not commit or roll back; it may use sqlite-utils table methods (they nest as savepoints). Waits while
        the writer is `max_queued_rows` behind (backpressure).
        """
        future: Future[T] = Future()
        self._enqueue(Job(fn, max(1, rows), what, cast("Future[Any]", future)))
        return future

    def call(self, fn: Callable[[Database], T], *, timeout: float | None = None, what: str = "write") -> T:
        """Run `fn(db)` in the writer's next transaction right away and wait for the result (for sync callers)."""
        self._refuse_own_thread("call()")
        future: Future[T] = Future()
        self._enqueue(Job(fn, 1, what, cast("Future[Any]", future)), urgent=True)
        return future.result(timeout)

    def write_candles(
        self,
        exchange: str,
        symbol: str,
        timeframe: str,
        candles: Sequence[Candle],
        *,
        timeout: float | None = None,
    ) -> int:
        """Upsert candles now and wait for the commit; returns how many rows were new or changed."""
        self._refuse_own_thread("write_candles()")
        if not candles:
            return 0
        future: Future[int] = Future()
        job = candles_job(exchange, symbol, timeframe, candles)
        job.future = cast("Future[Any]", future)
        self._enqueue(job, urgent=True)
        return future.result(timeout)

    def flush(self, timeout: float | None = None) -> None:
        """Block until everything submitted before this call is committed (or dropped, see `last_error`).

        Raises TimeoutError when `timeout` seconds pass first, StoreError when the writer has stopped.
        """
        self._refuse_own_thread("flush()")
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            target = self._submitted
            if self._q.jobs:
                self._urgent = True
                self._cond.notify_all()
            while self._completed < target:
                if self._dead:
                    raise StoreError(f"{self.path}: the store writer stopped: {self._last_error}")
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError(f"{self.path}: store flush did not finish within {timeout} s")
                self._cond.wait(remaining)

    async def flush_async(self, timeout: float | None = None) -> None:
        """`flush()` for the asyncio loop: waits in a worker thread so the loop keeps running."""
        await asyncio.to_thread(self.flush, timeout)

    def close(self, timeout: float | None = None) -> None:
        """Write everything queued, stop the thread and close the connection. Safe to call twice."""
        self._refuse_own_thread("close()")
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"{self.path}: store writer did not stop within {timeout} s")

    # -- health -------------------------------------------------------------------------------------------

    def stats(self) -> WriterStats:
        """All counters at one instant (the properties below each take the lock separately)."""
        with self._cond:
            q = self._q
            return WriterStats(
                queue_depth=q.depth,
                rows_written=self._rows_written,
                rows_dropped=self._rows_dropped,
                batches_written=self._batches,
                last_error="" if self._last_error is None else f"{type(self._last_error).__name__}: {self._last_error}",
                running=not (self._stopping or self._dead),
                candles_shed=q.shed["candles"],
                trades_shed=q.shed["trades"],
                producers_waiting=q.waiting,
                producer_waits=q.waits,
                max_queued_rows=q.max_queued_rows,
            )

    @property
    def queue_depth(self) -> int:
        """Rows not yet committed: queued, being written, or put back for a retry."""
        with self._cond:
            return self._q.depth

    @property
    def rows_written(self) -> int:
        """Rows in jobs that committed (an upsert that changed nothing still counts as written)."""
        with self._cond:
            return self._rows_written

    @property
    def rows_dropped(self) -> int:
        """Rows in jobs that failed and were given up on."""
        with self._cond:
            return self._rows_dropped

    @property
    def batches_written(self) -> int:
        """Committed transactions."""
        with self._cond:
            return self._batches

    @property
    def last_error(self) -> Exception | None:
        """The most recent failure (a job's bad data or a failed transaction); None while all is well."""
        with self._cond:
            return self._last_error

    @property
    def closed(self) -> bool:
        """True once `close()` was called or the writer thread stopped."""
        with self._cond:
            return self._stopping or self._dead

    # -- the writer thread --------------------------------------------------------------------------------

    def _refuse_own_thread(self, what: str) -> None:
        # Waiting for the writer from inside one of its own jobs would wait forever.
        if threading.current_thread() is self._thread:
            raise StoreError(f"{self.path}: {what} cannot wait for the writer from inside a write job")

    def _check_open(self) -> None:
        if self._stopping or self._dead:
            raise StoreError(f"{self.path}: the store writer is closed")

    def _enqueue(self, job: Job, *, urgent: bool = False, live: bool = False) -> None:
        """Queue `job`: a live one is shed at the bound, any other waits for room (see `store/write_queue.py`)."""
        q = self._q
        with self._cond:
            self._check_open()
            if live and not q.has_room(job.rows):
                started = q.shed_rows("trades" if job.trades is not None else "candles", job.rows)
            else:
                if threading.current_thread() is not self._thread:  # the writer's own jobs must not wait on it
                    q.wait_for_room(self._cond, job.rows, lambda: self._stopping or self._dead, self._write_now)
                    self._check_open()
                q.append(job)
                self._submitted += 1
                if urgent:
                    self._urgent = True
                if urgent or len(q.jobs) == 1 or q.pending_rows >= self.max_rows:
                    self._cond.notify_all()
                return
        if started:
            log.warning("%s: %s", self.path, started)

    def _write_now(self) -> None:
        """Someone waits for room: write what is queued now, whatever the timer says (lock held)."""
        self._urgent = True
        self._cond.notify_all()

    def _next_batch(self) -> list[Job] | None:
        """Wait until a batch is due; None when stopping with nothing left to write."""
        batch_s = self.batch_ms / 1000
        q = self._q
        with self._cond:
            while True:
                if q.jobs:
                    if self._stopping or self._urgent or q.pending_rows >= self.max_rows:
                        break
                    remaining = q.first_queued + batch_s - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
                elif self._stopping:
                    return None
                else:
                    self._urgent = False
                    self._cond.wait()
            self._urgent = False
            return q.take()

    def _run(self) -> None:
        try:
            while (batch := self._next_batch()) is not None:
                self._write(batch)
        except BaseException as exc:  # a bug in the writer itself: fail every waiter instead of hanging them
            log.exception("store writer stopped unexpectedly")
            self._fail_everything(exc if isinstance(exc, Exception) else StoreError(repr(exc)))
        finally:
            self._db.close()

    def _write(self, batch: list[Job]) -> None:
        conn = self._db.conn
        failed: list[tuple[Job, Exception]] = []
        self._in_flight = batch
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job in batch:
                conn.execute("SAVEPOINT job")
                try:
                    job.result = job.apply(self._db)
                except Exception as exc:
                    if _is_transient(exc):
                        raise
                    conn.execute("ROLLBACK TO job")
                    failed.append((job, exc))
                conn.execute("RELEASE job")
            conn.execute("COMMIT")
        except Exception as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self._retry_or_drop(batch, exc)
        else:
            self._committed(batch, failed)
        finally:
            self._in_flight = []

    def _committed(self, batch: list[Job], failed: list[tuple[Job, Exception]]) -> None:
        bad = {id(job): exc for job, exc in failed}
        for job, exc in failed:
            log.error("%s: store write of %s failed: %s", self.path, job.what, exc)
        # Futures first, counters second: whoever returns from flush() must find every future resolved.
        for job in batch:
            if job.future is not None and not job.future.cancelled():  # a caller that stopped waiting
                if id(job) in bad:
                    job.future.set_exception(bad[id(job)])
                else:
                    job.future.set_result(job.result)
            job.result = None
        with self._cond:
            self._q.settled(batch)
            for job, exc in failed:
                self._rows_dropped += job.rows
                self._last_error = exc
            self._rows_written += sum(job.rows for job in batch if id(job) not in bad)
            self._batches += 1
            self._completed += len(batch)
            caught_up = self._q.caught_up()
            self._cond.notify_all()
        if caught_up:
            log.info("%s: %s", self.path, caught_up)

    def _retry_or_drop(self, batch: list[Job], exc: Exception) -> None:
        error = StoreError(f"{self.path}: write transaction failed: {exc}")
        retry: list[Job] = []
        dropped: list[Job] = []
        for job in batch:
            job.attempts += 1
            (retry if job.attempts < self.max_attempts else dropped).append(job)
        log.warning("%s (%d jobs will be retried, %d dropped)", error, len(retry), len(dropped))
        for job in dropped:
            if job.future is not None and not job.future.cancelled():
                job.future.set_exception(error)
        with self._cond:
            self._last_error = error
            self._q.settled(batch)
            if retry:
                self._q.requeue(retry)
            self._rows_dropped += sum(job.rows for job in dropped)
            self._completed += len(dropped)
            self._cond.notify_all()
        if retry and not self._stopping:
            # Give whatever holds the lock a moment before the retry (the wait is interruptible by close()).
            with self._cond:
                self._cond.wait(max(self.batch_ms, 50) / 1000)

    def _fail_everything(self, exc: Exception) -> None:
        with self._cond:
            self._dead = True
            self._last_error = exc
            jobs = self._in_flight + self._q.take()
            self._q.settled(jobs)
            self._in_flight = []
            self._cond.notify_all()
        for job in jobs:
            if job.future is not None and not job.future.done():
                job.future.set_exception(StoreError(f"{self.path}: the store writer stopped: {exc}"))
