"""Ending the TUI: SIGTERM / SIGHUP stop it cleanly and restore the terminal; `ctrl+c` twice quits.

The signal tests run the real `cryptoterm --demo` in a pseudo-terminal, wait until its first frame is on the
pty (watching the output, never sleeping), send the signal and read to the end: the process must exit with
128 + the signal number and its last words to the terminal must leave the alternate screen, show the cursor
and switch mouse reporting off.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tests.tui.conftest import make_app
from tests.waiting import GUARD_S, eventually

LEAVE_ALT_SCREEN = b"\x1b[?1049l"
ENTER_ALT_SCREEN = b"\x1b[?1049h"
SHOW_CURSOR = b"\x1b[?25h"
HIDE_CURSOR = b"\x1b[?25l"
MOUSE_ON = b"\x1b[?1000h"
MOUSE_OFF = b"\x1b[?1000l"

TINY_CONFIG = """
[watchlist]
symbols = ["BTC/USDT", "ETH/USDT"]

[demo]
symbols = 3
history_days = 1
"""


class PtyApp:
    """`cryptoterm --demo` on the slave side of a pty sized 100×30; everything it writes is collected."""

    def __init__(self, tmp_path: Path) -> None:
        config = tmp_path / "tiny.toml"
        config.write_text(TINY_CONFIG)
        self.db = tmp_path / "demo.db"
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
        env.pop("CRYPTOTERM_CONFIG", None)
        command = [sys.executable, "-m", "cryptoterm", "--demo", "--config", str(config), "--db", str(self.db)]
        self.process = subprocess.Popen(
            command, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True, close_fds=True
        )
        os.close(slave)
        self.master = master
        self.output = bytearray()

    def read_until(self, condition: object, what: str) -> None:
        """Collect output until `condition(output)` holds, or the process ended (hang guard only)."""
        deadline = time.monotonic() + GUARD_S
        while not condition(bytes(self.output)):  # type: ignore[operator]
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not seen within the {GUARD_S:.0f} s hang guard")
            ready, _, _ = select.select([self.master], [], [], 1.0)
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: every writer of the slave side has closed it
                chunk = b""
            if not chunk:
                raise AssertionError(f"{what}: the app ended first; it wrote {bytes(self.output[-2000:])!r}")
            self.output += chunk

    def read_to_end(self) -> int:
        deadline = time.monotonic() + GUARD_S
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 1.0)
            if not ready:
                if self.process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                break
            if not chunk:
                break
            self.output += chunk
        return self.process.wait(timeout=GUARD_S)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.master)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_exits_cleanly_and_restores_the_terminal(tmp_path: Path, sig: signal.Signals) -> None:
    app = PtyApp(tmp_path)
    try:
        app.read_until(lambda out: b"DEMO" in out and b"connected" in out, "the first frame with the market running")
        app.process.send_signal(sig)
        code = app.read_to_end()
    finally:
        app.close()
    out = bytes(app.output)
    assert code == 128 + int(sig), out[-2000:]
    assert out.rfind(LEAVE_ALT_SCREEN) > out.rfind(ENTER_ALT_SCREEN) >= 0
    assert out.rfind(SHOW_CURSOR) > out.rfind(HIDE_CURSOR) >= 0
    assert out.rfind(MOUSE_OFF) > out.rfind(MOUSE_ON) >= 0
    assert b"Traceback" not in out
    # The store was closed: SQLite folds its write-ahead log into the database on the last close, so the
    # -wal file a killed process leaves behind is gone, and the file opens clean.
    assert app.db.exists() and not Path(f"{app.db}-wal").exists()
    with sqlite3.connect(app.db) as db:
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"


async def test_ctrl_c_asks_once_then_quits() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert any("ctrl+c again" in n.message for n in app._notifications)
        assert app.is_running
        await pilot.press("ctrl+c")
        await eventually(lambda: not app.is_running, "the app quit", pause=pilot.pause)
    assert app.return_code == 0
    assert app.session.runtime.closed == 1  # type: ignore[attr-defined]


async def test_stop_for_signal_closes_the_runtime_with_the_signal_exit_code() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.stop_for_signal(signal.SIGTERM)
        await eventually(lambda: not app.is_running, "the app stopped", pause=pilot.pause)
    assert app.return_code == 143
    assert app.session.runtime.closed == 1  # type: ignore[attr-defined]
