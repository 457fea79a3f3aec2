"""USDⓈ-M mark price, funding and open interest: the `@markPrice@1s` stream decoded and subscribed on a loopback
Binance websocket carrying a real USDⓈ-M recording, and `premiumIndex` / `openInterest` read by the real ccxt
client from a loopback REST exchange serving the recorded bodies.

No real `markPriceUpdate` capture exists in ../shared/data: the messages here are built field for field as
Binance documents the stream (event type, event time, symbol, mark, index, estimated settle price, funding rate,
next funding time, numbers as strings), with prices near the real SUSHIUSDT trades of the recording they join.
"""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path

import pytest

from cryptoterm.adapters.binance.decode import BinanceDecoder, RejectedValue
from cryptoterm.adapters.binance.ws_stream import BinanceStream
from cryptoterm.adapters.ccxt_futures import CcxtFutures
from cryptoterm.adapters.errors import RejectedError
from cryptoterm.config.schema import ExchangeConfig, ReliabilityConfig
from cryptoterm.domain.market import MarketEvent, MarkPrice
from tests.loopback.binance_usdm_api import LoopbackUsdm
from tests.loopback.ws_server import BinanceWsServer, RecordedStreamMessage, load_stream_messages

USDM_CF = "ws/cryptofeed_binance-usdm.jsonl.gz"
#: Binance's documented example of a `markPriceUpdate` payload.
DOCUMENTED = (
    b'{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000","i":"11784.62659091",'
    b'"P":"11784.25641265","r":"0.00038167","T":1562306400000}'
)


def test_the_documented_message_decodes_on_its_stream_and_bare() -> None:
    decoder = BinanceDecoder()
    expected = MarkPrice("BTC/USDT", 1562305380000, 11794.15, 11784.62659091, 0.00038167, 1562306400000)
    wrapped = b'{"stream":"btcusdt@markPrice@1s","data":' + DOCUMENTED + b"}"
    assert decoder.decode(wrapped, 1562305380100) == [expected]
    assert decoder.decode(DOCUMENTED, 1562305380100) == [expected]


def test_no_funding_is_nan_and_impossible_values_are_rejected() -> None:
    decoder = BinanceDecoder()
    delivery = json.loads(DOCUMENTED)
    delivery.update(r="", i="", T=0)
    (event,) = decoder.decode(json.dumps(delivery).encode(), 0)  # type: ignore[misc]
    assert math.isnan(event.funding_rate) and math.isnan(event.index_price) and event.next_funding_ms == 0
    for field, value in (("r", "2.5"), ("r", "abc"), ("i", "-1"), ("p", "NaN")):
        bad = json.loads(DOCUMENTED)
        bad[field] = value
        with pytest.raises(RejectedValue):
            decoder.decode(json.dumps(bad).encode(), 0)


def _mark_message(event_ms: int, mark: float, rate: float) -> RecordedStreamMessage:
    data = {
        "e": "markPriceUpdate",
        "E": event_ms,
        "s": "SUSHIUSDT",
        "p": f"{mark:.8f}",
        "i": f"{mark * 0.9998:.8f}",
        "P": f"{mark * 0.9999:.8f}",
        "r": f"{rate:.8f}",
        "T": 1627012800000,  # the next 8-hourly funding after the recording (2021-07-23 04:00 UTC)
    }
    payload = json.dumps(data, separators=(",", ":")).encode()
    raw = b'{"stream":"sushiusdt@markPrice@1s","data":' + payload + b"}"
    return RecordedStreamMessage("sushiusdt@markPrice@1s", payload, raw, -1)


async def test_the_stream_subscribes_mark_prices_and_delivers_them(shared_data: Path) -> None:
    """Mark prices are snapshots (a queued one is replaced by a newer one), so the server holds each mark until
    the client has seen the one before: every mark sent is then delivered, however fast the machine."""
    recorded = load_stream_messages(shared_data / USDM_CF)
    messages: list[RecordedStreamMessage] = []
    mark_positions: list[int] = []
    for index, message in enumerate(recorded):
        messages.append(message)
        if index % 100 == 50:  # about one a second, as the stream sends them
            event_ms = json.loads(message.data).get("E", 1626992741017)
            mark_positions.append(len(messages))
            messages.append(_mark_message(event_ms, 7.61 + index / 10_000, 0.0001 * (1 + index % 3)))
    seen = [asyncio.Event() for _ in mark_positions]
    hold = {position: seen[k] for k, position in enumerate(mark_positions[1:])}
    reliability = ReliabilityConfig(backoff_initial_s=0.01, backoff_max_s=0.05)
    async with BinanceWsServer(messages, hold_before=hold) as server:
        config = ExchangeConfig(market="usdm", trade_stream="aggTrade", ws_url=server.url, reliability=reliability)
        stream = BinanceStream(config, ["SUSHI/USDT"], depth=False, mark_price=True)
        assert "sushiusdt@markPrice@1s" in stream.streams()
        events: list[MarketEvent] = []
        async with asyncio.timeout(60):  # a hang guard, not a deadline
            async for batch in stream.batches():
                events.extend(batch)
                count = sum(type(e) is MarkPrice for e in events)
                for k in range(count):
                    seen[k].set()
                if count >= 5:
                    break
        await stream.close()
    assert any("markPrice@1s" in path for path in server.paths)
    marks = [e for e in events if type(e) is MarkPrice]
    assert all(m.symbol == "SUSHI/USDT" and m.next_funding_ms == 1627012800000 for m in marks)
    assert len(marks) >= 5  # none replaced by a newer one: each was held until the one before it arrived
    assert [m.mark for m in marks[:3]] == pytest.approx([7.615, 7.625, 7.635])  # recording indexes 50, 150, 250
    assert [m.funding_rate for m in marks[:3]] == pytest.approx([0.0003, 0.0001, 0.0002])
    assert [m.ts for m in marks] == sorted(m.ts for m in marks)
    assert not BinanceStream(config, ["SUSHI/USDT"]).streams().count("sushiusdt@markPrice@1s")  # off unless asked


async def test_ccxt_reads_every_perpetuals_funding_in_one_request_and_open_interest(shared_data: Path) -> None:
    async with LoopbackUsdm(shared_data) as server:
        eth = dict(server.premium, symbol="ETHUSDT", markPrice="2400.10000000", lastFundingRate="-0.00010000")
        server.premium_rows.append(eth)
        futures = CcxtFutures(ExchangeConfig(market="usdm", rest_url=server.url))
        try:
            markets = await futures.markets()
            marks = {m.symbol: m for m in await futures.premium_index()}
            interest = await futures.open_interest("BTC/USDT")
            with pytest.raises(RejectedError) as refused:
                await futures.open_interest("ETH/USDT")
        finally:
            await futures.close()
    assert len(markets) > 100 and all(m.kind == "perp" for m in markets)
    assert "BTC/USDT" in {m.symbol for m in markets}
    assert server.requests["/fapi/v1/premiumIndex"] == 1  # every perpetual in one answer
    btc = marks["BTC/USDT"]
    assert btc == MarkPrice("BTC/USDT", 1597370495002, 11793.63104562, 11781.8049597, 0.00038246, 1597392000000)
    assert marks["ETH/USDT"].funding_rate == -0.0001
    assert interest.symbol == "BTC/USDT" and interest.qty == 10659.509 and interest.ts == 1589437530011
    assert "\n" not in str(refused.value)
