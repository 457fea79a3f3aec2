"""UI process CPU with the market views open: the trade tape (`T`) and the full order book (`O`, 120 columns: the
tape beside the book) while the simulated market streams across 20 symbols, beside the dashboard at the same rate:
at the demo's 200 trades/s (goal < 20 % of a core, as for the dashboard) and at 2,000 (a busy market, < 50 %).

The same real `cryptoterm --demo` process on a 120×40 pseudo-terminal as `bench_tui`; the screen's key is typed
into the terminal after the warm-up, then user+system time is measured over a fixed window, as % of one core.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import psutil

from bench.bench_tui import CPU_WARMUP_S, CPU_WINDOW_S, PtyProcess, _cryptoterm_argv, _env, _project_root, _write_config

#: (trades a second, goal in % of a core).
RATES = ((200.0, 20), (2000.0, 50))
#: Seconds after the key for the screen to be built and the first repaints to pass.
SCREEN_SETTLE_S = 3.0


def measure(tmp: Path, key: str, label: str, rate: float = 2000.0, goal: int = 50) -> tuple[str, str, str]:
    config = _write_config(tmp, rate)
    db = tmp / f"views-{key or 'dashboard'}-{rate:g}.sqlite"
    child = PtyProcess(_cryptoterm_argv(config, db), _env({}), _project_root())
    figure = f"UI process CPU, {label}, {rate:,.0f} trades/s"
    try:
        time.sleep(CPU_WARMUP_S)
        if child.proc.poll() is not None:
            return figure, "n/a", f"app exited early (code {child.proc.returncode})"
        if key:
            os.write(child._master, key.encode())
            time.sleep(SCREEN_SETTLE_S)
        process = psutil.Process(child.proc.pid)
        before, started = process.cpu_times(), time.monotonic()
        time.sleep(CPU_WINDOW_S)
        after, elapsed = process.cpu_times(), time.monotonic() - started
        busy = (after.user - before.user) + (after.system - before.system)
        note = f"% of one core over {CPU_WINDOW_S:.0f} s, 20 symbols, 120×40; target < {goal} %"
        return figure, f"{busy / elapsed * 100.0:.1f} %", note
    finally:
        child.terminate()


def run() -> list[tuple[str, str, str]]:
    with tempfile.TemporaryDirectory(prefix="cryptoterm-bench-views-") as name:
        tmp = Path(name)
        return [
            measure(tmp, key, label, rate, goal)
            for rate, goal in RATES
            for key, label in (("", "dashboard"), ("T", "trade tape open"), ("O", "order book + tape open"))
        ]


if __name__ == "__main__":
    for figure, value, note in run():
        print(f"{figure:60} {value:>10}  {note}")
