"""The remembered-state file: round trip, atomic replace, and one warning line (never a crash) for bad files."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from cryptoterm.adapters.ui_state import JsonUiStateFile
from cryptoterm.ports.ui_state import SortOrder, UiState

STATE = UiState(
    watchlist=["BTC/USDT", "SOL/USDT"],
    strategies={"trend": False},
    sort={"setups": SortOrder("rr", True)},
    timeframes={"dashboard": "1h"},
)


def test_round_trip(tmp_path: Path) -> None:
    store = JsonUiStateFile(tmp_path / "sub" / "cryptoterm.ui.json")
    store.save(STATE)
    assert store.load() == STATE
    assert json.loads((tmp_path / "sub" / "cryptoterm.ui.json").read_text())["version"] == 1


def test_a_missing_file_is_the_defaults_without_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert JsonUiStateFile(tmp_path / "none.json").load() == UiState()
    assert caplog.records == []


def test_a_failed_write_keeps_the_previous_state_and_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "cryptoterm.ui.json"
    store = JsonUiStateFile(path)
    store.save(STATE)

    def full_disk(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    store.save(UiState(watchlist=["ETH/USDT"]))
    assert store.load() == STATE
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    (record,) = caplog.records
    assert record.levelno == logging.WARNING and str(path) in record.getMessage()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"version": 1, "watchlist": [', "line 1: not valid JSON"),
        ('{"version": 7}', "version: expected 1, got 7"),
        ('{"version": 1, "watchlist": "BTC/USDT"}', "watchlist: expected a list of symbols"),
        ('{"version": 1, "strategies": {"trend": "off"}}', "strategies: expected true / false"),
        ('{"version": 1, "sort": {"setups": 3}}', "sort.setups: expected a column"),
        ("[1, 2]", "expected a JSON object"),
    ],
)
def test_a_corrupt_file_is_one_warning_line_and_the_defaults(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, text: str, expected: str
) -> None:
    path = tmp_path / "cryptoterm.ui.json"
    path.write_text(text)
    with caplog.at_level(logging.WARNING):
        assert JsonUiStateFile(path).load() == UiState()
    (record,) = caplog.records
    message = record.getMessage()
    assert str(path) in message and expected in message and "using the defaults" in message
    assert "\n" not in message


def test_an_unreadable_file_is_one_warning_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "cryptoterm.ui.json"
    path.mkdir()  # a directory where the file should be: reading fails with an OSError
    assert JsonUiStateFile(path).load() == UiState()
    (record,) = caplog.records
    assert str(path) in record.getMessage() and "cannot read" in record.getMessage()
    path.rmdir()
    path.write_bytes(b"\xff\xfe\x00garbage")
    caplog.clear()
    assert JsonUiStateFile(path).load() == UiState()
    assert len(caplog.records) == 1
