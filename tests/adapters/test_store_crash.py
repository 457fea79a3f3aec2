"""Crash safety: SIGKILL a process that is writing through the store writer, then reopen the file.

Every batch is one transaction, so whatever moment the kill lands, the file must pass `integrity_check`, hold a
whole number of batches (never part of one), keep every batch the writer reported as committed, and accept new
writes. Three kills in a row on the same file, each continuing where the last one stopped.
"""

from __future__ import annotations

import os
import queue
import signal
import struct
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from cryptoterm.adapters.store import StoreWriter, open_database
from tests.adapters.crash_writer import batch

HELPER = Path(__file__).with_name("crash_writer.py")
PROJECT_ROOT = Path(__file__).resolve().parents[2]
BATCH = 500
MINUTE_MS = 60_000
STARTUP_PATIENCE_S = 60.0


def run_until_killed(path: Path, first_batch: int, min_rows: int, *, hang: bool = False) -> int:
    """Start the writer process, SIGKILL it once it has committed `min_rows` (or, with `hang`, once it is stuck
    inside a transaction); returns the last committed row count it reported."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    proc = subprocess.Popen(
        [sys.executable, str(HELPER), str(path), str(BATCH), str(first_batch), *(["hang"] if hang else [])],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    reported = 0
    try:
        while hang or reported < min_rows:
            try:
                line = lines.get(timeout=STARTUP_PATIENCE_S)
            except queue.Empty:
                pytest.fail("crash writer produced no progress")
            if line is None:
                assert proc.stderr is not None
                pytest.fail(f"crash writer exited early: {proc.stderr.read()}")
            if line.strip() == "hanging":
                break
            reported = int(line)
        # Still writing: the queue is kept full, so the kill lands mid-batch most of the time.
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stdout:
            proc.stdout.close()
        if proc.stderr:
            proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    return reported


def check_file(path: Path) -> int:
    """Reopen after a kill; returns the number of whole batches stored."""
    db = open_database(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows, first, last = db.execute("SELECT count(*), min(open_time), max(open_time) FROM candles").fetchone()
    finally:
        db.close()
    assert rows % BATCH == 0, f"{rows} rows is not a whole number of {BATCH}-row batches"
    batches = int(rows) // BATCH
    # Batches commit in order, so what survives is exactly batches 0..n-1: no holes, no extras.
    assert first == 0
    assert last == (rows - 1) * MINUTE_MS
    return batches


def test_sigkill_mid_write_leaves_whole_batches(tmp_path: Path) -> None:
    path = tmp_path / "crash.db"
    batches = 0
    for _ in range(3):
        reported = run_until_killed(path, batches, min_rows=(batches + 20) * BATCH)
        assert Path(f"{path}-wal").stat().st_size > 0  # killed with a live WAL, not after a clean close
        survived = check_file(path)
        assert survived * BATCH >= reported  # nothing the writer reported committed was lost
        assert survived >= batches + 20
        batches = survived

    writer = StoreWriter(path, batch_ms=1)
    try:
        writer.submit_candles("binance", "BTC/USDT", "1m", batch(batches, BATCH))
        writer.flush()
        assert writer.last_error is None
    finally:
        writer.close()
    assert check_file(path) == batches + 1


def wal_tail_is_uncommitted(path: Path) -> bool:
    """True when the WAL's last valid frame belongs to a transaction that never committed.

    WAL header: 32 bytes, page size at offset 8, salts at 16..24. Each frame: 24-byte header (page number,
    commit size, salts, checksums) + one page; `commit size` is non-zero only on a transaction's last frame.
    """
    data = Path(f"{path}-wal").read_bytes()
    (page_size,) = struct.unpack(">I", data[8:12])
    salts = data[16:24]
    last_commit: int | None = None
    offset = 32
    while offset + 24 + page_size <= len(data):
        header = data[offset : offset + 24]
        if header[8:16] != salts:
            break
        (last_commit,) = struct.unpack(">I", header[4:8])
        offset += 24 + page_size
    return last_commit == 0


def test_sigkill_inside_a_spilled_transaction_loses_only_that_transaction(tmp_path: Path) -> None:
    path = tmp_path / "spill.db"
    run_until_killed(path, 0, min_rows=0, hang=True)
    assert wal_tail_is_uncommitted(path)  # half a transaction really is on disk
    assert check_file(path) == 10  # ... and recovery drops it: the ten committed batches, nothing more


def test_two_processes_share_one_file(tmp_path: Path) -> None:
    """A second process (say `cryptoterm download` beside the TUI) writes while this one writes and reads."""
    path = tmp_path / "shared.db"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    proc = subprocess.Popen(
        [sys.executable, str(HELPER), str(path), str(BATCH), "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    progress: queue.Queue[int] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            progress.put(int(line))

    def committed_beyond(rows: int) -> int:
        while True:
            try:
                reported = progress.get(timeout=STARTUP_PATIENCE_S)
            except queue.Empty:
                pytest.fail("the other process stopped making progress")
            if reported > rows:
                return reported

    threading.Thread(target=pump, daemon=True).start()
    try:
        before = committed_beyond(5 * BATCH)  # the other process is committing batches
        writer = StoreWriter(path, batch_ms=1)
        try:
            for k in range(40):
                assert writer.write_candles("kraken", "ETH/USD", "1m", batch(k, 50)) == 50
            assert writer.last_error is None
            assert writer.rows_dropped == 0
        finally:
            writer.close()
        after = committed_beyond(before)  # ... and kept committing alongside this one
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout:
            proc.stdout.close()
    db = open_database(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM candles WHERE exchange = 'kraken'").fetchone()[0] == 2000
        other = db.execute("SELECT count(*) FROM candles WHERE exchange = 'binance'").fetchone()[0]
        assert other >= after and other % BATCH == 0
    finally:
        db.close()
