"""CcxtHistory against the loopback exchange when answers lie: 200 bodies that are not JSON (cut off, a proxy's
HTML page), empty pages where bars exist, and bans longer than `[exchange.reliability] max_wait_s`.

What ccxt itself does with such a body (4.5.90, checked against the loopback server): a body that does not parse
comes back from `fetch` as the raw text, and binance's `fetch_ohlcv` turns that into `[]` — an empty page — with
no error. Other versions raise `BadResponse`; both are covered below (the client's guard and the translation)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import ccxt
import pytest

from cryptoterm.adapters.errors import (
    ExchangeBanned,
    IncompleteHistoryError,
    IncompleteResponseError,
    translate_ccxt_error,
)
from tests.adapters.test_ccxt_history import BTC_1H_FIRST, HOUR, FakeTime, expected_candles, make_history, ohlc
from tests.loopback.http_server import LoopbackBinance

OUTAGE_DAY = 1618876800000  # 2021-04-20 00:00: the real BTCUSDT 1h file has no bars at 02:00 and 03:00


@pytest.fixture
async def server(shared_data: Path) -> AsyncIterator[LoopbackBinance]:
    async with LoopbackBinance(shared_data) as srv:
        yield srv


async def test_ccxt_reads_a_body_that_is_not_json_as_an_empty_page(server: LoopbackBinance) -> None:
    """The behaviour guarded against, shown on the real client without the guard."""
    import ccxt.async_support as ccxt_async

    from cryptoterm.adapters.ccxt_client import rebase_urls

    exchange = ccxt_async.binance({"options": {"defaultType": "spot", "fetchMarkets": ["spot"]}})
    exchange.urls["api"] = rebase_urls(exchange.urls["api"], server.url)
    try:
        await exchange.load_markets()
        for kind in ("truncated", "html"):
            server.corrupt_next(1, kind, "klines")
            assert await exchange.fetch_ohlcv("BTC/USDT", "1h", BTC_1H_FIRST, 1000) == []
    finally:
        await exchange.close()


@pytest.mark.parametrize("kind", ["truncated", "html"])
async def test_a_body_that_is_not_json_is_retried_and_nothing_is_lost(server: LoopbackBinance, kind: str) -> None:
    clock = FakeTime()
    history = make_history(server, clock, page_limit=100, backoff_initial_s=0.01, backoff_max_s=0.05)
    since, until = BTC_1H_FIRST, BTC_1H_FIRST + 350 * HOUR
    server.corrupt_next(2, kind, "klines", after=1)  # the second page, twice
    try:
        candles = await history.fetch_candles("BTC/USDT", "1h", since, until)
    finally:
        await history.close()
    assert ohlc(candles) == [row for row in expected_candles(server, "BTCUSDT", "1h") if since <= row[0] < until]
    assert history.stats.incomplete == 2 and len(clock.sleeps) == 2
    assert server.requests["/api/v3/klines"] == 4 + 2


async def test_bodies_that_stay_html_fail_naming_the_series(server: LoopbackBinance) -> None:
    history = make_history(server, FakeTime(), max_attempts=3, backoff_initial_s=0.01, backoff_max_s=0.01)
    await history.markets()
    server.corrupt_next(10, "html", "klines")
    try:
        with pytest.raises(IncompleteResponseError) as caught:
            await history.fetch_candles("BTC/USDT", "1h", BTC_1H_FIRST, BTC_1H_FIRST + 5 * HOUR)
    finally:
        await history.close()
    message = str(caught.value)
    assert "fetch_ohlcv BTC/USDT 1h" in message and "not the exchange's JSON (an HTML page of" in message
    assert "\n" not in message and "<html" not in message.lower()  # one line, and never the page itself
    assert server.requests["/api/v3/klines"] == 3


async def test_an_empty_page_where_bars_exist_is_retried(server: LoopbackBinance) -> None:
    history = make_history(server, FakeTime(), page_limit=100, backoff_initial_s=0.01, backoff_max_s=0.01)
    since, until = BTC_1H_FIRST, BTC_1H_FIRST + 250 * HOUR
    server.corrupt_next(1, "empty", "klines", after=1, only_with="endTime")  # a stale `[]` for the second page
    try:
        candles = await history.fetch_candles("BTC/USDT", "1h", since, until)
    finally:
        await history.close()
    assert ohlc(candles) == [row for row in expected_candles(server, "BTCUSDT", "1h") if since <= row[0] < until]
    assert history.stats.empty_pages_checked == 1


async def test_empty_pages_that_persist_where_bars_exist_are_a_failure_naming_the_window(
    server: LoopbackBinance,
) -> None:
    history = make_history(
        server, FakeTime(), page_limit=100, max_attempts=3, backoff_initial_s=0.01, backoff_max_s=0.01
    )
    server.corrupt_next(10, "empty", "klines", after=1, only_with="endTime")
    pages: list[int] = []
    try:
        with pytest.raises(IncompleteHistoryError) as caught:
            async for page in history.candle_pages("BTC/USDT", "1h", BTC_1H_FIRST, BTC_1H_FIRST + 250 * HOUR):
                pages.append(len(page))
    finally:
        await history.close()
    assert pages == [100]  # what came before the hole was delivered
    assert str(caught.value) == (
        "binance BTC/USDT 1h: 3 empty answers for the candles from 2021-04-09 00:00 UTC although the exchange has "
        "bars before 2021-04-15 06:00 UTC; history incomplete"
    )


async def test_an_empty_page_over_a_real_outage_is_the_end_not_an_error(server: LoopbackBinance) -> None:
    history = make_history(server, FakeTime())
    try:
        candles = await history.fetch_candles("BTC/USDT", "1h", OUTAGE_DAY + 2 * HOUR, OUTAGE_DAY + 4 * HOUR)
    finally:
        await history.close()
    assert candles == []
    assert history.stats.empty_pages_checked == 1 and history.stats.retries == 0
    assert server.requests["/api/v3/klines"] == 2  # the page, and the check that the next bar is at 04:00


def test_a_bad_response_ccxt_raises_is_the_same_retryable_error() -> None:
    for error in (ccxt.BadResponse("binance GET /klines: bad JSON"), ccxt.NullResponse("binance: empty")):
        assert isinstance(translate_ccxt_error(error), IncompleteResponseError)


async def test_a_ban_longer_than_max_wait_fails_at_once_saying_when_it_ends(server: LoopbackBinance) -> None:
    clock = FakeTime()
    now_ms = BTC_1H_FIRST + 10_000 * HOUR
    history = make_history(server, clock, now_ms=lambda: now_ms)  # max_wait_s: the default 120 s
    await history.markets()
    server.rate_limit_next(1, retry_after_s=86_400, status=418, path_contains="klines")
    try:
        with pytest.raises(ExchangeBanned) as caught:
            await history.fetch_candles("BTC/USDT", "1h", BTC_1H_FIRST, BTC_1H_FIRST + 3 * HOUR)
        with pytest.raises(ExchangeBanned):  # refused without asking: asking during a ban lengthens it
            await history.fetch_depth("BTC/USDT")
    finally:
        await history.close()
    until = datetime.fromtimestamp((now_ms + 86_400_000) / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    assert str(caught.value) == (
        f"binance fetch_ohlcv BTC/USDT 1h: the exchange refuses requests until {until} (a wait of 86,400 s, "
        "longer than [exchange.reliability] max_wait_s = 120 s); not waiting"
    )
    assert caught.value.until_ms == history.banned_until_ms == history.stats.banned_until_ms == now_ms + 86_400_000
    assert clock.sleeps == []  # no silent sleep through the ban
    assert server.requests["/api/v3/klines"] == 1 and server.requests["/api/v3/depth"] == 0


async def test_a_ban_that_has_ended_lets_requests_through(server: LoopbackBinance) -> None:
    clock = FakeTime()
    now = [BTC_1H_FIRST + 10_000 * HOUR]
    history = make_history(server, clock, now_ms=lambda: now[0])
    await history.markets()
    server.rate_limit_next(1, retry_after_s=600, status=429, path_contains="klines")
    try:
        with pytest.raises(ExchangeBanned):
            await history.fetch_candles("BTC/USDT", "1h", BTC_1H_FIRST, BTC_1H_FIRST + 3 * HOUR)
        now[0] += 601_000
        assert history.banned_until_ms == 0
        candles = await history.fetch_candles("BTC/USDT", "1h", BTC_1H_FIRST, BTC_1H_FIRST + 3 * HOUR)
    finally:
        await history.close()
    assert len(candles) == 3 and clock.sleeps == []
