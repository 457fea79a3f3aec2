"""A directory nothing can be created in, for tests of read-only data directories.

A directory with mode 0o555 is read-only for a normal user; root ignores permission bits (CI runs as root), so
there the kernel's own read-only sysfs serves instead. Either way the directory is probed first, and a test
that needs one is skipped with the reason when no such directory exists here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

_SYSFS = Path("/sys")


def _refuses_new_files(directory: Path) -> bool:
    probe = directory / f".cryptoterm-probe-{os.getpid()}"
    try:
        probe.touch()
    except OSError:
        return True
    probe.unlink()
    return False


@contextmanager
def unwritable_directory(tmp_path: Path) -> Iterator[Path]:
    """A directory in which creating a file fails with a permission error (restored afterwards)."""
    candidate = tmp_path / "read-only"
    candidate.mkdir()
    candidate.chmod(0o555)
    try:
        if _refuses_new_files(candidate):
            yield candidate
        elif _SYSFS.is_dir() and _refuses_new_files(_SYSFS):
            yield _SYSFS
        else:
            pytest.skip("no directory here refuses new files (running as root without a read-only sysfs)")
    finally:
        candidate.chmod(0o755)
