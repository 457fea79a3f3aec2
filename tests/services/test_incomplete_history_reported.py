"""History that came back cut off is reported where it is used: the scan's candle update names the symbol as
an error (what `--scan-once` prints), and the live watchlist backfill logs a warning — never a silent success."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import pytest

from cryptoterm.adapters.ccxt_history import CcxtHistory
from cryptoterm.adapters.store import SqliteStore
from cryptoterm.config.schema import ExchangeConfig, ReliabilityConfig
from cryptoterm.domain.market import Candle
from cryptoterm.services.candle_updater import CandleUpdater
from cryptoterm.services.watchlist_backfill import WatchlistBackfill
from tests.loopback.http_server import LoopbackBinance
from tests.services.test_backfill import BTC_END, DAY, FrozenClock, noop_sleep


@pytest.fixture
async def server(shared_data: Path) -> AsyncIterator[LoopbackBinance]:
    async with LoopbackBinance(shared_data) as srv:
        yield srv


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "candles.db", batch_ms=10)
    yield s
    s.close()


def _history(server: LoopbackBinance, now_ms: int) -> CcxtHistory:
    config = ExchangeConfig(rest_url=server.url, reliability=ReliabilityConfig(breaker_failures=50))
    return CcxtHistory(config, sleep=noop_sleep, max_attempts=2, now_ms=lambda: now_ms)


async def test_the_scan_update_reports_a_cut_off_series_as_an_error(
    server: LoopbackBinance, store: SqliteStore
) -> None:
    history = _history(server, BTC_END)
    server.corrupt_next(10, "html", "klines")
    try:
        updater = CandleUpdater(history, store, "binance", FrozenClock(BTC_END))
        errors = await updater.update({("BTC/USDT", "1h"): BTC_END - 30 * DAY})
    finally:
        await history.close()
    [error] = errors
    assert (error.strategy, error.symbol) == ("update", "BTC/USDT")
    assert error.error.startswith("1h candles: IncompleteResponseError: binance fetch_ohlcv BTC/USDT 1h:")


class _Charts:
    def __init__(self) -> None:
        self.added: list[tuple[str, str, int]] = []

    def add_history(self, symbol: str, timeframe: str, candles: Sequence[Candle]) -> None:
        self.added.append((symbol, timeframe, len(candles)))


async def test_the_live_backfill_logs_a_cut_off_series(
    server: LoopbackBinance, store: SqliteStore, caplog: pytest.LogCaptureFixture
) -> None:
    history = _history(server, BTC_END)
    server.corrupt_next(100, "truncated", "klines")
    try:
        backfill = WatchlistBackfill(history, store, "binance", 3.0, _Charts(), 100)
        with caplog.at_level(logging.WARNING, logger="cryptoterm.services.watchlist_backfill"):
            await backfill.backfill(["BTC/USDT"], since_ms=BTC_END - 3 * DAY, until_ms=BTC_END)
    finally:
        await history.close()
    failed = [r.getMessage() for r in caplog.records if r.name == "cryptoterm.services.watchlist_backfill"]
    assert failed and all("failed" in m and "not the exchange's JSON (JSON cut off after" in m for m in failed)
    assert any(m.startswith("backfill BTC/USDT 1h failed") for m in failed)
