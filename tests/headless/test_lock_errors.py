"""A scan lock that cannot be created is one line naming the lock file and why, as a StartupError (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cryptoterm.headless.lock import LockUnavailable, ScanLock, lock_path_for
from cryptoterm.wiring.errors import StartupError
from tests.unwritable import unwritable_directory


def _refusal(path: Path) -> str:
    with pytest.raises(LockUnavailable) as info:
        ScanLock(path).acquire()
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


def test_a_lock_under_a_file_names_the_file_in_the_way(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a plain file where the data directory should be")
    assert _refusal(lock_path_for(blocker / "cryptoterm.db")).endswith(f"{blocker} is a file, not a directory")
    deeper = lock_path_for(blocker / "sub" / "dir" / "cryptoterm.db")
    assert _refusal(deeper).endswith(f"{blocker} is a file, not a directory")


def test_a_lock_in_a_read_only_directory_says_so(tmp_path: Path) -> None:
    with unwritable_directory(tmp_path) as read_only:
        assert _refusal(lock_path_for(read_only / "cryptoterm.db")).endswith(f"no permission to write in {read_only}")


def test_a_directory_where_the_lock_file_goes_is_named(tmp_path: Path) -> None:
    path = lock_path_for(tmp_path / "cryptoterm.db")
    path.mkdir()
    assert _refusal(path).endswith("a directory has that name")


def test_an_unavailable_lock_is_a_startup_error_and_holds_nothing(tmp_path: Path) -> None:
    lock = ScanLock(tmp_path / "file" / "x.lock")
    (tmp_path / "file").write_text("")
    with pytest.raises(StartupError):
        lock.acquire()
    assert not lock.held
    with ScanLock(tmp_path / "ok" / "x.lock") as held:  # a usable place still works, directories created
        assert held.held
