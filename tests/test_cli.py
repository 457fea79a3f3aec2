"""The command line: exit codes and one-line errors, never a traceback."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from cryptoterm.cli import EXIT_USAGE, main


def test_broken_config_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[scanner]\ninterval_s = "ten"\n', encoding="utf-8")
    assert main(["--config", str(cfg), "doctor"]) == EXIT_USAGE
    err = capsys.readouterr().err.strip()
    assert err == 'cryptoterm: bad.toml: [scanner].interval_s: expected a number, got "ten"'


def test_missing_config_file_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(tmp_path / "nope.toml"), "doctor"]) == EXIT_USAGE
    assert "config file not found" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["--strategy", "x"],
        ["--offline"],
        ["--scan-once", "download", "--symbols", "BTC/USDT"],
        ["--demo", "--replay", "x.jsonl"],
        ["--speed", "-1"],
        ["--scan-once", "--offline", "--demo"],
    ],
)
def test_bad_flag_combinations_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == EXIT_USAGE
    assert "error:" in capsys.readouterr().err


def test_doctor_reports_paths_and_checks_the_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "x.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 1")
    cfg = tmp_path / "c.toml"
    cfg.write_text('[exchange]\napi_key = "SECRET-KEY-123"\n', encoding="utf-8")
    assert main(["--config", str(cfg), "--db", str(db), "doctor", "--json"]) == 0
    out = capsys.readouterr().out
    report = json.loads(out)
    assert report["database"] == str(db)
    assert report["database_status"].startswith("schema v1, integrity ok")
    assert report["api_key"] == "set"
    assert "SECRET-KEY-123" not in out


def test_doctor_flags_a_corrupt_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "broken.db"
    db.write_bytes(b"this is not sqlite" * 100)
    assert main(["--db", str(db), "doctor"]) == 1
    assert "cannot open" in capsys.readouterr().out
