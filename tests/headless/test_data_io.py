"""`cryptoterm export` / `cryptoterm import` on the real klines of ../shared/data: Binance's 6- and 12-column
layouts with and without a header, times in s / ms / µs / ISO, JSON, `.gz` directly, the symbol and timeframe from
a Binance file name; a round trip through export and import changes nothing; a corrupted file is one line naming
the file, line and column, exit 2, and leaves the database exactly as it was."""

from __future__ import annotations

import csv
import gzip
import io
import json
import sqlite3
from pathlib import Path

import pytest

from cryptoterm.cli import main

BTC_1H = "klines/1h/BTCUSDT-1h.csv.gz"
ETH_1D = "klines/1d/ETHUSDT-1d.csv.gz"
BTC_1M = "klines/1m/BTCUSDT-1m-2025-09-22_2025-09-25.csv.gz"


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def rows_of(path: Path) -> list[list[str]]:
    with gzip.open(path, "rt") as handle:
        return list(csv.reader(handle))


def write(path: Path, rows: list[list[str]]) -> Path:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", newline="") as handle:  # type: ignore[operator]
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return path


def stored(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT exchange, symbol, timeframe, open_time, open, high, low, close, volume, quote_volume, trades"
            " FROM candles ORDER BY exchange, symbol, timeframe, open_time"
        ).fetchall()


def test_round_trip_on_real_klines(tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    files = [str(shared_data / name) for name in (BTC_1H, ETH_1D, BTC_1M)]
    code, out, err = cli(capsys, "import", *files, "--db", str(first))
    assert code == 0, err
    assert "BTCUSDT-1h.csv.gz: binance BTC/USDT 1h: 19600 candles, 19600 new or changed" in out
    assert "12 bar(s) missing in 5 gap(s)" in out  # SOURCES.md: five real outages, twelve bars
    original = stored(first)
    assert len(original) == 19_600 + 2_007 + 4_319
    eth = next(r for r in original if r[1] == "ETH/USDT" and r[3] == 1514764800000)
    assert eth[4:] == (733.01, 763.55, 716.8, 754.99, 53909.25885, 40049370.5949261, 75314)  # the file's row, verbatim

    exported = tmp_path / "all.csv.gz"
    code, _, err = cli(capsys, "export", "candles", "-o", str(exported), "--db", str(first))
    assert code == 0 and f"{len(original)} candles row(s) written" in err
    code, _, err = cli(capsys, "import", str(exported), "--db", str(second))
    assert code == 0, err
    assert stored(second) == original
    again = tmp_path / "again.csv.gz"
    cli(capsys, "export", "candles", "-o", str(again), "--db", str(second))
    assert gzip.decompress(again.read_bytes()) == gzip.decompress(exported.read_bytes())

    code, out, _ = cli(capsys, "export", "candles", "--format", "json", "--symbol", "ETH/USDT", "--db", str(first))
    as_json = tmp_path / "eth.json"
    as_json.write_text(out)
    third = tmp_path / "third.db"
    code, _, err = cli(capsys, "import", str(as_json), "--db", str(third))
    assert code == 0, err
    assert stored(third) == [r for r in original if r[1] == "ETH/USDT"]


def test_layouts_and_time_units_give_the_same_candles(
    tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = rows_of(shared_data / ETH_1D)[:301]
    header, body = rows[0], rows[1:]
    variants = {
        "headed-12": [header, *body],
        "bare-12": body,
        "bare-6": [r[:6] for r in body],
        "seconds": [[str(int(r[0]) // 1000), *r[1:6]] for r in body],
        "micros": [[str(int(r[0]) * 1000), *r[1:]] for r in body],
        "iso": [["time", "open", "high", "low", "close", "volume"]] + [[f"{_iso(int(r[0]))}", *r[1:6]] for r in body],
    }
    results = {}
    for name, variant in variants.items():
        db = tmp_path / f"{name}.db"
        path = write(tmp_path / f"ETHUSDT-1d-{name}.csv.gz", variant)
        code, _, err = cli(capsys, "import", str(path), "--db", str(db))
        assert code == 0, (name, err)
        results[name] = [r[:9] for r in stored(db)]  # OHLCV (6-column files have no quote volume or trade count)
    assert len(results["headed-12"]) == 300
    assert all(rows == results["headed-12"] for rows in results.values())
    rest_body = tmp_path / "klines.json"  # a REST klines body: an array of arrays, numbers as strings
    rest_body.write_text(json.dumps([[int(r[0]), *r[1:]] for r in body]))
    db = tmp_path / "rest.db"
    code, _, err = cli(capsys, "import", str(rest_body), "--symbol", "ETHUSDT", "--timeframe", "1d", "--db", str(db))
    assert code == 0, err
    assert [r[:9] for r in stored(db)] == results["headed-12"]


def _iso(ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_corrupted_file_changes_nothing(
    tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "a.db"
    code, _, _ = cli(capsys, "import", str(shared_data / ETH_1D), "--db", str(db))
    assert code == 0
    before = stored(db)
    rows = rows_of(shared_data / BTC_1H)
    rows[1202][2] = "41,2"  # line 1203 of the file, column "high"
    bad = write(tmp_path / "btc.csv", rows)
    good = shared_data / BTC_1H
    code, out, err = cli(capsys, "import", str(good), str(bad), "--symbol", "BTC/USDT", "--timeframe", "1h",
                         "--db", str(db))  # fmt: skip
    assert code == 2 and out == ""
    assert err.strip() == 'cryptoterm import: btc.csv:1203: column "high": "41,2" is not a number; nothing was imported'
    assert stored(db) == before

    rows = rows_of(shared_data / BTC_1H)
    rows[50][3] = str(float(rows[50][2]) + 100)  # low above the high
    code, _, err = cli(capsys, "import", str(write(tmp_path / "BTCUSDT-1h-x.csv", rows)), "--db", str(db))
    assert code == 2 and 'BTCUSDT-1h-x.csv:51: column "low":' in err and "is above the high" in err
    rows = rows_of(shared_data / BTC_1H)
    rows[60] = [rows[40][0], *rows[60][1:]]  # the same open time as line 41, with other prices
    code, _, err = cli(capsys, "import", str(write(tmp_path / "BTCUSDT-1h-y.csv", rows)), "--db", str(db))
    assert code == 2 and "BTCUSDT-1h-y.csv:61: open_time" in err and "also on line 41" in err
    code, _, err = cli(
        capsys, "import", str(write(tmp_path / "prices.csv", rows_of(shared_data / BTC_1H))), "--db", str(db)
    )
    assert code == 2 and "prices.csv:2: no symbol" in err
    assert stored(db) == before


def test_duplicates_out_of_order_rows_and_gaps_are_reported(
    tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = rows_of(shared_data / BTC_1H)[:501]
    body = rows[1:]
    shuffled = [rows[0], *body[:100], body[150], *body[100:150], *body[151:], body[10], body[11]]
    del shuffled[300:303]  # three missing hours
    path = write(tmp_path / "BTCUSDT-1h-2021-04.csv", shuffled)
    db = tmp_path / "a.db"
    code, out, err = cli(capsys, "import", str(path), "--json", "--db", str(db))
    assert code == 0, err
    report = json.loads(out)
    assert (report["symbol"], report["timeframe"], report["rows"]) == ("BTC/USDT", "1h", 497)
    assert (report["duplicates"], report["out_of_order"]) == (2, 2)
    assert [g["missing"] for g in report["gaps"]] == [3, 2, 3]  # ours, then the real outages of 04-20 and 04-25
    times = [r[3] for r in stored(db)]
    assert times == sorted(times) and len(times) == 497


def test_exports_of_other_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "a.db"
    code, _, _ = cli(capsys, "alerts", "add", "dip", "--symbol", "BTC/USDT", "--when", "price below 5", "--db", str(db))
    assert code == 0
    cli(capsys, "alerts", "test", "dip", "--db", str(db))
    code, out, _ = cli(capsys, "export", "alerts", "--db", str(db))
    assert code == 0
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert (row["alert_name"], row["status"], row["test"]) == ("dip", "no_channel", "True")
    assert row["ts_iso"].endswith("Z") and int(row["ts"]) > 0
    for kind in ("trades", "setups", "backtests"):
        code, out, _ = cli(capsys, "export", kind, "--format", "json", "--db", str(db))
        assert code == 0 and json.loads(out) == []
    code, _, err = cli(capsys, "export", "candles", "--since", "yesterday", "--db", str(db))
    assert code == 2 and "--since: bad date 'yesterday'" in err
