"""`cryptoterm download` end to end: real ccxt client → loopback exchange → temporary SQLite file."""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cryptoterm.adapters.store import SqliteStore
from cryptoterm.config.loader import load_config_file
from cryptoterm.config.schema import AppConfig, ExchangeConfig
from cryptoterm.headless.download import EXIT_ERRORS, EXIT_OK, EXIT_USAGE, UsageError, add_arguments, parse_date, run
from tests.conftest import PROJECT_ROOT
from tests.loopback.http_server import LoopbackBinance


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="cryptoterm download")
    add_arguments(parser)
    return parser.parse_args(list(argv))


def write_config(tmp_path: Path, rest_url: str) -> AppConfig:
    path = tmp_path / "config.toml"
    path.write_text(
        "[exchange]\n"
        'id = "binance"\n'
        f'rest_url = "{rest_url}"\n'
        "[exchange.reliability]\n"
        "backoff_initial_s = 0.01\n"
        "backoff_max_s = 0.02\n"
        "breaker_failures = 3\n"
    )
    return load_config_file(path)


def rows_in(path: Path, since: int, until: int) -> list[int]:
    with gzip.open(path, "rt") as fh:
        next(fh)
        return [t for t in (int(line.split(",", 1)[0]) for line in fh) if since <= t < until]


@pytest.fixture
async def server(shared_data: Path) -> AsyncIterator[LoopbackBinance]:
    async with LoopbackBinance(shared_data) as srv:
        yield srv


SINCE, UNTIL = "2023-01-01", "2023-07-01"
ARGS = ("--symbols", "BTC/USDT,ETH/USDT", "--timeframes", "1h,1d", "--since", SINCE, "--until", UNTIL)


async def test_download_twice_fetches_then_writes_nothing(
    server: LoopbackBinance, tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, server.url)
    db = str(tmp_path / "data.db")
    args = parse(*ARGS, "--exchange", "binance", "--json")

    assert await asyncio.to_thread(run, config, args, db) == EXIT_OK
    first = json.loads(capsys.readouterr().out)
    assert await asyncio.to_thread(run, config, args, db) == EXIT_OK
    second = json.loads(capsys.readouterr().out)

    since, until = ms(SINCE), ms(UNTIL)
    expected = {
        (f"{s}/USDT", tf): rows_in(shared_data / f"klines/{tf}/{s}USDT-{tf}.csv.gz", since, until)
        for s in ("BTC", "ETH")
        for tf in ("1h", "1d")
    }
    total = sum(len(v) for v in expected.values())
    assert total == 2 * (181 * 24 - 1) + 2 * 181  # one real outage bar (2023-03-24 13:00) in each 1h series
    assert first["rows_written"] == total
    assert first["errors"] == []
    assert second["rows_written"] == 0
    assert all(s["fetched"] == 0 for s in second["series"])
    by_key = {(s["symbol"], s["timeframe"]): s for s in first["series"]}
    assert by_key[("BTC/USDT", "1h")]["outages"] == [
        {
            "start_ms": ms("2023-03-24 13:00"),
            "end_ms": ms("2023-03-24 14:00"),
            "missing": 1,
            "start": "2023-03-24 13:00",
        }
    ]
    assert by_key[("BTC/USDT", "1d")]["outages"] == []
    assert all(s["quality_score"] >= 90 for s in first["series"])
    assert any("exchange outage" in issue for issue in by_key[("BTC/USDT", "1h")]["quality_issues"])

    store = SqliteStore(db)
    try:
        for (symbol, tf), times in expected.items():
            assert [c.open_time for c in store.read_candles("binance", symbol, tf)] == times
        metrics = {(m.symbol, m.timeframe): m for m in store.read_quality_metrics("binance")}
    finally:
        store.close()
    btc_1h = metrics[("BTC/USDT", "1h")]
    assert (btc_1h.outages, btc_1h.missing_bars, btc_1h.duplicates) == (1, 1, 0)
    assert btc_1h.detail["outages"] == [[ms("2023-03-24 13:00"), ms("2023-03-24 14:00"), 1]]
    assert btc_1h.score == by_key[("BTC/USDT", "1h")]["quality_score"]
    assert metrics[("ETH/USDT", "1d")].bars == 181


async def test_unknown_symbol_is_bad_usage_and_creates_nothing(
    server: LoopbackBinance, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, server.url)
    db = tmp_path / "data.db"
    args = parse("--symbols", "BTC/USDT,BTCC/USDT", "--since", SINCE)
    assert await asyncio.to_thread(run, config, args, str(db)) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "unknown symbol 'BTCC/USDT' on binance" in err
    assert "did you mean" in err
    assert not db.exists()
    assert server.requests["/api/v3/klines"] == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--since", "2023-13-45"), "--since: bad date '2023-13-45'"),
        (("--since", "yesterday"), "--since: bad date 'yesterday'"),
        (("--since", SINCE, "--until", "2022-01-01"), "must be after --since"),
        (("--since", SINCE, "--timeframes", "7x"), "--timeframes: unknown timeframe '7x'"),
        (("--timeframes", "7m"), "--timeframes: '7m' is not a timeframe cryptoterm keeps (expected one of 1m, 5m,"),
        (("--timeframes", "1h,2d"), "--timeframes: '2d' is not a timeframe cryptoterm keeps"),
        (("--since", SINCE, "--symbols", "BTCUSDT"), "'BTCUSDT' is not a unified symbol like BTC/USDT"),
        (("--symbols", "btc/usdt"), "(symbols are upper case: BTC/USDT)"),
        (("--symbols", "BTC/USDT,ETH/"), "--symbols: 'ETH/' is not a unified symbol"),
        (("--symbols", "BTC/USDT/X"), "--symbols: 'BTC/USDT/X' is not a unified symbol"),
        (("--exchange", "nosuchex"), "--exchange: unknown exchange 'nosuchex'"),
        (("--exchange", "binanse"), "--exchange: unknown exchange 'binanse'; did you mean binance"),
    ],
)
def test_bad_usage_exits_2_with_one_line_before_any_network(
    argv: tuple[str, ...],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import cryptoterm.headless.download as download

    def no_network(*args: object) -> None:
        raise AssertionError("bad usage must be reported before any client is built")

    monkeypatch.setattr(download, "open_history", no_network)
    config = AppConfig()  # rest_url empty: any network attempt would leave the machine, so none may happen
    assert run(config, parse(*argv), str(tmp_path / "d.db")) == EXIT_USAGE
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("cryptoterm download: ") and message in line
    assert not (tmp_path / "d.db").exists()


def test_an_unknown_exchange_in_the_config_is_named_as_a_config_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = AppConfig(exchange=ExchangeConfig(id="krakken"))
    assert run(config, parse("--symbols", "BTC/USDT"), str(tmp_path / "d.db")) == EXIT_USAGE
    assert "[exchange].id: unknown exchange 'krakken'; did you mean kraken" in capsys.readouterr().err


async def test_exchange_failures_exit_1_and_are_reported(
    server: LoopbackBinance, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, server.url)
    server.fail_next(50, status=503, path_contains="klines")
    args = parse("--symbols", "BTC/USDT,ETH/USDT", "--timeframes", "1d", "--since", SINCE, "--json")
    assert await asyncio.to_thread(run, config, args, str(tmp_path / "d.db")) == EXIT_ERRORS
    out = json.loads(capsys.readouterr().out)
    assert [(e["symbol"], e["timeframe"]) for e in out["errors"]] == [("BTC/USDT", "1d"), ("ETH/USDT", "1d")]
    assert "503" in out["errors"][0]["error"]
    assert "circuit open" in out["errors"][1]["error"]  # the second series did not hammer a failing exchange
    assert out["rows_written"] == 0


def test_parse_date_forms() -> None:
    assert parse_date("2023-01-01", "--since") == ms("2023-01-01 00:00")
    assert parse_date("2023-01-01T12:30", "--since") == ms("2023-01-01 12:30")
    assert parse_date("1672531200000", "--since") == 1672531200000
    with pytest.raises(UsageError, match="--until"):
        parse_date("01/02/2023", "--until")


async def test_cli_subprocess_download_json(server: LoopbackBinance, tmp_path: Path) -> None:
    write_config(tmp_path, server.url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRYPTOTERM_CONFIG")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cryptoterm",
        "--config",
        str(tmp_path / "config.toml"),
        "--db",
        str(tmp_path / "cli.db"),
        "download",
        "--symbols",
        "BTC/USDT",
        "--timeframes",
        "1d",
        "--since",
        "2023-06-01",
        "--until",
        "2023-07-01",
        "--json",
        cwd=PROJECT_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == EXIT_OK, err.decode()
    summary = json.loads(out)
    assert summary["rows_written"] == 30
    assert summary["series"][0]["symbol"] == "BTC/USDT"
    assert "textual" not in err.decode()


async def test_plain_output_names_outages_and_quality(
    server: LoopbackBinance, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, server.url)
    args = parse("--symbols", "BTC/USDT", "--timeframes", "1h", "--since", "2023-03-24", "--until", "2023-03-25")
    assert await asyncio.to_thread(run, config, args, str(tmp_path / "d.db")) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("BTC/USDT 1h: 23 new, 0 already stored, 23 in range")
    assert "exchange outages: 1 (1 bars): 2023-03-24 13:00 (1)" in out
    assert "quality " in out
