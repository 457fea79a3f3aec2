"""Alerts through `cryptoterm --headless --replay` on real recorded Binance trades, delivered by apprise's
`json://` plugin to a loopback receiver: a crossing fires once within its cooldown, a rule that never holds sends
nothing, a one-time rule fires once ever (a second replay over the same database sends it no more, and the cooldown,
kept in the database in market time, still holds), and every
firing is stored with its delivery attempts."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.loopback.notify_receiver import NotifyReceiver
from tests.waiting import GUARD_S

RECORDING = "ws/hftbacktest_binance-spot_btcusdt_2024-08-08.jsonl.gz"


def _config(rx: NotifyReceiver) -> str:
    return f"""
[notify]
urls = ["{rx.json_url("/desk")}", "{rx.json_url("/phone")}#telegram"]
retries = 1
retry_backoff_s = 0.0

[[alert]]
name = "dip-cooldown"
symbol = "BTC/USDT"
when = "price crosses_below 61700"
cooldown = "10m"

[[alert]]
name = "dip-every"
symbol = "BTC/USDT"
when = "price crosses_below 61700"
tags = ["telegram"]
message = "{{name}} {{symbol}} {{price}} < {{level}}"

[[alert]]
name = "never"
symbol = "BTC/USDT"
when = "price above 1000000"

[[alert]]
name = "first-cross"
symbol = "BTC/USDT"
when = "price crosses 61700"
once = true
"""


async def _replay(recording: Path, config: Path, db: Path) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cryptoterm",
        "--headless",
        "--replay",
        str(recording),
        "--speed",
        "0",
        "--config",
        str(config),
        "--db",
        str(db),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), GUARD_S)
    return int(proc.returncode or 0), err.decode()


@pytest.mark.slow
async def test_alert_rules_on_a_real_replay_reach_a_loopback_receiver(tmp_path: Path, shared_data: Path) -> None:
    recording = shared_data / RECORDING
    db = tmp_path / "alerts.db"
    async with NotifyReceiver() as rx:
        config = tmp_path / "config.toml"
        config.write_text(_config(rx))
        code, err = await _replay(recording, config, db)
        assert code == 0, err
        assert "Traceback" not in err
        titles = [(r.path, r.body["title"]) for r in rx.received]
        desk = [title for path, title in titles if path == "/desk"]
        phone = [r.body["message"] for r in rx.received if r.path == "/phone"]
        # The 9,757 trades cross 61,700 downwards four times within six minutes: once with a 10m cooldown.
        assert desk.count("Alert dip-cooldown · BTC/USDT") == 1
        assert len(phone) == 4 and all(m.startswith("dip-every BTC/USDT 61,69") for m in phone)
        assert all(m.endswith("< 61,700.00") for m in phone)
        assert not any("never" in title for _, title in titles)
        assert desk.count("Alert first-cross · BTC/USDT") == 1

        rx.received.clear()
        code, err = await _replay(recording, config, db)  # the same session again, over the same database
        assert code == 0, err
        again = [r.body["title"] for r in rx.received if r.path == "/desk"]
        assert "Alert first-cross · BTC/USDT" not in again  # once ever, across runs
        # The cooldown counts market time and is kept in the database: the same crossings are still within it.
        assert "Alert dip-cooldown · BTC/USDT" not in again
        assert len([r for r in rx.received if r.path == "/phone"]) == 4

    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT alert_name, status, attempts FROM alert_events WHERE NOT test ORDER BY id"
        ).fetchall()
        fired = dict(conn.execute("SELECT name, fired FROM alerts").fetchall())
        attempts = conn.execute("SELECT count(*), sum(delivered) FROM alert_deliveries").fetchone()
    assert fired == {"dip-cooldown": 1, "dip-every": 8, "never": 0, "first-cross": 1}
    assert {status for _, status, _ in rows} == {"delivered"} and all(n == 1 for _, _, n in rows)
    assert attempts == (len(rows), len(rows))
