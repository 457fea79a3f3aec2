"""Soak: the demo TUI left running, its RSS and CPU sampled once a minute.

The real `cryptoterm --demo --config config.example.toml` runs on a pseudo-terminal sized 160×50 (the app
renders exactly as in a terminal, nobody types) with its own temporary database. Every `SAMPLE_S` seconds the
process's CPU share over that interval and its RSS are read with psutil. The default run is 10 minutes — long
enough for the startup scan, the first hourly bar and the chart caches to settle, so growth after that is real;
`CRYPTOTERM_SOAK_S` shortens (or lengthens: 3600 for the 1 h soak) it, and the sample interval shrinks with it
so a short run still has several samples. Goals: RSS < 250 MiB and flat; CPU < 20 % of a core on the demo.

Idle is measured where nothing changes: the TUI at 160×50 replaying a small recording (trades of one symbol,
written here) as fast as it can, once the replay has ended — the clock stops with the last event, so no price,
age or rate moves. Goal: < 5 % of a core.
"""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOAK_S = 600.0
SAMPLE_S = 60.0
#: Idle: seconds allowed for the replay to end, and the window measured after it.
IDLE_SETTLE_S = 20.0
IDLE_WINDOW_S = 30.0
RECORDED_TRADES = 500


def _drain(master: int, stop: threading.Event) -> None:
    """Read the terminal output so the app never blocks on a full pty buffer."""
    while not stop.is_set():
        try:
            if not os.read(master, 65536):
                return
        except OSError:
            return


class _OnPty:
    """`cryptoterm ARGS` on a 160×50 pseudo-terminal whose output is drained; SIGTERM and waited for on exit."""

    def __init__(self, args: list[str]) -> None:
        import fcntl
        import struct
        import termios

        master, slave = pty.openpty()
        os.set_blocking(master, True)
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color"}
        command = [sys.executable, "-m", "cryptoterm", *args]
        self.process = subprocess.Popen(
            command, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self._master = master
        self._stop = threading.Event()
        threading.Thread(target=_drain, args=(master, self._stop), daemon=True).start()
        self.watched = psutil.Process(self.process.pid)

    def __enter__(self) -> _OnPty:
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._stop.set()
        os.close(self._master)


def soak(duration_s: float) -> list[tuple[float, float, float]]:
    """[(minute, cpu % of one core, RSS MiB)] over `duration_s`."""
    sample_s = min(SAMPLE_S, max(5.0, duration_s / 6))
    with tempfile.TemporaryDirectory(prefix="cryptoterm-soak-") as tmp:
        args = ["--demo", "--config", str(ROOT / "config.example.toml"), "--db", str(Path(tmp) / "soak.db")]
        samples: list[tuple[float, float, float]] = []
        with _OnPty(args) as app:
            started = time.monotonic()
            app.watched.cpu_percent()
            while time.monotonic() - started < duration_s and app.process.poll() is None:
                time.sleep(sample_s)
                cpu = app.watched.cpu_percent()
                rss = app.watched.memory_info().rss / 2**20
                samples.append(((time.monotonic() - started) / 60, cpu, rss))
    return samples


def write_recording(path: Path, trades: int = RECORDED_TRADES) -> None:
    """A small websocket recording (`--record`'s format) of BTCUSDT trades, one every 100 ms."""
    import gzip
    import json

    start_ms = 1_723_161_600_000
    with gzip.open(path, "wt") as out:
        for i in range(trades):
            at = start_ms + i * 100
            data = {"e": "trade", "E": at, "s": "BTCUSDT", "t": i + 1, "p": f"{61000 + (i % 40) * 0.5:.2f}"}
            data |= {"q": "0.010", "T": at, "m": i % 3 == 0, "M": True}
            message = {"stream": "btcusdt@trade", "data": data}
            out.write(json.dumps({"recv_time_ns": (at + 5) * 1_000_000, "msg": message}) + "\n")


def idle() -> tuple[float, float]:
    """(cpu % of one core, RSS MiB) of the TUI over IDLE_WINDOW_S once a replay at speed 0 has ended."""
    with tempfile.TemporaryDirectory(prefix="cryptoterm-idle-") as tmp:
        recording = Path(tmp) / "trades.jsonl.gz"
        write_recording(recording)
        args = ["--replay", str(recording), "--speed", "0", "--config", str(ROOT / "config.example.toml")]
        with _OnPty([*args, "--db", str(Path(tmp) / "idle.db")]) as app:
            time.sleep(IDLE_SETTLE_S)
            before, started = app.watched.cpu_times(), time.monotonic()
            time.sleep(IDLE_WINDOW_S)
            after, elapsed = app.watched.cpu_times(), time.monotonic() - started
            busy = (after.user - before.user) + (after.system - before.system)
            return busy / elapsed * 100.0, app.watched.memory_info().rss / 2**20


def run() -> list[tuple[str, str, str]]:
    duration_s = float(os.environ.get("CRYPTOTERM_SOAK_S", DEFAULT_SOAK_S))
    cpu, rss = idle()
    idle_row = (
        "idle (replay ended)",
        f"{cpu:.1f}% CPU, {rss:.0f} MiB",
        f"160x50, {IDLE_WINDOW_S:.0f} s after the replay ended; goal < 5%",
    )
    samples = soak(duration_s)
    if not samples:
        return [idle_row, ("soak", "no samples", "the demo exited before the first sample")]
    rows = [idle_row]
    rows += [
        (f"soak minute {m:.1f}", f"{cpu:.0f}% CPU, {rss:.0f} MiB", "demo dashboard 160x50") for m, cpu, rss in samples
    ]
    settled = samples[len(samples) // 3 :]  # after start-up work (history, startup scan)
    growth = settled[-1][2] - settled[0][2]
    rows.append(
        (
            "soak summary",
            f"CPU mean {sum(s[1] for s in settled) / len(settled):.0f}%, RSS max {max(s[2] for s in samples):.0f} MiB,"
            f" growth {growth:+.0f} MiB",
            f"{duration_s / 60:.0f} min (CRYPTOTERM_SOAK_S); goals < 20% CPU, < 250 MiB and flat",
        )
    )
    return rows


if __name__ == "__main__":
    for figure, value, note in run():
        print(f"{figure:24} {value:40} {note}")
