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
    assert err == 'cryptoterm: bad.toml: [scanner].interval_s: expected a number from 0 to 86400, got "ten"'


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


def test_doctor_flags_acorrupt_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "broken.db"
    db.write_bytes(b"this is not sqlite" * 100)
    assert main(["--db", str(db), "doctor"]) == 1
    assert "cannot open" in capsys.readouterr().out


def corrupt_database(path: Path) -> None:
    """A SQLite file that opens but fails its integrity check: rows of an index page overwritten."""
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)")
        conn.execute("CREATE INDEX t_b ON t (b)")
        conn.executemany("INSERT INTO t (b) VALUES (?)", [(f"row{i:06d}" * 5,) for i in range(20_000)])
    conn.close()
    data = bytearray(path.read_bytes())
    pages = len(data) // 4096
    for page in range(pages - 20, pages - 10):
        data[page * 4096 + 200 : page * 4096 + 250] = bytes(50)
    path.write_bytes(bytes(data))


def test_doctor_fails_on_a_database_that_fails_its_integrity_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "corrupt.db"
    corrupt_database(db)
    assert main(["--db", str(db), "doctor", "--json"]) == 1
    captured = capsys.readouterr()
    assert "integrity FAILED" in json.loads(captured.out)["database_status"]
    (line,) = captured.err.strip().splitlines()
    assert line.startswith(f"cryptoterm doctor: {db}: the database is corrupt (integrity check: ")


def test_doctor_fails_on_a_schema_from_a_newer_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cryptoterm.adapters.store.migrations import SCHEMA_VERSION

    db = tmp_path / "future.db"
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    assert main(["--db", str(db), "doctor"]) == 1
    captured = capsys.readouterr()
    assert f"schema v{SCHEMA_VERSION + 1} (newer than this cryptoterm's v{SCHEMA_VERSION})" in captured.out
    (line,) = captured.err.strip().splitlines()
    assert "written by a newer cryptoterm" in line and str(db) in line


def test_doctor_on_a_healthy_database_exits_0_and_says_nothing_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cryptoterm.adapters.store import SqliteStore

    db = tmp_path / "ok.db"
    SqliteStore(db, batch_ms=0).close()
    assert main(["--db", str(db), "doctor"]) == 0
    captured = capsys.readouterr()
    assert "integrity ok" in captured.out
    assert captured.err == ""


@pytest.mark.parametrize(
    "argv",
    [
        ["--config", "{cfg}", "--db", "{db}", "doctor", "--json"],
        ["doctor", "--config", "{cfg}", "--db", "{db}", "--json"],
        ["--config", "{cfg}", "doctor", "--json", "--db", "{db}"],
        ["doctor", "--json", "--db", "{db}", "--config", "{cfg}"],
    ],
)
def test_global_options_work_before_or_after_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[exchange]\nid = "kraken"\n', encoding="utf-8")
    db = tmp_path / "x.db"
    assert main([a.format(cfg=cfg, db=db) for a in argv]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["config_file"], report["database"], report["exchange"]) == (str(cfg), str(db), "kraken")


def test_a_global_option_after_the_command_does_not_reset_one_given_before(tmp_path: Path) -> None:
    from cryptoterm.cli import build_parser

    args = build_parser().parse_args(["--db", "a.db", "--demo", "doctor", "--config", "c.toml"])
    assert (args.db, args.demo, args.config, args.speed) == ("a.db", True, "c.toml", 1.0)
    args = build_parser().parse_args(["download", "--speed", "3", "--verbose", "--symbols", "BTC/USDT"])
    assert (args.speed, args.verbose, args.symbols) == (3.0, True, "BTC/USDT")


def test_demo_and_replay_on_both_sides_of_a_command_are_still_exclusive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--demo", "doctor", "--replay", "x.jsonl"])
    assert exit_info.value.code == EXIT_USAGE
    assert "not allowed with argument --demo" in capsys.readouterr().err
