"""TUI figures: process start → first frame for `cryptoterm --demo`, and UI process CPU while the simulated
market streams 200 and 2,000 trades/s across 20 symbols.

Each run is a real `cryptoterm` process on a pseudo-terminal sized 120×40 (so Textual renders exactly as in a
terminal). First frame: `CRYPTOTERM_EXIT_AFTER_FIRST_FRAME=1` makes the app exit once its first frame is
painted and print the time since process start; a bare Textual app measured the same way is the baseline.
CPU: user+system time of the process over a fixed window after warm-up, as % of one core.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

import psutil

FIRST_FRAME_ENV = "CRYPTOTERM_EXIT_AFTER_FIRST_FRAME"
COLUMNS, LINES = 120, 40
FIRST_FRAME_RUNS = 5
CPU_WARMUP_S = 6.0
CPU_WINDOW_S = 10.0
_FIRST_FRAME_RE = re.compile(rb"first frame ([0-9.]+) s after process start")

BARE_TEXTUAL = """
import os, time, psutil
from textual.app import App
from textual.widgets import Static
class Bare(App[None]):
    def compose(self):
        yield Static("hello")
    def on_ready(self):
        self.first = time.time()
        self.exit()
app = Bare()
app.run()
print(f"first frame {app.first - psutil.Process().create_time():.3f} s after process start", flush=True)
"""


class PtyProcess:
    """A child process on its own pseudo-terminal, whose output is drained so it never blocks on a full pty."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, start_new_session=True
        )
        os.close(slave)
        self._master = master
        self.output = bytearray()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self._master, 65536)
            except OSError:
                break
            if not chunk:
                break
            self.output += chunk

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._reader.join(timeout=2)
            os.close(self._master)

    def terminate(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=2)
        with contextlib.suppress(OSError):
            os.close(self._master)


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"TERM": "xterm-256color", "COLUMNS": str(COLUMNS), "LINES": str(LINES)}, **extra)
    env.pop("TEXTUAL", None)
    return env


def _project_root() -> Path:
    return Path(__file__).resolve().parent.parent


def _first_frame(argv: list[str], env: dict[str, str]) -> float | None:
    child = PtyProcess(argv, env, _project_root())
    try:
        child.wait(timeout=60)
    except subprocess.TimeoutExpired:
        child.terminate()
        return None
    match = _FIRST_FRAME_RE.search(bytes(child.output))
    return float(match.group(1)) if match else None


def _write_config(directory: Path, trades_per_second: float) -> Path:
    path = directory / f"bench-{trades_per_second:g}.toml"
    path.write_text(
        f"[demo]\nseed = 7\nsymbols = 20\nspeed = 1.0\ntrades_per_second = {trades_per_second}\nhistory_days = 3\n"
    )
    return path


def _cryptoterm_argv(config: Path, db: Path) -> list[str]:
    return [sys.executable, "-m", "cryptoterm", "--demo", "--config", str(config), "--db", str(db)]


def measure_first_frame(tmp: Path) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    bare = [_first_frame([sys.executable, "-c", BARE_TEXTUAL], _env({})) for _ in range(FIRST_FRAME_RUNS)]
    argv = _cryptoterm_argv(_write_config(tmp, 200.0), tmp / "first-frame.sqlite")
    ours = [_first_frame(argv, _env({FIRST_FRAME_ENV: "1"})) for _ in range(FIRST_FRAME_RUNS)]
    for label, values, note in (
        ("bare Textual app: start → first frame", bare, "baseline (Static widget only)"),
        ("cryptoterm --demo: start → first frame", ours, "target ≤ 0.6 s"),
    ):
        good = [v for v in values if v is not None]
        if good:
            value = f"{statistics.median(good):.3f} s"
            detail = f"median of {len(good)}, min {min(good):.3f} s; {note}"
        else:
            value, detail = "n/a", "no first frame was reported (see the app's output)"
        rows.append((label, value, f"{detail}; {COLUMNS}×{LINES} pty"))
    return rows


def measure_cpu(tmp: Path, trades_per_second: float) -> tuple[str, str, str]:
    config = _write_config(tmp, trades_per_second)
    child = PtyProcess(_cryptoterm_argv(config, tmp / f"cpu-{trades_per_second:g}.sqlite"), _env({}), _project_root())
    label = f"UI process CPU at {trades_per_second:,.0f} trades/s, 20 symbols"
    try:
        time.sleep(CPU_WARMUP_S)
        if child.proc.poll() is not None:
            tail = bytes(child.output[-400:]).decode(errors="replace")
            return label, "n/a", f"app exited early (code {child.proc.returncode}): {tail!r}"
        process = psutil.Process(child.proc.pid)
        before, started = process.cpu_times(), time.monotonic()
        time.sleep(CPU_WINDOW_S)
        after, elapsed = process.cpu_times(), time.monotonic() - started
        busy = (after.user - before.user) + (after.system - before.system)
        rss = process.memory_info().rss / 2**20
        pct = busy / elapsed * 100.0
        target = "; target < 50 %" if trades_per_second >= 2000 else ""
        note = f"% of one core over {CPU_WINDOW_S:.0f} s after {CPU_WARMUP_S:.0f} s warm-up, RSS {rss:.0f} MiB{target}"
        return label, f"{pct:.1f} %", note
    finally:
        child.terminate()


def run() -> list[tuple[str, str, str]]:
    with tempfile.TemporaryDirectory(prefix="cryptoterm-bench-tui-") as name:
        tmp = Path(name)
        rows = measure_first_frame(tmp)
        rows.append(measure_cpu(tmp, 200.0))
        rows.append(measure_cpu(tmp, 2000.0))
        return rows


if __name__ == "__main__":
    for figure, value, note in run():
        print(f"{figure:55} {value:>10}  {note}")
