"""`cryptoterm download` when the exchange's answers are cut off: exit 1 naming the series, never a silent
"done" with candles missing; a second run continues where the first stopped."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cryptoterm.adapters.store import SqliteStore
from cryptoterm.headless.download import EXIT_ERRORS, EXIT_OK, run
from tests.headless.test_download import ms, parse, rows_in, write_config
from tests.loopback.http_server import LoopbackBinance

SINCE, UNTIL = "2023-01-01", "2023-07-01"


@pytest.fixture
async def server(shared_data: Path) -> AsyncIterator[LoopbackBinance]:
    async with LoopbackBinance(shared_data) as srv:
        yield srv


@pytest.mark.parametrize("kind", ["truncated", "html"])
async def test_cut_off_pages_exit_1_naming_the_series_and_the_next_run_completes(
    server: LoopbackBinance, tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    config = write_config(tmp_path, server.url)
    db = str(tmp_path / "data.db")
    args = parse("--symbols", "BTC/USDT", "--timeframes", "1h", "--since", SINCE, "--until", UNTIL, "--json")
    # the third page, each time it is asked for until the circuit breaker opens ([exchange.reliability] 3 failures)
    server.corrupt_next(3, kind, "klines", after=2)

    assert await asyncio.to_thread(run, config, args, db) == EXIT_ERRORS
    first = json.loads(capsys.readouterr().out)
    [error] = first["errors"]
    assert (error["symbol"], error["timeframe"]) == ("BTC/USDT", "1h")
    assert "fetch_ohlcv BTC/USDT 1h: the answer is not the exchange's JSON" in error["error"]
    assert first["series"] == [] and server.total_requests - server.requests["/api/v3/exchangeInfo"] == 5
    assert _stored(db) == 2000  # the two pages before the cut are kept

    assert await asyncio.to_thread(run, config, args, db) == EXIT_OK
    second = json.loads(capsys.readouterr().out)
    expected = rows_in(shared_data / "klines/1h/BTCUSDT-1h.csv.gz", ms(SINCE), ms(UNTIL))
    assert second["errors"] == [] and second["rows_written"] == len(expected) - 2000
    assert _stored(db) == len(expected)


def _stored(db: str) -> int:
    store = SqliteStore(db)
    try:
        return len(store.read_candles("binance", "BTC/USDT", "1h"))
    finally:
        store.close()


async def test_cut_off_pages_are_one_line_on_stderr_without_json(
    server: LoopbackBinance, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, server.url)
    args = parse("--symbols", "ETH/USDT", "--timeframes", "1d", "--since", SINCE, "--until", UNTIL)
    server.corrupt_next(3, "html", "klines")
    assert await asyncio.to_thread(run, config, args, str(tmp_path / "data.db")) == EXIT_ERRORS
    [line] = [ln for ln in capsys.readouterr().err.splitlines() if "FAILED" in ln]
    assert line.startswith("ETH/USDT 1d: FAILED: binance fetch_ohlcv ETH/USDT 1d: the answer is not the exchange's")
