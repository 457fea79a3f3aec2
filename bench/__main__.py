"""`make bench`: run every benchmark module and print one table of figures.

Each module in bench/ named `bench_*.py` exposes `run() -> list[tuple[str, str, str]]` giving
(figure, value, note) rows; a figure is a ratio against a peer or an absolute with the machine noted.
Benchmarks are measurements, never tests: nothing here asserts a speed.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
import time
import traceback
from pathlib import Path

import psutil


def _machine() -> str:
    freq = psutil.cpu_freq()
    mhz = f" @ {freq.max:.0f} MHz" if freq and freq.max else ""
    mem = psutil.virtual_memory().total / 2**30
    return (
        f"{platform.processor() or platform.machine()}{mhz}, {os.cpu_count()} cores, {mem:.0f} GiB, "
        f"Python {platform.python_version()}"
    )


def main(argv: list[str]) -> int:
    only = set(argv)
    modules = sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))
    rows: list[tuple[str, str, str, str]] = []
    failed = 0
    for name in modules:
        if only and name.removeprefix("bench_") not in only and name not in only:
            continue
        started = time.perf_counter()
        print(f"running {name} …", file=sys.stderr, flush=True)
        try:
            module = importlib.import_module(f"bench.{name}")
            for figure, value, note in module.run():
                rows.append((name.removeprefix("bench_"), figure, value, note))
        except Exception:
            failed += 1
            traceback.print_exc()
            rows.append((name.removeprefix("bench_"), "FAILED", "-", "see traceback above"))
        print(f"  {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    headers = ("bench", "figure", "value", "note")
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(4)]
    print(f"\nmachine: {_machine()}\n")
    for row in [headers, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
