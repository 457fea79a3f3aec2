"""`cryptoterm alerts list | add | remove | test` as scripts use them: rules checked as the TUI's form checks
them (one line naming the rule and the field, exit 2), config rules listed beside stored ones and protected,
`test` delivered through apprise to a loopback receiver with every attempt stored, `--json` everywhere."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from pathlib import Path

import pytest

from cryptoterm.cli import main
from tests.loopback.notify_receiver import NotifyReceiver
from tests.waiting import GUARD_S

ISSUE_EXAMPLE = """
[[alert]]
name = "eth-dip"
symbol = "ETH/USDT"
when = "price crosses_below 2675"
cooldown = "10m"
tags = ["telegram"]
"""


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_add_list_remove(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text(ISSUE_EXAMPLE)
    base = ("--config", str(config), "--db", str(tmp_path / "a.db"))
    code, out, _ = cli(capsys, "alerts", "add", "btc-oversold", "--symbol", "BTC/USDT", "--when", "rsi(14) @4h < 25",
                       "--once", "--tags", "desk,phone", "--json", *base)  # fmt: skip
    assert code == 0
    added = json.loads(out)
    assert (added["timeframe"], added["once"], added["tags"], added["origin"]) == (
        "4h",
        True,
        ["desk", "phone"],
        "user",
    )
    code, out, _ = cli(capsys, "alerts", "list", "--json", *base)
    listed = json.loads(out)
    assert [(r["name"], r["origin"]) for r in listed["rules"]] == [("eth-dip", "config"), ("btc-oversold", "user")]
    eth = listed["rules"][0]
    assert (eth["cooldown"], eth["tags"], eth["when"]) == ("10m", ["telegram"], "price crosses_below 2675")
    code, out, _ = cli(capsys, "alerts", "list", *base)
    assert code == 0 and "eth-dip" in out and "[config]" in out and "never fired" in out
    code, _, err = cli(capsys, "alerts", "remove", "eth-dip", *base)
    assert (
        code == 2
        and err.strip() == 'cryptoterm alerts remove: alert "eth-dip" is defined in the config file; remove it there'
    )
    code, out, _ = cli(capsys, "alerts", "remove", "btc-oversold", *base)
    assert code == 0 and "removed" in out
    code, _, err = cli(capsys, "alerts", "remove", "btc-oversold", *base)
    assert code == 2 and "no alert named" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("--symbol", "ETH/USDT", "--when", "price crosses_belw 2675"),
            'alert "x", when: "price crosses_belw 2675": unknown comparison',
        ),
        (
            ("--symbol", "ETH/USDT", "--when", "rsi(14) < emma(2)"),
            'alert "x", when: unknown indicator "emma" (did you mean "ema"?)',
        ),
        (("--when", "price above 5"), 'alert "x", symbol: a price alert needs a symbol'),
        (
            ("--symbol", "ETH/USDT", "--when", "price above 5", "--cooldown", "soon"),
            'alert "x", cooldown: cooldown "soon"',
        ),
    ],
)
def test_a_bad_rule_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    code, out, err = cli(capsys, "alerts", "add", "x", *argv, "--db", str(tmp_path / "a.db"))
    assert code == 2 and out == ""
    assert err.startswith("cryptoterm alerts add: ") and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_bad_config_rule_names_the_file_and_the_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text(ISSUE_EXAMPLE.replace("2675", "-2675"))
    code, _, err = cli(capsys, "alerts", "list", "--config", str(config), "--db", str(tmp_path / "a.db"))
    assert code == 2
    assert err.strip() == (
        'cryptoterm alerts: config.toml: [[alert]] #1: alert "eth-dip", when: "price crosses_below -2675": '
        "a price level must be above 0, got -2675"
    )


async def _cli_process(*argv: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cryptoterm", *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), GUARD_S)
    return int(proc.returncode or 0), out.decode(), err.decode()


async def test_test_fire_reaches_the_tagged_url_with_every_attempt_stored(tmp_path: Path) -> None:
    async with NotifyReceiver() as rx:
        config = tmp_path / "config.toml"
        urls = f'["{rx.json_url("/desk")}", "{rx.json_url("/phone")}#telegram"]'
        config.write_text(f"[notify]\nurls = {urls}\nretries = 2\nretry_backoff_s = 0.0\n{ISSUE_EXAMPLE}")
        db = tmp_path / "a.db"
        rx.fail_next(1)
        code, out, err = await _cli_process(
            "alerts", "test", "eth-dip", "--json", "--config", str(config), "--db", str(db)
        )
        assert code == 0, err
        event = json.loads(out)
        assert (event["status"], event["attempts"], event["test"]) == ("delivered", 2, True)
        assert [r.path for r in rx.received] == ["/phone", "/phone"]  # tagged telegram: not the untagged desk URL
        assert rx.received[-1].body["title"] == "Test · Alert eth-dip · ETH/USDT"
        rx.fail_next(3)
        code, out, _ = await _cli_process("alerts", "test", "eth-dip", "--config", str(config), "--db", str(db))
        assert code == 1 and "test message failed (3 attempts)" in out
    with sqlite3.connect(db) as conn:
        deliveries = conn.execute("SELECT attempt, delivered FROM alert_deliveries ORDER BY id").fetchall()
        fired = conn.execute("SELECT fired FROM alerts WHERE name = 'eth-dip'").fetchone()
    assert deliveries == [(1, 0), (2, 1), (1, 0), (2, 0), (3, 0)]
    assert fired == (0,)  # test firings leave the rule's state alone
