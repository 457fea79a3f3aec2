"""Writes candle batches through the store writer until it is killed (used by test_store_crash.py).

Usage: python crash_writer.py DB_PATH BATCH_SIZE FIRST_BATCH [hang]

With `hang`, it commits ten batches, then starts one more transaction with a page cache so small that SQLite has
to spill the half-written batch into the WAL, prints "hanging" and waits there to be killed: a kill that is
certain to land inside a transaction, with uncommitted pages already on disk.

Batch k holds BATCH_SIZE one-minute candles with open times k*BATCH_SIZE … (k+1)*BATCH_SIZE-1 minutes, spread
over several symbols so each transaction touches many pages. After every commit it prints the rows the writer
has committed, so the parent knows writing is under way before it sends SIGKILL.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from sqlite_utils import Database

from cryptoterm.adapters.store import StoreWriter
from cryptoterm.adapters.store.writes import upsert_candles
from cryptoterm.domain.market import Candle

SYMBOLS = ("BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT")
MINUTE_MS = 60_000


def batch(index: int, size: int) -> list[Candle]:
    """The candles of batch `index`; the values vary so pages really change."""
    first = index * size
    return [
        Candle((first + i) * MINUTE_MS, 100.0 + i, 101.0 + i, 99.0 + i, 100.5 + i, 1.0 + index, 2.0, i)
        for i in range(size)
    ]


def hang_inside_a_transaction(writer: StoreWriter, size: int, first: int) -> int:
    for index in range(first, first + 10):
        writer.write_candles("binance", SYMBOLS[index % len(SYMBOLS)], "1m", batch(index, size))

    def half_written(db: Database) -> None:
        db.execute("PRAGMA cache_size = 2")
        big = [c for k in range(first + 10, first + 30) for c in batch(k, size)]
        upsert_candles(db, "binance", "BTC/USDT", "1m", big)
        print("hanging", flush=True)
        time.sleep(3600)

    writer.submit(half_written)
    writer.flush()
    return 1


def main(argv: list[str]) -> int:
    path, size, first = Path(argv[1]), int(argv[2]), int(argv[3])
    writer = StoreWriter(path, batch_ms=2, max_rows=size * 4)
    if argv[4:] == ["hang"]:
        return hang_inside_a_transaction(writer, size, first)
    reported = -1
    index = first
    while True:
        candles = batch(index, size)
        # One job per submission, all rows of a batch under one symbol: a batch is one all-or-nothing unit.
        writer.submit_candles("binance", SYMBOLS[index % len(SYMBOLS)], "1m", candles)
        index += 1
        while writer.queue_depth > size * 8:
            time.sleep(0.0005)
        written = writer.rows_written
        if written != reported:
            print(written, flush=True)
            reported = written


if __name__ == "__main__":
    sys.exit(main(sys.argv))
