"""The store writer's queue: the jobs waiting to be written, how many rows they hold, and what happens when the
disk falls behind.

Without a bound a stalled disk grew the queue without limit (146k rows, +31 MB in 30 s). The bound is
`max_queued_rows`, counted over every row not yet committed — queued, being written, or waiting for a retry — and
what happens at it depends on who is writing:

* **History and repositories wait** (`write_candles`, `call`, `submit`): the producer blocks until the writer has
  room — backpressure. These run in threads (backfills, downloads, scans), where waiting is the right answer:
  they go no faster than the disk, and nothing is lost. A single job larger than the bound is admitted once the
  queue is empty, so it can never wait forever.
* **Live writes never wait** (`submit_candles`, `submit_trades`): they come from the event loop, which must keep
  the screen and the streams alive even when the disk is stuck. At the bound they are shed: counted per kind in
  `shed`, logged when shedding starts and when the writer has caught up, and shown on the health screen. The
  live feed's closed bars are the exchange's candles, so the next start's backfill fills what was shed; recorded
  trades that were shed are not recorded. The bound is far above what live bars need (a few hundred rows a minute
  for a full watchlist), so only a disk that is truly stuck sheds anything.
* **Trades are written in batches**: consecutive trade submissions of one exchange are merged into the job at the
  end of the queue, so the feed can hand over every batch of trades without a savepoint per handful.

This class keeps the numbers; it is not thread-safe by itself — the writer holds its lock around every call.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from cryptoterm.adapters.store.writes import insert_trades, upsert_candles
from cryptoterm.domain.market import Candle, Trade

#: Rows not yet committed before producers wait or live writes are shed (~200 bytes a row: ~10 MB).
DEFAULT_MAX_QUEUED_ROWS = 50_000
#: A merged trades job stops growing at this many rows (one savepoint's worth).
_MAX_TRADES_PER_JOB = 10_000


@dataclass(slots=True)
class Job:
    """A unit of queued work: `apply` runs inside the batch transaction and returns the job's result.

    `trades` is set for a trades job (its list grows while the job waits at the end of the queue)."""

    apply: Callable[[Database], Any]
    rows: int
    what: str
    future: Future[Any] | None = None
    attempts: int = 0
    result: Any = field(default=None)
    trades: tuple[str, list[Trade]] | None = None


def candles_job(exchange: str, symbol: str, timeframe: str, candles: Sequence[Candle]) -> Job:
    """A job upserting closed `candles` of one series."""
    batch = tuple(candles)
    what = f"candles {exchange} {symbol} {timeframe}"
    return Job(lambda db: upsert_candles(db, exchange, symbol, timeframe, batch), len(batch), what)


def trades_job(exchange: str, trades: Sequence[Trade]) -> Job:
    batch = list(trades)
    return Job(
        lambda db: insert_trades(db, exchange, batch), len(batch), f"trades {exchange}", trades=(exchange, batch)
    )


class WriteQueue:
    """Jobs in order, their row counts, the bound and what was shed (see the module docstring)."""

    def __init__(self, max_queued_rows: int = DEFAULT_MAX_QUEUED_ROWS) -> None:
        if max_queued_rows < 1:
            raise ValueError(f"max_queued_rows must be >= 1, got {max_queued_rows}")
        self.max_queued_rows = max_queued_rows
        self.jobs: collections.deque[Job] = collections.deque()
        #: Rows in `jobs` (queued, including jobs put back for a retry).
        self.pending_rows = 0
        #: Rows in the batch the writer thread is working on.
        self.in_flight_rows = 0
        #: Monotonic time the oldest queued job was queued.
        self.first_queued = 0.0
        #: Rows shed by kind ("candles", "trades").
        self.shed: collections.Counter[str] = collections.Counter()
        #: Times a producer waited for room, and how many wait now.
        self.waits = 0
        self.waiting = 0
        #: True between the first row shed and the writer catching up (one log line each way).
        self.shedding = False

    @property
    def depth(self) -> int:
        """Rows not yet committed: queued, being written, or waiting for a retry."""
        return self.pending_rows + self.in_flight_rows

    def has_room(self, rows: int) -> bool:
        depth = self.depth
        return depth == 0 or depth + rows <= self.max_queued_rows

    def append(self, job: Job) -> None:
        if not self.jobs:
            self.first_queued = time.monotonic()
        self.jobs.append(job)
        self.pending_rows += job.rows

    def merge_trades(self, exchange: str, trades: Sequence[Trade]) -> bool:
        """Add `trades` to the trades job at the end of the queue, if it is one of `exchange`; True if done."""
        if not self.jobs:
            return False
        tail = self.jobs[-1]
        if tail.trades is None or tail.trades[0] != exchange or tail.rows + len(trades) > _MAX_TRADES_PER_JOB:
            return False
        tail.trades[1].extend(trades)
        tail.rows += len(trades)
        self.pending_rows += len(trades)
        return True

    def take(self) -> list[Job]:
        """Every queued job, now the writer's batch (its rows count as in flight until `settled`)."""
        batch = list(self.jobs)
        self.jobs.clear()
        self.in_flight_rows += self.pending_rows
        self.pending_rows = 0
        return batch

    def settled(self, jobs: Sequence[Job]) -> None:
        """`jobs` left the writer's hands (committed, failed, dropped, or put back with `requeue`)."""
        self.in_flight_rows -= sum(job.rows for job in jobs)

    def requeue(self, jobs: Sequence[Job]) -> None:
        """Put jobs back at the front, in order, for a retry."""
        self.jobs.extendleft(reversed(jobs))
        self.pending_rows += sum(job.rows for job in jobs)
        self.first_queued = time.monotonic()

    def wait_for_room(
        self, cond: threading.Condition, rows: int, closed: Callable[[], bool], write_now: Callable[[], None]
    ) -> None:
        """Block (in `cond`, whose lock the caller holds) until `rows` fit or the writer is `closed()`."""
        while not self.has_room(rows) and not closed():
            self.waits += 1
            self.waiting += 1
            write_now()
            try:
                cond.wait()
            finally:
                self.waiting -= 1

    def shed_rows(self, kind: str, rows: int) -> str:
        """Count `rows` of `kind` shed; the line to log when this starts a shedding episode, else ""."""
        self.shed[kind] += rows
        if self.shedding:
            return ""
        self.shedding = True
        return (
            f"the store writer is {self.depth} rows behind ({self.max_queued_rows} is the bound): live writes are "
            f"shed and counted until it catches up (shed so far: {dict(self.shed)})"
        )

    def caught_up(self) -> str:
        """Once per episode, when the queue is back under half the bound after shedding: the line to log."""
        if self.shedding and self.depth <= self.max_queued_rows // 2:
            self.shedding = False
            return f"the store writer caught up; live rows shed while it was behind: {dict(self.shed)}"
        return ""
