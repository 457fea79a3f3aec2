"""`cryptoterm --headless` as a real process: the engine runs, scans on bar closes, stores bars and setups, and
stops cleanly on SIGTERM / SIGHUP (or at a replay's end), with one-line errors and meaningful exit codes."""

from __future__ import annotations

import queue
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from tests.waiting import GUARD_S

CONFIG = """
    [demo]
    symbols = 4
    history_days = 2
    speed = 120.0

    [scanner]
    interval_s = 0
    history_bars = 200

    [[strategy]]
    name = "always"
    timeframe = "1m"
    when = ["close > 0"]
    universe = { symbols = ["BTC/USDT", "ETH/USDT"] }
"""


class Headless:
    """A `cryptoterm --headless` process whose stderr lines can be waited for (a reader thread, a queue)."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cryptoterm", "--headless", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, text: str) -> str:
        """The first stderr line (from now on) containing `text`; fails at the hang guard or at exit."""
        while True:
            try:
                line = self._queue.get(timeout=GUARD_S)
            except queue.Empty:
                self.proc.kill()
                raise AssertionError(f"{text!r} not logged within the hang guard; got {self.lines[-5:]}") from None
            if line is None:
                raise AssertionError(f"exited ({self.proc.wait()}) before logging {text!r}: {self.lines[-8:]}")
            self.lines.append(line)
            if text in line:
                return line

    def finish(self) -> int:
        code = self.proc.wait(timeout=GUARD_S)
        self._reader.join(GUARD_S)
        while not self._queue.empty():
            line = self._queue.get_nowait()
            if line is not None:
                self.lines.append(line)
        return code


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_demo_engine_scans_on_bar_closes_and_stops_cleanly_on_a_signal(tmp_path: Path, sig: signal.Signals) -> None:
    config = tmp_path / "config.toml"
    config.write_text(textwrap.dedent(CONFIG))
    db = tmp_path / "engine.db"
    engine = Headless("--demo", "--config", str(config), "--db", str(db))
    engine.wait_for("headless engine running (demo, sim)")
    assert "2 new setups" in engine.wait_for("startup scan:")
    engine.wait_for("1m close scan:")  # the simulated market closed a bar and the engine scanned it
    engine.proc.send_signal(sig)
    assert engine.finish() == 0
    assert f"received {sig.name}: stopping" in "\n".join(engine.lines)
    assert engine.lines[-1].endswith("headless engine stopped")
    assert not any("Traceback" in line for line in engine.lines)
    with sqlite3.connect(db) as conn:
        setups = conn.execute("SELECT count(*), count(DISTINCT symbol) FROM setups").fetchone()
        minutes = conn.execute(
            "SELECT count(*), count(DISTINCT symbol) FROM candles WHERE exchange = 'sim' AND timeframe = '1m'"
        ).fetchone()
        runs = [r[0] for r in conn.execute("SELECT origin FROM scan_runs ORDER BY id")]
        archived = conn.execute("SELECT name FROM strategies").fetchall()
    assert setups[0] >= 2 and setups[1] == 2
    assert minutes[0] > 2 * 200  # the scans' history of the two scanned symbols …
    assert minutes[1] == 4  # … and the bars the feed closed for every watched symbol
    assert runs[0] == "startup" and "1m close" in runs
    assert archived == [("always",)]  # the rules the setups came from


@pytest.mark.slow
def test_replay_engine_exits_when_the_recording_ends(tmp_path: Path, shared_data: Path) -> None:
    recording = shared_data / "ws" / "hftbacktest_binance-spot_btcusdt_2024-08-08.jsonl.gz"
    engine = Headless("--replay", str(recording), "--speed", "0", "--db", str(tmp_path / "r.db"))
    assert engine.finish() == 0
    assert any(line.endswith("replay finished: 9757 trades") for line in engine.lines)  # SOURCES.md: 9,757
    assert engine.lines[-1].endswith("headless engine stopped")


def test_an_unusable_database_path_is_one_line_and_exit_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    engine = Headless("--demo", "--db", str(blocker / "sub" / "x.db"))
    assert engine.finish() == 2
    assert len(engine.lines) == 1 and engine.lines[0].startswith("cryptoterm --headless: ")
    assert "Traceback" not in engine.lines[0]


def test_headless_refuses_to_combine_with_scan_once(tmp_path: Path) -> None:
    engine = Headless("--scan-once")
    assert engine.finish() == 2
    assert "--headless runs the engine; it cannot be combined with --scan-once" in engine.lines[-1]
