"""Opening a recording (JSON lines or CSV, plain or gzip) for reading, as the replay reads it."""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import IO

#: Bytes read at a time: lines are split in C from a large buffer (GzipFile's own readline is Python code
#: per line, a third of a replay's time at speed 0).
_READ_CHUNK = 1 << 20


def open_binary(path: Path) -> io.BufferedIOBase:
    if path.suffix == ".gz":
        return io.BufferedReader(gzip.GzipFile(path, "rb"), buffer_size=_READ_CHUNK)  # type: ignore[arg-type]
    return path.open("rb")


def open_csv(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")
