"""CcxtHistory against the loopback exchange, and the translation of ccxt errors into project errors."""

from __future__ import annotations

import logging
import random
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import ccxt
import pytest

from cryptoterm.adapters.ccxt_history import CcxtHistory, rebase_urls
from cryptoterm.adapters.errors import (
    ExchangeUnavailable,
    RateLimitedError,
    RejectedError,
    RetryableError,
    parse_retry_after,
    redact,
    translate_ccxt_error,
)
from cryptoterm.config.schema import ExchangeConfig, ReliabilityConfig
from cryptoterm.domain.market import Candle
from tests.conftest import PROJECT_ROOT
from tests.loopback.http_server import LoopbackBinance


@pytest.mark.parametrize(
    "ccxt_error",
    [
        ccxt.NetworkError,
        ccxt.RequestTimeout,
        ccxt.ExchangeNotAvailable,
        ccxt.OnMaintenance,
        ccxt.InvalidNonce,
        ccxt.OperationFailed,
    ],
)
def test_network_errors_are_retryable(ccxt_error: type[Exception]) -> None:
    translated = translate_ccxt_error(ccxt_error("binance GET https://x/api/v3/klines 503"))
    assert isinstance(translated, ExchangeUnavailable)
    assert isinstance(translated, RetryableError)
    assert translated.retryable


@pytest.mark.parametrize("ccxt_error", [ccxt.DDoSProtection, ccxt.RateLimitExceeded])
def test_rate_limits_carry_retry_after(ccxt_error: type[Exception]) -> None:
    translated = translate_ccxt_error(ccxt_error("429 Too Many Requests"), retry_after_s=7.0)
    assert isinstance(translated, RateLimitedError)
    assert isinstance(translated, RetryableError)
    assert translated.retry_after_s == 7.0


def test_rate_limit_retry_after_read_from_message_when_no_header() -> None:
    translated = translate_ccxt_error(ccxt.DDoSProtection('418 {"Retry-After": "120"}'))
    assert isinstance(translated, RateLimitedError)
    assert translated.retry_after_s == 120.0


@pytest.mark.parametrize(
    "ccxt_error",
    [ccxt.ExchangeError, ccxt.BadSymbol, ccxt.BadRequest, ccxt.AuthenticationError, ccxt.PermissionDenied],
)
def test_exchange_refusals_are_rejected(ccxt_error: type[Exception]) -> None:
    translated = translate_ccxt_error(ccxt_error("binance {'code': -1121, 'msg': 'Invalid symbol.'}"))
    assert isinstance(translated, RejectedError)
    assert not translated.retryable


@pytest.mark.parametrize("raw", [TimeoutError("t"), OSError("unreachable"), ConnectionResetError("reset")])
def test_raw_network_errors_are_retryable(raw: Exception) -> None:
    assert isinstance(translate_ccxt_error(raw), ExchangeUnavailable)


def test_unknown_errors_are_not_retried() -> None:
    assert isinstance(translate_ccxt_error(ValueError("weird")), RejectedError)


def test_translated_errors_pass_through_unchanged() -> None:
    original = RateLimitedError("slow down", 3.0)
    assert translate_ccxt_error(original) is original


def test_messages_are_redacted() -> None:
    exc = ccxt.AuthenticationError(
        "binance GET https://api.binance.com/api/v3/account?timestamp=1&signature=abcdef0123 key MYSECRETKEY rejected"
    )
    translated = translate_ccxt_error(exc, secrets=("MYSECRETKEY",))
    text = str(translated)
    assert "abcdef0123" not in text
    assert "MYSECRETKEY" not in text
    assert "signature=***" in text
    assert "AuthenticationError" in text


def test_redact_handles_tokens_and_keys() -> None:
    text = redact("wss://x/ws?listenKey=abc123&token=zzz&symbol=BTCUSDT")
    assert "abc123" not in text
    assert "zzz" not in text
    assert "symbol=BTCUSDT" in text


@pytest.mark.parametrize(("value", "expected"), [("5", 5.0), (" 2.5 ", 2.5), ("soon", None), (None, None)])
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


# -- CcxtHistory against the loopback exchange (the real ccxt client; configuration only) ---------------

BTC_1H_FIRST = 1617566400000  # 2021-04-04 20:00 UTC, first bar of the real BTCUSDT 1h file
HOUR = 3_600_000


class FakeTime:
    """Monotonic seconds and a recorder of the sleeps a client asked for, so retries cost no wall time."""

    def __init__(self) -> None:
        self.now_s = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now_s

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now_s += seconds


@pytest.fixture
async def server(shared_data: Path) -> AsyncIterator[LoopbackBinance]:
    async with LoopbackBinance(shared_data) as srv:
        yield srv


def make_history(
    server: LoopbackBinance, clock: FakeTime | None = None, *, timeout_s: float = 10.0, failures: int = 5, **kw: Any
) -> CcxtHistory:
    config = ExchangeConfig(
        rest_url=server.url,
        reliability=ReliabilityConfig(
            request_timeout_s=timeout_s, breaker_failures=failures, breaker_open_s=30.0, breaker_successes=1
        ),
        **kw.pop("exchange", {}),
    )
    clock = clock or FakeTime()
    return CcxtHistory(config, sleep=clock.sleep, monotonic=clock.monotonic, rng=random.Random(5), **kw)


def expected_candles(
    server: LoopbackBinance, symbol: str, interval: str
) -> list[tuple[int, float, float, float, float]]:
    return [
        (int(r[0]), float(r[1]), float(r[2]), float(r[3]), float(r[4])) for r in server.series_rows(symbol, interval)
    ]


def ohlc(candles: list[Candle]) -> list[tuple[int, float, float, float, float]]:
    return [(c.open_time, c.open, c.high, c.low, c.close) for c in candles]


async def test_markets_loads_real_exchange_info(server: LoopbackBinance) -> None:
    history = make_history(server)
    try:
        markets = {m.symbol: m for m in await history.markets()}
    finally:
        await history.close()
    assert markets["BTC/USDT"].exchange_id == "BTCUSDT"
    assert markets["ETH/USDT"].base == "ETH"
    assert markets["ETH/USDT"].quote == "USDT"
    assert len(markets) > 1000
    assert server.requests["/api/v3/exchangeInfo"] == 1
    assert set(server.requests) == {"/api/v3/exchangeInfo"}


async def test_fetch_candles_pages_with_inclusive_since_exclusive_until(server: LoopbackBinance) -> None:
    history = make_history(server, page_limit=100)
    since = BTC_1H_FIRST + 10 * HOUR
    until = since + 350 * HOUR
    try:
        candles = await history.fetch_candles("BTC/USDT", "1h", since, until)
    finally:
        await history.close()
    expected = [row for row in expected_candles(server, "BTCUSDT", "1h") if since <= row[0] < until]
    assert ohlc(candles) == expected
    assert candles[0].open_time == since
    assert candles[-1].open_time == until - HOUR
    assert server.requests["/api/v3/klines"] == 4  # 100 + 100 + 100 + 50
    assert all(q["limit"] == "100" for path, q in server.request_log if path == "/api/v3/klines")


async def test_fetch_candles_keeps_real_outages_as_missing(server: LoopbackBinance) -> None:
    history = make_history(server)
    since = 1618876800000  # 2021-04-20 00:00, the outage after 01:00 (2 bars) lies inside
    try:
        candles = await history.fetch_candles("BTC/USDT", "1h", since, since + 6 * HOUR)
    finally:
        await history.close()
    times = [c.open_time for c in candles]
    assert times == [since, since + HOUR, since + 4 * HOUR, since + 5 * HOUR]


async def test_fetch_candles_twelve_column_daily_values(server: LoopbackBinance) -> None:
    history = make_history(server)
    try:
        candles = await history.fetch_candles("ETH/USDT", "1d", 0, None)
    finally:
        await history.close()
    assert ohlc(candles) == expected_candles(server, "ETHUSDT", "1d")
    assert len(candles) == 2007
    assert candles[0].volume == float(server.series_rows("ETHUSDT", "1d")[0][5])


async def test_fetch_candles_one_minute_windows(server: LoopbackBinance) -> None:
    rows = server.series_rows("BTCUSDT", "1m")
    assert len(rows) == 2 * 4319  # both binance.com windows; the Binance.US file is another exchange
    since = rows[4000][0]
    history = make_history(server)
    try:
        candles = await history.fetch_candles("BTC/USDT", "1m", since, since + 1000 * 60_000)
    finally:
        await history.close()
    # The first window ends 319 bars after `since`; the rest of the range is before the second window.
    assert ohlc(candles) == [(int(r[0]), float(r[1]), float(r[2]), float(r[3]), float(r[4])) for r in rows[4000:4319]]
    assert [c.volume for c in candles] == [float(r[5]) for r in rows[4000:4319]]


async def test_forming_candle_is_dropped(server: LoopbackBinance) -> None:
    frozen_now = BTC_1H_FIRST + 5 * HOUR + 30 * 60_000  # half-way through the sixth bar
    history = make_history(server, now_ms=lambda: frozen_now)
    try:
        candles = await history.fetch_candles("BTC/USDT", "1h", BTC_1H_FIRST, None)
    finally:
        await history.close()
    assert [c.open_time for c in candles] == [BTC_1H_FIRST + i * HOUR for i in range(5)]
    assert all(c.closed for c in candles)


async def test_rate_limit_honours_retry_after(server: LoopbackBinance) -> None:
    clock = FakeTime()
    history = make_history(server, clock, backoff_initial_s=0.01, backoff_max_s=0.05)
    server.rate_limit_next(2, retry_after_s=7, path_contains="klines")
    try:
        candles = await history.fetch_candles("BTC/USDT", "1h", BTC_1H_FIRST, BTC_1H_FIRST + 3 * HOUR)
    finally:
        await history.close()
    assert len(candles) == 3
    assert clock.sleeps and all(s >= 7 for s in clock.sleeps)
    assert len(clock.sleeps) == 2
    assert history.stats.rate_limited == 2
    assert server.requests["/api/v3/klines"] == 3


async def test_teapot_418_is_a_rate_limit_too(server: LoopbackBinance) -> None:
    clock = FakeTime()
    history = make_history(server, clock, backoff_initial_s=0.01, backoff_max_s=0.05)
    server.rate_limit_next(1, retry_after_s=120, status=418, path_contains="klines")
    try:
        candles = await history.fetch_candles("BTC/USDT", "1h", BTC_1H_FIRST, BTC_1H_FIRST + HOUR)
    finally:
        await history.close()
    assert len(candles) == 1
    assert clock.sleeps == [120.0]


async def test_server_errors_are_retried_with_backoff(server: LoopbackBinance) -> None:
    clock = FakeTime()
    history = make_history(server, clock, backoff_initial_s=1.0, backoff_max_s=8.0)
    server.fail_next(3, status=503, path_contains="klines")
    try:
        candles = await history.fetch_candles("BTC/USDT", "1h", BTC_1H_FIRST, BTC_1H_FIRST + 2 * HOUR)
    finally:
        await history.close()
    assert len(candles) == 2
    assert len(clock.sleeps) == 3
    assert all(0 <= s <= cap for s, cap in zip(clock.sleeps, (1.0, 2.0, 4.0), strict=True))
    assert history.stats.retries == 3
    assert history.backoff.attempts == 0  # reset by the success


async def test_persistent_errors_give_up_after_max_attempts(server: LoopbackBinance) -> None:
    clock = FakeTime()
    history = make_history(server, clock, max_attempts=3, backoff_initial_s=0.1, backoff_max_s=0.1)
    await history.markets()
    server.fail_next(10, status=500, path_contains="klines")
    try:
        with pytest.raises(ExchangeUnavailable, match="Internal error"):
            await history.fetch_candles("BTC/USDT", "1h", BTC_1H_FIRST, BTC_1H_FIRST + HOUR)
    finally:
        await history.close()
    assert server.requests["/api/v3/klines"] == 3


async def test_circuit_breaker_opens_then_probes(server: LoopbackBinance) -> None:
    clock = FakeTime()
    history = make_history(server, clock, failures=2, max_attempts=5, backoff_initial_s=0.1, backoff_max_s=0.1)
    await history.markets()
    server.fail_next(2, status=502, path_contains="klines")
    try:
        with pytest.raises(ExchangeUnavailable):
            await history.fetch_candles("BTC/USDT", "1h", BTC_1H_FIRST, BTC_1H_FIRST + HOUR)
        assert history.breaker.state == "open"
        assert server.requests["/api/v3/klines"] == 2
        with pytest.raises(ExchangeUnavailable, match="circuit open"):
            await history.fetch_candles("BTC/USDT", "1h", BTC_1H_FIRST, BTC_1H_FIRST + HOUR)
        assert server.requests["/api/v3/klines"] == 2  # refused without touching the exchange
        clock.now_s += 31.0
        candles = await history.fetch_candles("BTC/USDT", "1h", BTC_1H_FIRST, BTC_1H_FIRST + HOUR)
    finally:
        await history.close()
    assert len(candles) == 1
    assert history.breaker.state == "closed"
    assert history.stats.breaker_rejections == 1


async def test_slow_response_times_out_and_is_retried(server: LoopbackBinance) -> None:
    clock = FakeTime()
    history = make_history(server, clock, timeout_s=1.0, backoff_initial_s=0.01, backoff_max_s=0.01)
    await history.markets()
    server.slow_next(1, delay_s=2.0, path_contains="klines")
    try:
        candles = await history.fetch_candles("BTC/USDT", "1h", BTC_1H_FIRST, BTC_1H_FIRST + 2 * HOUR)
    finally:
        await history.close()
    assert len(candles) == 2
    assert history.stats.retries >= 1  # the slow answer was abandoned at the client's timeout
    assert server.requests["/api/v3/klines"] >= 2
    assert len(clock.sleeps) == history.stats.retries  # each retry waited its backoff first


async def test_unknown_symbol_is_rejected_without_retry(server: LoopbackBinance) -> None:
    clock = FakeTime()
    history = make_history(server, clock)
    try:
        with pytest.raises(RejectedError, match="NOPE/USDT"):
            await history.fetch_candles("NOPE/USDT", "1h", BTC_1H_FIRST, None)
    finally:
        await history.close()
    assert clock.sleeps == []
    assert server.requests["/api/v3/klines"] == 0


async def test_timeframe_the_exchange_lacks_is_rejected(server: LoopbackBinance) -> None:
    history = make_history(server)
    try:
        with pytest.raises(RejectedError, match="'2d'"):
            await history.fetch_candles("BTC/USDT", "2d", BTC_1H_FIRST, None)
        with pytest.raises(ValueError, match="unknown timeframe"):
            await history.fetch_candles("BTC/USDT", "7x", BTC_1H_FIRST, None)
    finally:
        await history.close()


async def test_tickers_from_recorded_responses(server: LoopbackBinance) -> None:
    history = make_history(server)
    try:
        tickers = {t.symbol: t for t in await history.fetch_tickers(["BTC/USDT", "BNB/USDT"])}
    finally:
        await history.close()
    assert tickers["BTC/USDT"].last == 73369.84
    assert tickers["BTC/USDT"].open_24h == 72181.09
    assert tickers["BTC/USDT"].quote_volume_24h == pytest.approx(5167027510.687287)
    assert tickers["BNB/USDT"].bid == 553.7
    assert tickers["BNB/USDT"].ask == 553.8


async def test_depth_snapshot_carries_last_update_id(server: LoopbackBinance) -> None:
    history = make_history(server)
    try:
        book = await history.fetch_depth("BTC/USDT", limit=5)
    finally:
        await history.close()
    assert book.last_update_id == 50093239218
    assert book.bids[0] == (61837.63, 3.78826)
    assert book.asks[0] == (61837.64, 1.54698)
    assert len(book.bids) == len(book.asks) == 5
    assert server.request_log[-1] == ("/api/v3/depth", {"symbol": "BTCUSDT", "limit": "5"})


async def test_api_key_never_reaches_logs(server: LoopbackBinance, caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeTime()
    history = make_history(
        server,
        clock,
        backoff_initial_s=0.01,
        backoff_max_s=0.01,
        exchange={"api_key": "KEYabc123SECRETVALUE", "api_secret": "SECRETxyz789"},
    )
    server.rate_limit_next(1, retry_after_s=1, path_contains="klines")
    caplog.set_level(logging.DEBUG)
    try:
        candles = await history.fetch_candles("BTC/USDT", "1h", BTC_1H_FIRST, BTC_1H_FIRST + HOUR)
    finally:
        await history.close()
    assert len(candles) == 1
    assert "retry 1" in caplog.text
    ccxt_records = [r for r in caplog.records if r.name == "cryptoterm.adapters.ccxt_history.ccxt"]
    assert ccxt_records  # ccxt's own debug lines went through the redacting logger
    # ccxt prints request headers at DEBUG; a signed request would carry the key in X-MBX-APIKEY.
    logging.getLogger("cryptoterm.adapters.ccxt_history.ccxt").debug(
        "%s %s, Request: %s", "GET", "http://x/sapi?signature=abc", {"X-MBX-APIKEY": "KEYabc123SECRETVALUE"}
    )
    assert "X-MBX-APIKEY': '***'" in caplog.text
    assert "signature=***" in caplog.text
    assert "KEYabc123SECRETVALUE" not in caplog.text
    assert "SECRETxyz789" not in caplog.text
    assert "KEYabc123SECRETVALUE" not in repr(history)


async def test_unknown_exchange_id_is_rejected() -> None:
    history = CcxtHistory(ExchangeConfig(id="no_such_exchange"))
    with pytest.raises(RejectedError, match="no_such_exchange"):
        await history.markets()
    await history.close()


async def test_close_is_idempotent(server: LoopbackBinance) -> None:
    history = make_history(server)
    await history.markets()
    await history.close()
    await history.close()
    assert history._exchange is None


def test_rebase_urls_keeps_paths() -> None:
    urls = {
        "public": "https://api.binance.com/api/v3",
        "fapiPublic": "https://fapi.binance.com/fapi/v1",
        "nested": {"x": "https://a.example/p/q"},
        "other": 3,
    }
    rebased = rebase_urls(urls, "http://127.0.0.1:9999/")
    assert rebased == {
        "public": "http://127.0.0.1:9999/api/v3",
        "fapiPublic": "http://127.0.0.1:9999/fapi/v1",
        "nested": {"x": "http://127.0.0.1:9999/p/q"},
        "other": 3,
    }


def test_importing_the_adapters_does_not_import_ccxt() -> None:
    code = (
        "import sys\n"
        "import cryptoterm.adapters.ccxt_history, cryptoterm.adapters.ccxt_stream, cryptoterm.headless.download\n"
        "print(sorted(m for m in sys.modules if m == 'ccxt' or m.startswith('ccxt.') or m == 'textual'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT)
    assert out.stdout.strip() == "[]"
