"""Building a replay refuses a file that is not a recording with one line, before a database is opened."""

from __future__ import annotations

from pathlib import Path

import pytest

from cryptoterm.config import AppConfig
from cryptoterm.wiring import StartupError
from cryptoterm.wiring.build import build_engine
from cryptoterm.wiring.options import RunOptions


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\x01garbage\xff" * 100, ":1: not a recorded message"),
        (b'{"time": 1, "price": 2}\n' * 10, ":1: not a recorded message (Object missing required field `msg`)"),
        (b'{"recv_time_ns": 1, "msg": [1, 2, 3]}\n' * 10, ": not a market-data recording"),
    ],
)
def test_a_file_that_is_not_a_recording_is_a_startup_error(tmp_path: Path, content: bytes, message: str) -> None:
    recording = tmp_path / "session.jsonl"
    recording.write_bytes(content)
    db = tmp_path / "replay.db"
    options = RunOptions(mode="replay", replay_path=str(recording), db_path=str(db))
    with pytest.raises(StartupError) as info:
        build_engine(AppConfig(), options)
    assert str(info.value).startswith(f"{recording}{message}")
    assert not db.exists()


def test_a_missing_replay_file_is_still_named(tmp_path: Path) -> None:
    options = RunOptions(mode="replay", replay_path=str(tmp_path / "gone.jsonl"), db_path=str(tmp_path / "r.db"))
    with pytest.raises(StartupError, match=r"gone\.jsonl: replay file not found"):
        build_engine(AppConfig(), options)
