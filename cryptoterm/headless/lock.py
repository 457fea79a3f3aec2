"""An exclusive lock file beside the database, so overlapping cron runs of `--scan-once` are safe.

`cryptoterm.db` gets `cryptoterm.db.scan.lock`. The lock is `fcntl.flock(LOCK_EX)` on that file: the kernel
releases it when the process exits however it exits (crash, SIGKILL), so a stale lock can never block the
next run. The holder writes its PID into the file so the refusal message can name it.

Policy: a second run does not wait by default: it exits with a clear message and exit code 1 (the next cron
tick scans again, and stacking up waiting runs would only scan the same bar twice). `wait_s` lets a caller wait
for the lock up to that many seconds instead.

A lock file that cannot be created at all (a read-only data directory, a database path under a file) is
`LockUnavailable`, a `StartupError`: the database beside it could not be used either, so it is reported the same
way, as one line naming the path and exit code 2.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from types import TracebackType
from typing import Final

from cryptoterm.wiring.errors import StartupError

LOCK_SUFFIX: Final = ".scan.lock"
_POLL_S: Final = 0.05


class LockBusy(Exception):
    """Another process holds the lock; the message names the lock file and, when known, its PID."""


class LockUnavailable(StartupError):
    """The lock file cannot be created or opened; the message names it and says why, in one line."""


def lock_path_for(db_path: str | Path) -> Path:
    """The lock file that guards scans of the database at `db_path`."""
    path = Path(db_path).expanduser()
    return path.with_name(path.name + LOCK_SUFFIX)


class ScanLock:
    """`with ScanLock(path):` holds the exclusive lock for the block; raises LockBusy when it cannot."""

    def __init__(self, path: str | Path, *, wait_s: float = 0.0) -> None:
        self.path = Path(path)
        self.wait_s = max(0.0, wait_s)
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = self._open()
        deadline = time.monotonic() + self.wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_pid(fd)
                    os.close(fd)
                    who = f" by pid {holder}" if holder else ""
                    raise LockBusy(f"another scan is running (lock {self.path} is held{who})") from None
                time.sleep(_POLL_S)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def _open(self) -> int:
        """The lock file's descriptor, creating the file and its directories; `LockUnavailable` if impossible."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except (FileExistsError, NotADirectoryError):
            blocker = _file_in_the_way(self.path.parent)
            reason = f"{blocker} is a file, not a directory" if blocker else "a parent is not a directory"
        except IsADirectoryError:
            reason = "a directory has that name"
        except PermissionError:
            reason = f"no permission to write in {_nearest_existing(self.path.parent)}"
        except OSError as exc:
            reason = exc.strerror or str(exc)
        raise LockUnavailable(f"cannot create the scan lock {self.path}: {reason}")

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> ScanLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def _nearest_existing(directory: Path) -> Path:
    while not directory.exists() and directory != directory.parent:
        directory = directory.parent
    return directory


def _file_in_the_way(directory: Path) -> Path | None:
    """The existing non-directory among `directory` and its parents (what made mkdir fail), if any."""
    existing = _nearest_existing(directory)
    return None if existing.is_dir() else existing


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
