"""Database paths that cannot work are refused with one line naming the path, before anything is created."""

from __future__ import annotations

from pathlib import Path

import pytest

from cryptoterm.adapters.store.database import StoreError, check_database_path, open_database
from tests.unwritable import unwritable_directory


def _refusal(path: Path) -> str:
    with pytest.raises(StoreError) as info:
        check_database_path(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}: ")
    return message


def test_a_path_under_a_file_names_the_file_and_creates_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("")
    target = blocker / "deep" / "er" / "c.db"
    assert _refusal(target).endswith(f"cannot create the database here: {blocker} is a file, not a directory")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_a_read_only_directory_is_refused_before_sqlite_tries(tmp_path: Path) -> None:
    with unwritable_directory(tmp_path) as read_only:
        target = read_only / "c.db"
        if read_only == Path("/sys"):  # root: permission bits pass, only SQLite's own attempt can tell
            with pytest.raises(StoreError, match=r"/sys/c\.db: cannot open database"):
                open_database(target)
            return
        assert _refusal(target).endswith(f"no permission to write in {read_only}")
        with pytest.raises(StoreError, match="no permission to write"):
            open_database(target)


def test_a_usable_path_passes_and_is_not_created(tmp_path: Path) -> None:
    target = tmp_path / "new" / "c.db"
    assert check_database_path(target) == target
    assert not (tmp_path / "new").exists()
    open_database(target).conn.close()
    assert check_database_path(target) == target
