"""`cryptoterm backtest`: the JSON a script reads, the stored run, and the exit codes."""

from __future__ import annotations

import json
import sqlite3
import textwrap
from pathlib import Path

import pytest

from cryptoterm.adapters.store.sqlite_store import SqliteStore
from cryptoterm.cli import main
from tests.services.test_scanner_data import seed

CONFIG = """
    [backtest]
    fee_bps = 10.0
    sizing = "equity_pct"
    fill = "next_open"

    [[strategy]]
    name = "sma-cross"
    enabled = false
    universe = { symbols = ["BTC/USDT", "ETH/USDT"] }
    when = ["sma({fast}) crosses_above sma({slow})"]
    exit = ["sma({fast}) crosses_below sma({slow})"]
    params = { fast = 10, slow = 50 }
"""


@pytest.fixture
def setup(tmp_path: Path, shared_data: Path) -> tuple[Path, Path]:
    db = tmp_path / "bt.db"
    with SqliteStore(db, batch_ms=0) as store:
        seed(store, shared_data, ["BTC", "ETH"], bars=3000)
    config = tmp_path / "config.toml"
    config.write_text(textwrap.dedent(CONFIG))
    return config, db


def test_json_output_and_the_stored_run(setup: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    config, db = setup
    code = main(["--config", str(config), "--db", str(db), "backtest", "sma-cross", "--max-positions", "2", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    payload = json.loads(captured.out)
    assert {"strategy", "trade_count", "final_equity", "metrics", "trades", "open"} <= set(payload)
    assert payload["strategy"] == "sma-cross" and payload["symbols"] == ["BTC/USDT", "ETH/USDT"]
    assert payload["trade_count"] == len(payload["trades"]) > 10
    first = payload["trades"][0]
    assert {"symbol", "side", "entry_time", "entry_price", "exit_time", "exit_price", "qty", "fees", "pnl",
            "exit_reason"} <= set(first)  # fmt: skip
    assert first["exit_reason"] == "exit" and first["side"] == "long"
    assert payload["metrics"]["final_equity"] == payload["final_equity"]
    assert {b["key"] for b in payload["metrics"]["by_symbol"]} == {"BTC/USDT", "ETH/USDT"}
    with sqlite3.connect(db) as conn:
        (stored_id, toml, trades) = conn.execute(
            "SELECT b.id, b.strategy_toml, count(t.id) FROM backtests b JOIN backtest_trades t ON t.backtest_id = b.id"
        ).fetchone()
    assert stored_id == payload["backtest_id"] and 'name = "sma-cross"' in toml
    assert trades == len(payload["trades"]) + len(payload["open"])


def test_exit_codes(setup: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    config, db = setup
    base = ["--config", str(config), "--db", str(db), "backtest"]
    assert main([*base, "nope"]) == 2
    assert "unknown strategy 'nope'; valid names: sma-cross" in capsys.readouterr().err
    assert main([*base, "sma-cross", "--fill", "levels"]) == 2
    assert "has no levels" in capsys.readouterr().err
    assert main([*base, "sma-cross", "--since", "2023-13-01"]) == 2
    assert "--since: bad date '2023-13-01'" in capsys.readouterr().err
    assert main([*base, "sma-cross", "--fee-bps", "-1"]) == 2
    assert "--fee-bps: Expected `float` >= 0.0" in capsys.readouterr().err
    assert main([*base, "sma-cross", "--symbols", "BTC/USDT,NOPE/USDT", "--no-save"]) == 1
    err = capsys.readouterr().err
    assert "error: NOPE/USDT: LookupError: no 1h candles stored on binance" in err and "Traceback" not in err
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM backtests").fetchone()[0] == 0  # --no-save


def test_sweep_walk_forward_and_lookahead_check(setup: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    config, db = setup
    base = ["--config", str(config), "--db", str(db), "backtest", "sma-cross", "--symbols", "BTC/USDT"]
    assert main([*base, "--sweep", "fast=5,10", "--sweep", "slow=40:50:10", "--rank", "total_return", "--json"]) == 0
    sweep = json.loads(capsys.readouterr().out)
    assert [p["params"] for p in sweep["points"]] and len(sweep["points"]) == 4
    returns = [p["metrics"]["total_return"] for p in sweep["points"]]
    assert returns == sorted(returns, reverse=True)
    assert main([*base, "--sweep", "fast=5,10", "--walk-forward", "30d:15d", "--json"]) == 0
    walk = json.loads(capsys.readouterr().out)
    assert len(walk["windows"]) >= 4 and all(w["best"]["fast"] in (5.0, 10.0) for w in walk["windows"])
    assert main([*base, "--lookahead-check"]) == 0
    assert "no difference" in capsys.readouterr().out
    assert main([*base, "--sweep", "n=1,2"]) == 2
    assert 'param "n" is not used by any expression' in capsys.readouterr().err
    assert main([*base, "--walk-forward", "30x:1d"]) == 2
    assert "--walk-forward TRAIN: bad duration '30x'" in capsys.readouterr().err
    with sqlite3.connect(db) as conn:
        kinds = [r[0] for r in conn.execute("SELECT kind FROM backtests ORDER BY id")]
    assert kinds == ["sweep", "walk_forward"]


def test_a_pair_backtest_from_the_command_line(setup: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    config, db = setup
    base = ["--config", str(config), "--db", str(db), "backtest"]
    assert main([*base, "--pair", "ETH/USDT,BTC/USDT", "--hedge", "kalman", "--window", "300", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["pair"] == ["ETH/USDT", "BTC/USDT"] and payload["trades"]
    trade = payload["trades"][0]
    assert trade["pnl"] == pytest.approx(trade["y_pnl"] + trade["x_pnl"] - trade["fees"])
    assert main([*base, "--pair", "ETH/USDT"]) == 2
    assert "expected two different symbols" in capsys.readouterr().err
    assert main([*base, "--pair", "ETH/USDT,BTC/USDT", "--entry-z", "0.2"]) == 2
    assert "exit_z < entry_z < stop_z" in capsys.readouterr().err
    assert main([*base, "--pair", "ETH/USDT,NOPE/USDT"]) == 1
    assert "NOPE/USDT: no 1h candles stored" in capsys.readouterr().err
