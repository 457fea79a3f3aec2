"""`cryptoterm screen`: the JSON a script reads equals statsmodels on the stored real klines; the stored session;
the table; exit codes and one-line errors."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.tsa.stattools import coint

from cryptoterm.adapters.store.sqlite_store import SqliteStore
from cryptoterm.cli import main
from tests.services.test_scanner_data import EXCHANGE, seed

BASES = ["BTC", "ETH", "LTC", "BCH", "ETC", "XMR"]
BARS = 800
REQUIRED = (
    "y", "x", "eg_t", "eg_p", "eg_t_rev", "eg_p_rev", "p_adj", "corr", "hurst", "half_life", "beta_ols",
    "beta_kalman", "beta_huber", "zscore", "n_bars",
)  # fmt: skip


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    path = tmp_path_factory.mktemp("screen") / "screen.db"
    with SqliteStore(path, batch_ms=0) as store:
        seed(store, shared_data, BASES, bars=BARS + 100)
    return path


def _log_close(db: Path, symbol: str, bars: int) -> np.ndarray:
    with SqliteStore(db, batch_ms=0) as store:
        frame = store.read_candles_frame(EXCHANGE, symbol, "1h", limit=bars)
    return np.log(frame["close"].to_numpy())


def _screen(db: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    code = main(["--db", str(db), "screen", *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_lines_equal_statsmodels_and_the_session_is_stored(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    symbols = ",".join(f"{b}/USDT" for b in BASES)
    code, out, err = _screen(db, capsys, "--symbols", symbols, "--bars", str(BARS), "--workers", "1", "--json")
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 15
    assert all(set(REQUIRED) <= set(line) for line in lines)
    assert all(line["y"] < line["x"] and line["n_bars"] == BARS for line in lines)
    assert [line["p_adj"] for line in lines] == sorted(line["p_adj"] for line in lines)
    by_pair = {(line["y"], line["x"]): line for line in lines}
    for y_name, x_name in [("BTC/USDT", "ETH/USDT"), ("BCH/USDT", "LTC/USDT"), ("ETC/USDT", "XMR/USDT")]:
        line = by_pair[(y_name, x_name)]
        y, x = _log_close(db, y_name, BARS), _log_close(db, x_name, BARS)
        t, p, _ = coint(y, x)
        t_rev, p_rev, _ = coint(x, y)
        assert line["eg_t"] == pytest.approx(t, abs=1e-8) and line["eg_p"] == pytest.approx(p, abs=1e-6)
        assert line["eg_t_rev"] == pytest.approx(t_rev, abs=1e-8) and line["eg_p_rev"] == pytest.approx(p_rev, abs=1e-6)
        ols = sm.OLS(y, sm.add_constant(x)).fit()
        assert line["beta_ols"] == pytest.approx(ols.params[1], rel=1e-10)
        huber = sm.RLM(y, sm.add_constant(x), M=sm.robust.norms.HuberT()).fit()
        assert line["beta_huber"] == pytest.approx(huber.params[1], rel=1e-9)
        assert line["corr"] == pytest.approx(np.corrcoef(np.diff(y), np.diff(x))[0, 1], abs=1e-12)
        spread = ols.resid
        assert line["zscore"] == pytest.approx((spread[-1] - spread.mean()) / spread.std(ddof=1), rel=1e-9)
    assert "15 pairs of 6 symbols, 800 1h bars" in err and "session #1" in err
    with sqlite3.connect(db) as conn:
        (session_id, pairs, n_bars, symbols_json) = conn.execute(
            "SELECT id, pair_count, n_bars, symbols_json FROM screening_sessions ORDER BY id DESC"
        ).fetchone()
        stored = conn.execute(
            "SELECT y, x, eg_t, eg_p, p_adj FROM pair_results WHERE session_id = ?", (session_id,)
        ).fetchall()
    assert (pairs, n_bars) == (15, BARS) and sorted(json.loads(symbols_json)) == sorted(symbols.split(","))
    assert {(y, x): (t, p, q) for y, x, t, p, q in stored} == {
        k: (v["eg_t"], v["eg_p"], v["p_adj"]) for k, v in by_pair.items()
    }


def test_a_process_pool_prints_the_same_pairs(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    common = ("--symbols", "BTC/USDT,ETH/USDT,LTC/USDT,XMR/USDT", "--bars", "400", "--json", "--no-save")
    inline = _screen(db, capsys, *common, "--workers", "1")
    pooled = _screen(db, capsys, *common, "--workers", "2")
    assert inline[0] == pooled[0] == 0
    assert inline[1] == pooled[1] and len(inline[1].splitlines()) == 6
    assert "on inline" in inline[2] and "on 2 local processes" in pooled[2]


def test_the_table_and_the_stored_universe(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _screen(db, capsys, "--top", "3", "--bars", "300", "--workers", "1", "--no-save")
    assert code == 0, err
    header, *rows = out.splitlines()
    assert header.split()[:4] == ["y", "x", "p", "p"] and len(rows) == 3
    assert "3 pairs of 3 symbols" in err and "session" not in err
    code, out, err = _screen(db, capsys, "--bars", "300", "--workers", "1", "--no-save")
    assert code == 0 and "15 pairs of 6 symbols" in err


def test_exit_codes_and_one_line_errors(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _screen(db, capsys, "--symbols", "BTC/USDT,ETH/USDT,NOPE/USDT", "--bars", "300", "--no-save")
    assert code == 1 and len(out.splitlines()) == 2
    assert "error: NOPE/USDT: no 1h candles stored on binance" in err and "Traceback" not in err
    for extra, message in [
        (("--since", "2023-13-01"), "cryptoterm screen: --since: bad date '2023-13-01'"),
        (("--since", "2023-02-01", "--until", "2023-01-01"), "cryptoterm screen: --until must be after --since"),
        (("--bars", "10"), "cryptoterm screen: --bars must be at least 50, got 10"),
        (("--symbols", "BTC/USDT"), "cryptoterm screen: fewer than 2 symbols to screen on 1h: give at least two"),
        (("--symbols", "BTC/USDT,NOPE/USDT"), "cryptoterm screen: fewer than 2 symbols with 200 common 1h bars"),
        (("--timeframe", "1d", "--symbols", "BTC/USDT,ETH/USDT"), "cryptoterm screen: fewer than 2 symbols"),
    ]:
        code, out, err = _screen(db, capsys, *extra)
        assert code == 2, (extra, err)
        assert err.startswith(message) and len(err.strip().splitlines()) == 1 and out == "", (extra, err)
    assert err.rstrip().endswith("store more 1d history with `cryptoterm download`")
    with pytest.raises(SystemExit) as usage:
        main(["--db", str(db), "screen", "--workers", "-1"])
    assert usage.value.code == 2
    assert "expected 0 or more, got -1" in capsys.readouterr().err


def test_a_cluster_without_the_extra_is_one_line(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)
    code, out, err = _screen(db, capsys, "--symbols", "BTC/USDT,ETH/USDT", "--cluster", "tcp://127.0.0.1:8786")
    assert code == 2 and out == ""
    assert err.strip() == (
        "cryptoterm screen: Dask is not installed: install the cluster extra with pip install 'cryptoterm[cluster]'"
    )
