"""What the health screen shows about the store writer: one immutable snapshot of its counters."""

from __future__ import annotations

from dataclasses import dataclass

from cryptoterm.adapters.store.write_queue import DEFAULT_MAX_QUEUED_ROWS


@dataclass(frozen=True, slots=True)
class WriterStats:
    """A snapshot of the writer for the health screen; immutable so it can be posted to the UI as is."""

    queue_depth: int
    rows_written: int
    rows_dropped: int
    batches_written: int
    last_error: str
    running: bool
    #: Live rows shed at the bound (see `store/write_queue.py`), by kind.
    candles_shed: int = 0
    trades_shed: int = 0
    #: Producers waiting for room now, and how often one had to.
    producers_waiting: int = 0
    producer_waits: int = 0
    max_queued_rows: int = DEFAULT_MAX_QUEUED_ROWS
