"""Bad input, as a user meets it: the real `cryptoterm` process, its exit code and its stderr.

Every case is one clear line on stderr (naming the file, key, path or value), never a traceback, with the
documented exit code: 2 for bad usage or configuration, 1 when `doctor` finds a problem. Nothing here may reach
a network: configs point the exchange at a closed loopback port, so even a regression could not leave the machine.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT
from tests.unwritable import unwritable_directory

#: A hang guard for one process (start-up imports included), not a speed expectation.
PROCESS_LIMIT_S = 180
#: The exchange lives at a loopback port nothing listens on (port 9, discard).
OFFLINE_EXCHANGE = '[exchange]\nrest_url = "http://127.0.0.1:9"\nws_url = "ws://127.0.0.1:9"\n'
_ANSI = re.compile(r"\x1b(?:\[[0-9;?<>=]*[ -/]*[@-~]|[@-Z\\-_])")


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        """Non-empty stderr lines, terminal control sequences removed (the TUI draws on stderr)."""
        return [line.strip() for line in _ANSI.sub("", self.err).splitlines() if line.strip()]


def cryptoterm(tmp_path: Path, *argv: str) -> Result:
    """Run `python -m cryptoterm argv` in `tmp_path` with a private home (no user config, no user data)."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRYPTOTERM_", "XDG_"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        PYTHONPATH=str(PROJECT_ROOT),
        COLUMNS="400",  # the TUI's exit message is printed by rich, which wraps at the terminal width
        LINES="50",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "cryptoterm", *argv],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=PROCESS_LIMIT_S,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def one_line(result: Result, code: int) -> str:
    """The single stderr line of a failed command, after checking the exit code and that nothing else printed."""
    assert "Traceback" not in result.err, result.err
    assert result.code == code, result.err
    assert len(result.lines) == 1, result.err
    return result.lines[0]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ----------------------------------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[demo]\nhistory_days = 100000000\n", "[demo].history_days: expected an integer from 1 to 180, got 100000000"),
        ("[ui]\nema_period = 0\n", "[ui].ema_period: expected an integer from 2 to 500, got 0"),
        ("[store]\nbatch_ms = -1\n", "[store].batch_ms: expected an integer from 0 to 10000, got -1"),
        ("[demo]\nsymbols = 999\n", "[demo].symbols: expected an integer from 1 to 20, got 999"),
        ("[scanner]\naccount_equity = nan\n", "[scanner].account_equity: expected a number from 1 to 1e12, got nan"),
        ("[scanner]\nhistory_bars = 1e26\n", "[scanner].history_bars: expected an integer from 10 to 50000, got 1e+26"),
        ("[scanner]\nlookback_bars = -3\n", "[scanner].lookback_bars: expected an integer from 0 to 10000, got -3"),
    ],
)
def test_out_of_range_config_values_are_one_line_naming_file_key_and_range(
    tmp_path: Path, toml: str, message: str
) -> None:
    write(tmp_path, "config.toml", toml)
    assert (
        one_line(cryptoterm(tmp_path, "--config", "config.toml", "doctor"), 2) == f"cryptoterm: config.toml: {message}"
    )


@pytest.mark.parametrize(
    ("toml", "secret"),
    [
        ('[notify]\nurls = "tgram://123456789:AAfakeBotTokenXYZ/-1001234567890"\n', "AAfakeBotTokenXYZ"),
        ("[exchange]\napi_key = 73519842671\n", "73519842671"),
        ('[exchange]\nmarket = "https://trader:s3cretPass@proxy.example"\n', "s3cretPass"),
    ],
)
def test_config_errors_never_print_secrets(tmp_path: Path, toml: str, secret: str) -> None:
    write(tmp_path, "config.toml", toml)
    result = cryptoterm(tmp_path, "--config", "config.toml", "doctor")
    line = one_line(result, 2)
    assert line.startswith("cryptoterm: config.toml: [") and "(not shown: it may hold a secret)" in line
    assert secret not in result.err + result.out


def test_a_too_deeply_nested_strategy_term_names_the_strategy_and_term(tmp_path: Path) -> None:
    term = "(" * 110 + "close" + ")" * 110 + " > 1"
    write(tmp_path, "config.toml", f'{OFFLINE_EXCHANGE}[[strategy]]\nname = "deep"\nwhen = ["close > 0", "{term}"]\n')
    result = cryptoterm(tmp_path, "--config", "config.toml", "--scan-once", "--offline", "--db", "s.db")
    assert "Traceback" not in result.err and "RecursionError" not in result.err
    assert result.code == 2
    # The scan session also logs the compile error it records; the last line is the command's own verdict.
    assert result.lines[-1].startswith(
        'cryptoterm --scan-once: config.toml: strategy "deep", when[1]: expression nests more than 32 levels deep'
    )


# ------------------------------------------------------------------------------------------------------ paths


def test_scan_once_with_a_database_under_a_file_is_one_line(tmp_path: Path) -> None:
    write(tmp_path, "config.toml", f'{OFFLINE_EXCHANGE}[[strategy]]\nname = "s"\nwhen = ["close > 0"]\n')
    write(tmp_path, "data", "a plain file where a directory should be")
    result = cryptoterm(tmp_path, "--config", "config.toml", "--scan-once", "--offline", "--db", "data/x.db")
    line = one_line(result, 2)
    assert line.startswith("cryptoterm --scan-once: cannot create the scan lock ")
    assert line.endswith("data is a file, not a directory")


def test_scan_once_in_a_read_only_data_directory_is_one_line(tmp_path: Path) -> None:
    write(tmp_path, "config.toml", f'{OFFLINE_EXCHANGE}[[strategy]]\nname = "s"\nwhen = ["close > 0"]\n')
    with unwritable_directory(tmp_path) as read_only:
        db = read_only / "cryptoterm-test.db"
        line = one_line(cryptoterm(tmp_path, "--config", "config.toml", "--scan-once", "--offline", "--db", str(db)), 2)
    assert (
        line
        == f"cryptoterm --scan-once: cannot create the scan lock {db}.scan.lock: no permission to write in {read_only}"
    )


def test_download_with_a_database_under_a_file_is_one_line_before_any_network(tmp_path: Path) -> None:
    write(tmp_path, "config.toml", OFFLINE_EXCHANGE)
    write(tmp_path, "data", "")
    argv = ("--config", "config.toml", "download", "--symbols", "BTC/USDT", "--db", "data/x.db")
    line = one_line(cryptoterm(tmp_path, *argv), 2)
    assert line == "cryptoterm download: data/x.db: cannot create the database here: data is a file, not a directory"


def test_the_tui_with_a_database_under_a_file_exits_2_with_one_line(tmp_path: Path) -> None:
    write(tmp_path, "data", "")
    result = cryptoterm(tmp_path, "--demo", "--db", "data/x.db")
    assert "Traceback" not in result.err and result.code == 2
    assert result.lines[-1].endswith(
        "cryptoterm: data/x.db: cannot create the database here: data is a file, not a directory"
    )


# ----------------------------------------------------------------------------------------------------- doctor


def test_doctor_takes_global_options_after_the_command(tmp_path: Path) -> None:
    write(tmp_path, "c.toml", '[exchange]\nid = "kraken"\n')
    result = cryptoterm(tmp_path, "doctor", "--config", "c.toml", "--db", "fresh.db", "--json")
    assert result.code == 0, result.err
    assert '"exchange": "kraken"' in result.out and '"database": "fresh.db"' in result.out
    assert result.err == ""


def test_doctor_exits_1_on_acorrupt_database(tmp_path: Path) -> None:
    from tests.test_cli import corrupt_database

    corrupt_database(tmp_path / "broken.db")
    line = one_line(cryptoterm(tmp_path, "doctor", "--db", "broken.db"), 1)
    assert line.startswith("cryptoterm doctor: broken.db: the database is corrupt (integrity check: ")


def test_doctor_exits_1_on_a_schema_from_a_newer_version(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "future.db") as conn:
        conn.execute("PRAGMA user_version = 9999")
    conn.close()
    line = one_line(cryptoterm(tmp_path, "doctor", "--db", "future.db"), 1)
    assert line.startswith("cryptoterm doctor: future.db: database schema v9999 was written by a newer cryptoterm")


# --------------------------------------------------------------------------------------------------- download


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--exchange", "nosuchex"), "cryptoterm download: --exchange: unknown exchange 'nosuchex'"),
        (("--timeframes", "7m"), "cryptoterm download: --timeframes: '7m' is not a timeframe cryptoterm keeps"),
        (("--symbols", "BTCUSDT"), "cryptoterm download: --symbols: 'BTCUSDT' is not a unified symbol"),
    ],
)
def test_download_refuses_bad_arguments_before_the_network(tmp_path: Path, argv: tuple[str, ...], message: str) -> None:
    write(tmp_path, "config.toml", OFFLINE_EXCHANGE)
    result = cryptoterm(tmp_path, "--config", "config.toml", "--db", "d.db", "download", *argv)
    assert one_line(result, 2).startswith(message)
    assert not (tmp_path / "d.db").exists()


# ----------------------------------------------------------------------------------------------------- replay


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (bytes(range(256)) * 40, "session.jsonl:1: not a recorded message (JSON is malformed"),
        (b'{"ts": 1, "price": 2}\n' * 20, "session.jsonl:1: not a recorded message (Object missing required field"),
        (b'{"recv_time_ns": 1, "msg": {"x": 1}}\n' * 20, "session.jsonl: not a market-data recording"),
    ],
)
def test_a_bad_replay_file_is_one_line_and_exit_2(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "session.jsonl").write_bytes(content)
    result = cryptoterm(tmp_path, "--replay", "session.jsonl", "--db", "r.db")
    assert "Traceback" not in result.err and result.code == 2
    assert result.lines[-1].startswith(f"cryptoterm: {message}")


def test_a_missing_replay_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = cryptoterm(tmp_path, "--replay", "nope.jsonl", "--db", "r.db")
    assert "Traceback" not in result.err and result.code == 2
    assert result.lines[-1].endswith("cryptoterm: nope.jsonl: replay file not found")
