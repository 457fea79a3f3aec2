"""The allocator settings of a long-running process (the TUI and `--headless`), so its memory stays flat.

glibc serves a large request (128 KiB and up) with its own mapping and returns it to the system when freed — but
after such a block is freed it raises that threshold to the block's size, so from then on blocks of a few MB (the
demo's per-minute arrays, a ticker window, a scan's frames) come from the heap, where fragmentation keeps the
freed pages resident. Over a day the process grows without holding more data. Fixing the threshold keeps large
blocks mapped and returned, and a fixed trim threshold hands the heap's free top back as it frees; the same demo
run grew 3.9 MiB instead of 9.1 in four minutes.

Two more knobs for the same reason. Every thread that allocates gets an arena of its own (up to eight per core),
and each keeps the pages its frees leave behind: the scanner's and the store's worker threads would each hold a
high-water mark of their own, so the arenas are capped at two. And freed pages inside the heap — not at its top —
stay resident until `malloc_trim` hands them back, so a daemon thread trims once every `TRIM_EVERY_S` (a few
milliseconds of work).

Only glibc has these knobs (`mallopt`, `malloc_trim`); elsewhere, or if the C library cannot be loaded, nothing
changes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import platform
import threading
import time

log = logging.getLogger(__name__)

#: mallopt parameters (glibc's malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
#: malloc arenas at most (the main one and one shared by every other thread).
ARENA_MAX = 2
#: Seconds between trims of the heap's free pages.
TRIM_EVERY_S = 60.0
#: Blocks from this size are mapped on their own and unmapped when freed.
MMAP_THRESHOLD_BYTES = 128 * 1024
#: Free memory at the heap's top beyond this goes back to the system.
TRIM_THRESHOLD_BYTES = 1024 * 1024


_trimmer: threading.Thread | None = None


def keep_memory_flat() -> bool:
    """Apply the settings above and start the trimming thread (once); True when the C library took them."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    mapped = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
    trimmed = mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1
    capped = mallopt(M_ARENA_MAX, ARENA_MAX) == 1
    taken = bool(mapped and trimmed and capped)
    if not taken:
        log.debug("mallopt refused the memory settings")
        return False
    _start_trimming(libc)
    return True


def _start_trimming(libc: ctypes.CDLL) -> None:
    global _trimmer
    if _trimmer is not None:
        return
    trim = libc.malloc_trim
    trim.argtypes = (ctypes.c_size_t,)
    trim.restype = ctypes.c_int

    def run() -> None:
        while True:
            time.sleep(TRIM_EVERY_S)
            trim(0)

    _trimmer = threading.Thread(target=run, name="memory-trim", daemon=True)
    _trimmer.start()


def trimming() -> bool:
    """Whether the trimming thread runs in this process."""
    return _trimmer is not None and _trimmer.is_alive()
