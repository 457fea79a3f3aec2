"""Backfill through the real ccxt client and the loopback exchange into a temporary SQLite store."""

from __future__ import annotations

import gzip
import random
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cryptoterm.adapters.ccxt_history import CcxtHistory
from cryptoterm.adapters.errors import ExchangeUnavailable
from cryptoterm.adapters.store import SqliteStore
from cryptoterm.config.schema import ExchangeConfig, ReliabilityConfig
from cryptoterm.domain.gaps import Gap
from cryptoterm.domain.market import Candle, DepthSnapshot, SymbolInfo, TickerStats
from cryptoterm.services.backfill import Backfiller, BackfillProgress
from tests.loopback.http_server import LoopbackBinance

HOUR = 3_600_000
DAY = 24 * HOUR


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


REAL_OUTAGES = (
    Gap(ms("2021-04-20 02:00"), ms("2021-04-20 04:00"), 2),
    Gap(ms("2021-04-25 05:00"), ms("2021-04-25 08:00"), 3),
    Gap(ms("2021-08-13 02:00"), ms("2021-08-13 06:00"), 4),
    Gap(ms("2021-09-29 07:00"), ms("2021-09-29 09:00"), 2),
    Gap(ms("2023-03-24 13:00"), ms("2023-03-24 14:00"), 1),
)
BTC_FIRST = ms("2021-04-04 20:00")
BTC_END = ms("2023-07-01 00:00")


class FrozenClock:
    def __init__(self, now_ms: int) -> None:
        self.now = now_ms

    def now_ms(self) -> int:
        return self.now


def source_rows(path: Path) -> list[tuple[int, float, float, float, float, float]]:
    with gzip.open(path, "rt") as fh:
        next(fh)
        rows = []
        for line in fh:
            f = line.strip().split(",")
            rows.append((int(f[0]), float(f[1]), float(f[2]), float(f[3]), float(f[4]), float(f[5])))
    return rows


def stored_rows(store: SqliteStore, symbol: str, timeframe: str) -> list[tuple[int, float, float, float, float, float]]:
    return [
        (c.open_time, c.open, c.high, c.low, c.close, c.volume)
        for c in store.read_candles("binance", symbol, timeframe)
    ]


async def noop_sleep(_: float) -> None:
    return None


@pytest.fixture
async def server(shared_data: Path) -> AsyncIterator[LoopbackBinance]:
    async with LoopbackBinance(shared_data) as srv:
        yield srv


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "candles.db", batch_ms=10)
    yield s
    s.close()


def history_for(server: LoopbackBinance, max_attempts: int = 5) -> CcxtHistory:
    config = ExchangeConfig(rest_url=server.url, reliability=ReliabilityConfig(breaker_failures=50))
    return CcxtHistory(config, sleep=noop_sleep, max_attempts=max_attempts, rng=random.Random(1))


async def test_btc_1h_backfill_reports_the_real_outages_and_stores_the_file_exactly(
    server: LoopbackBinance, store: SqliteStore, shared_data: Path
) -> None:
    history = history_for(server)
    progress: list[BackfillProgress] = []
    try:
        backfiller = Backfiller(history, store, "binance", clock=FrozenClock(BTC_END + 5 * DAY))
        first = await backfiller.backfill("BTC/USDT", "1h", BTC_FIRST, BTC_END, progress=progress.append)
        klines_after_first = server.requests["/api/v3/klines"]
        second = await backfiller.backfill("BTC/USDT", "1h", BTC_FIRST, BTC_END)
        klines_after_second = server.requests["/api/v3/klines"]
        fresh = await Backfiller(history, store, "binance").backfill("BTC/USDT", "1h", BTC_FIRST, BTC_END)
    finally:
        await history.close()

    expected = source_rows(shared_data / "klines/1h/BTCUSDT-1h.csv.gz")
    assert len(expected) == 19600
    assert stored_rows(store, "BTC/USDT", "1h") == expected  # 0 lost, 0 duplicated, values verbatim

    assert first.outages == REAL_OUTAGES
    assert first.outage_bars == 12
    assert first.before_first is None
    assert first.after_last is None
    assert first.written == first.fetched == first.stored == 19600
    assert first.already_stored == 0
    assert first.requested == (Gap(BTC_FIRST, BTC_END, (BTC_END - BTC_FIRST) // HOUR),)

    assert progress[-1].bars_done == progress[-1].bars_total == 19612
    assert [p.bars_done for p in progress] == sorted(p.bars_done for p in progress)

    # Idempotent: the same backfiller knows the outages and does not even ask.
    assert second.written == 0
    assert second.requested == ()
    assert second.outages == REAL_OUTAGES
    assert klines_after_second == klines_after_first
    # A new process asks only for the outage ranges, gets nothing, writes nothing.
    assert fresh.written == fresh.fetched == 0
    assert fresh.requested == REAL_OUTAGES
    assert fresh.outages == REAL_OUTAGES
    # one page per outage range, and one request confirming that its first bar lies past the range
    assert server.requests["/api/v3/klines"] == klines_after_second + 2 * 5


async def test_resumes_after_a_failure_without_losing_or_duplicating(
    server: LoopbackBinance, store: SqliteStore, shared_data: Path
) -> None:
    since, until = ms("2021-04-10 00:00"), ms("2021-10-01 00:00")
    history = history_for(server, max_attempts=1)
    try:
        backfiller = Backfiller(history, store, "binance")
        server.fail_next(100, status=503, path_contains="klines", after=2)
        with pytest.raises(ExchangeUnavailable):
            await backfiller.backfill("ETH/USDT", "1h", since, until)
        partial_rows = stored_rows(store, "ETH/USDT", "1h")
        server.faults.clear()
        requests_before = len(server.request_log)
        result = await backfiller.backfill("ETH/USDT", "1h", since, until)
    finally:
        await history.close()

    expected = [r for r in source_rows(shared_data / "klines/1h/ETHUSDT-1h.csv.gz") if since <= r[0] < until]
    assert len(partial_rows) == 2000  # the two pages that arrived before the failure were kept
    assert partial_rows == expected[:2000]
    assert stored_rows(store, "ETH/USDT", "1h") == expected
    assert result.written == len(expected) - 2000
    assert result.already_stored == 2000
    pages = [q for p, q in server.request_log[requests_before:] if p == "/api/v3/klines" and "endTime" in q]
    resumed = [int(q["startTime"]) for q in pages]  # (an empty page's confirmation asks without an end)
    prefix_end = partial_rows[-1][0] + HOUR
    outages_in_prefix = [g.start_ms for g in REAL_OUTAGES if since <= g.start_ms < prefix_end]
    assert len(outages_in_prefix) == 2
    # The stored prefix is never fetched again: only its two outage holes are asked about, then the rest.
    assert resumed[:3] == [*outages_in_prefix, prefix_end]
    assert all(start >= prefix_end for start in resumed[2:])
    assert result.outages == tuple(g for g in REAL_OUTAGES if since <= g.start_ms < until)


async def test_range_before_listing_is_reported_not_an_outage(server: LoopbackBinance, store: SqliteStore) -> None:
    history = history_for(server)
    try:
        result = await Backfiller(history, store, "binance").backfill(
            "ICP/USDT", "1d", ms("2021-05-01 00:00"), ms("2021-06-01 00:00")
        )
    finally:
        await history.close()
    # ICPUSDT daily history starts on its listing day, 2021-05-11.
    assert result.before_first == Gap(ms("2021-05-01 00:00"), ms("2021-05-11 00:00"), 10)
    assert result.outages == ()
    assert result.after_last is None
    assert result.written == 21


async def test_until_defaults_to_the_last_closed_bar(server: LoopbackBinance, store: SqliteStore) -> None:
    history = history_for(server)
    now = ms("2021-04-05 03:30")
    try:
        result = await Backfiller(history, store, "binance", clock=FrozenClock(now)).backfill(
            "BTC/USDT", "1h", BTC_FIRST
        )
    finally:
        await history.close()
    assert result.until_ms == ms("2021-04-05 03:00")
    assert [r[0] for r in stored_rows(store, "BTC/USDT", "1h")] == [BTC_FIRST + i * HOUR for i in range(7)]


class ListHistory:
    """A plain HistorySource over a fixed candle list (no paging of its own): exercises the chunked path."""

    name = "list"

    def __init__(self, candles: Sequence[Candle]) -> None:
        self.candles = list(candles)
        self.calls: list[tuple[int, int | None]] = []

    async def markets(self) -> list[SymbolInfo]:
        return [SymbolInfo("X/USDT", "X", "USDT", "XUSDT")]

    async def fetch_candles(
        self, symbol: str, timeframe: str, since_ms: int, until_ms: int | None = None
    ) -> list[Candle]:
        self.calls.append((since_ms, until_ms))
        return [c for c in self.candles if c.open_time >= since_ms and (until_ms is None or c.open_time < until_ms)]

    async def fetch_tickers(self, symbols: Sequence[str] | None = None) -> list[TickerStats]:
        return []

    async def fetch_depth(self, symbol: str, limit: int = 1000) -> DepthSnapshot:
        return DepthSnapshot(symbol, 0, 0, (), ())

    async def close(self) -> None:
        return None


async def test_chunked_source_fills_only_missing_and_finds_outage(store: SqliteStore) -> None:
    minute = 60_000
    candles = [Candle(i * minute, 1.0 + i, 2.0 + i, 0.5 + i, 1.5 + i, 10.0) for i in range(300) if not 100 <= i < 105]
    history = ListHistory(candles)
    store.write_candles("binance", "X/USDT", "1m", candles[:50])
    result = await Backfiller(history, store, "binance", chunk_bars=100).backfill("X/USDT", "1m", 0, 300 * minute)
    assert history.calls == [(50 * minute, 150 * minute), (150 * minute, 250 * minute), (250 * minute, 300 * minute)]
    assert result.written == len(candles) - 50
    assert result.outages == (Gap(100 * minute, 105 * minute, 5),)
    assert [c.open_time for c in store.read_candles("binance", "X/USDT", "1m")] == [c.open_time for c in candles]


async def test_empty_range_does_nothing(store: SqliteStore) -> None:
    history = ListHistory([])
    result = await Backfiller(history, store, "binance").backfill("X/USDT", "1m", 10 * 60_000, 10 * 60_000)
    assert history.calls == []
    assert result.requested == ()
    assert result.stored == 0
