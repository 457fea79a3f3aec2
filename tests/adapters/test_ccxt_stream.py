"""CcxtStream driving the real ccxt.pro client against a loopback websocket server replaying recorded
Binance messages (trades, a 24h ticker, diff depth with its REST snapshot), plus the dict translations."""

from __future__ import annotations

import asyncio
import gzip
import json
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import Server, ServerConnection, serve

from cryptoterm.adapters.ccxt_client import ticker_from_ccxt
from cryptoterm.adapters.ccxt_stream import CcxtStream, book_from_ccxt, trades_from_ccxt
from cryptoterm.config.schema import ExchangeConfig, ReliabilityConfig
from cryptoterm.domain.market import DepthSnapshot, MarketEvent, TickerStats, Trade
from tests.loopback.http_server import LoopbackBinance

SPOT_0808 = "ws/hftbacktest_binance-spot_btcusdt_2024-08-08.jsonl.gz"


@dataclass
class RecordedWs:
    """Binance's raw-stream endpoint (`/ws`): answers SUBSCRIBE and replays recorded payloads per stream."""

    streams: dict[str, list[dict[str, Any]]]
    drop_after: int | None = None  # close the first connection after this many messages
    replay_from_on_reconnect: int = 0
    pace_s: float = 0.0  # pause between messages, so a watcher sees them arrive over time
    connections: int = 0
    subscriptions: list[list[str]] = field(default_factory=list)
    server: Server | None = None

    async def handler(self, ws: ServerConnection) -> None:
        self.connections += 1
        first = self.connections == 1
        async for raw in ws:
            message = json.loads(raw)
            if message.get("method") != "SUBSCRIBE":
                continue
            params: list[str] = message["params"]
            self.subscriptions.append(params)
            known = [p for p in params if p in self.streams]
            if len(known) < len(params):
                await ws.send(
                    json.dumps({"error": {"code": 2, "msg": f"Invalid request: {params}"}, "id": message["id"]})
                )
                continue
            await ws.send(json.dumps({"result": None, "id": message["id"]}))
            for stream in known:
                payloads = self.streams[stream]
                start = 0 if first else self.replay_from_on_reconnect
                for index, payload in enumerate(payloads[start:], start):
                    if first and self.drop_after is not None and index >= self.drop_after:
                        await ws.close()
                        return
                    await ws.send(json.dumps(payload))
                    if self.pace_s:
                        await asyncio.sleep(self.pace_s)

    @property
    def url(self) -> str:
        assert self.server is not None
        port = next(iter(self.server.sockets)).getsockname()[1]
        return f"ws://127.0.0.1:{port}"


def recorded(shared_data: Path, name: str, stream_suffix: str, limit: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    with gzip.open(shared_data / name, "rt") as fh:
        for line in fh:
            msg = json.loads(line)["msg"]
            if msg.get("stream", "").endswith(stream_suffix):
                out.append(msg["data"])
                if len(out) >= limit:
                    break
    return out


@pytest.fixture
async def rest(shared_data: Path) -> AsyncIterator[LoopbackBinance]:
    async with LoopbackBinance(shared_data) as srv:
        yield srv


async def start_ws(recording: RecordedWs) -> Server:
    recording.server = await serve(recording.handler, "127.0.0.1", 0).__aenter__()
    return recording.server


async def no_wait(_: float) -> None:
    await asyncio.sleep(0)


def stream_for(rest: LoopbackBinance, ws: RecordedWs, symbols: list[str], channels: list[Any]) -> CcxtStream:
    config = ExchangeConfig(
        rest_url=rest.url,
        ws_url=ws.url,
        reliability=ReliabilityConfig(backoff_initial_s=0.01, backoff_max_s=0.02, breaker_failures=20),
    )
    return CcxtStream(config, symbols, channels=channels, sleep=no_wait)


async def collect(stream: CcxtStream, count: int, kind: type, timeout: float = 15.0) -> list[Any]:
    events: list[MarketEvent] = []

    async def run() -> None:
        async for batch in stream.batches():
            events.extend(e for e in batch if isinstance(e, kind))
            if len(events) >= count:
                return

    await asyncio.wait_for(run(), timeout)
    return events


async def test_recorded_trades_arrive_in_order(rest: LoopbackBinance, shared_data: Path) -> None:
    payloads = recorded(shared_data, SPOT_0808, "@trade", 200)
    ws = RecordedWs({"btcusdt@trade": payloads})
    server = await start_ws(ws)
    stream = stream_for(rest, ws, ["BTC/USDT"], ["trades"])
    try:
        trades: list[Trade] = await collect(stream, 200, Trade)
        health = stream.health()[0]
    finally:
        await stream.close()
        server.close()
    assert [t.trade_id for t in trades] == [p["t"] for p in payloads]
    assert [t.price for t in trades] == [float(p["p"]) for p in payloads]
    assert [t.qty for t in trades] == [float(p["q"]) for p in payloads]
    assert [t.side for t in trades] == ["sell" if p["m"] else "buy" for p in payloads]
    assert [t.ts for t in trades] == [p["T"] for p in payloads]
    assert {t.symbol for t in trades} == {"BTC/USDT"}
    assert ws.subscriptions == [["btcusdt@trade"]]
    assert health.messages == 200
    assert health.state == "connected"
    assert stream.health()[0].state == "closed"


async def test_reconnects_and_drops_resent_trades(rest: LoopbackBinance, shared_data: Path) -> None:
    payloads = recorded(shared_data, SPOT_0808, "@trade", 200)
    ws = RecordedWs({"btcusdt@trade": payloads}, drop_after=100, replay_from_on_reconnect=80)
    server = await start_ws(ws)
    stream = stream_for(rest, ws, ["BTC/USDT"], ["trades"])
    try:
        trades: list[Trade] = await collect(stream, 200, Trade)
        health = stream.health()[0]
    finally:
        await stream.close()
        server.close()
    assert [t.trade_id for t in trades] == [p["t"] for p in payloads]  # no gap, no duplicate
    assert ws.connections == 2
    assert stream.duplicates == 20
    assert health.reconnects >= 1
    assert health.errors >= 1


async def test_recorded_ticker(rest: LoopbackBinance, shared_data: Path) -> None:
    event = json.loads((shared_data / "ws/misc_binance_spot_24hrTicker_2024-03-22.jsonl").read_text())
    ws = RecordedWs({"bnbusdt@ticker": [event]})
    server = await start_ws(ws)
    stream = stream_for(rest, ws, ["BNB/USDT"], ["ticker"])
    try:
        (ticker,) = await collect(stream, 1, TickerStats)
    finally:
        await stream.close()
        server.close()
    assert ticker.symbol == "BNB/USDT"
    assert ticker.last == 553.8
    assert ticker.open_24h == 557.7
    assert ticker.high_24h == 588.1
    assert ticker.low_24h == 541.7
    assert ticker.bid == 553.7
    assert ticker.ask == 553.8
    assert ticker.quote_volume_24h == pytest.approx(667153813.1442)
    assert ticker.ts == event["C"]


async def test_order_book_from_snapshot_and_recorded_diffs(rest: LoopbackBinance, shared_data: Path) -> None:
    diffs = recorded(shared_data, SPOT_0808, "@depth@100ms", 200)
    ws = RecordedWs({"btcusdt@depth@100ms": diffs}, pace_s=0.005)
    server = await start_ws(ws)
    stream = stream_for(rest, ws, ["BTC/USDT"], ["book"])
    try:
        books: list[DepthSnapshot] = await collect(stream, 5, DepthSnapshot)
    finally:
        await stream.close()
        server.close()
    assert rest.requests["/api/v3/depth"] >= 1  # ccxt.pro fetched the real snapshot over REST
    last = books[-1]
    applied = {d["u"] for d in diffs}
    assert all(b.last_update_id in applied for b in books)  # each book is the snapshot plus whole diffs
    assert last.last_update_id > books[0].last_update_id > 50093239218  # past the snapshot's lastUpdateId
    assert len(last.bids) == len(last.asks) == 20  # [exchange].depth_levels
    assert last.bids[0][0] < last.asks[0][0]
    assert all(a[0] < b[0] for a, b in zip(last.asks, last.asks[1:], strict=False))


async def test_unknown_symbol_stops_only_that_watcher(rest: LoopbackBinance, shared_data: Path) -> None:
    payloads = recorded(shared_data, SPOT_0808, "@trade", 10)
    ws = RecordedWs({"btcusdt@trade": payloads})
    server = await start_ws(ws)
    stream = stream_for(rest, ws, ["NOPE/USDT", "BTC/USDT"], ["trades"])
    try:
        trades = await collect(stream, 10, Trade)
        health = stream.health()[0]
    finally:
        await stream.close()
        server.close()
    assert len(trades) == 10
    assert "NOPE/USDT trades" in health.detail
    assert health.errors == 1


def test_translations() -> None:
    raw = [
        {"id": "5", "timestamp": 1000, "price": 10.0, "amount": 2.0, "side": "buy"},
        {"id": "6", "timestamp": 1001, "price": 11.0, "amount": 1.0, "side": "sell"},
        {"id": "4", "timestamp": 999, "price": 9.0, "amount": 1.0, "side": "buy"},
    ]
    trades, last = trades_from_ccxt("X/USDT", raw, after_id=4)
    assert [(t.trade_id, t.side) for t in trades] == [(5, "buy"), (6, "sell")]
    assert last == 6
    no_ids, _ = trades_from_ccxt("X/USDT", [{"id": "a-b", "timestamp": 1, "price": 1.0, "amount": 1.0}])
    assert no_ids[0].trade_id == 0

    ticker = ticker_from_ccxt("X/USDT", {"last": 2.0, "open": 1.0, "bid": None}, now_ms=77)
    assert ticker.ts == 77
    assert ticker.change_pct == pytest.approx(100.0)
    assert math.isnan(ticker.bid)

    book = book_from_ccxt("X/USDT", {"bids": [[3, 1], [2, 1], [1, 1]], "asks": [[4, 1]], "nonce": 9}, 2, 5)
    assert book == DepthSnapshot("X/USDT", 5, 9, ((3.0, 1.0), (2.0, 1.0)), ((4.0, 1.0),))


def test_rejects_unknown_channel() -> None:
    with pytest.raises(ValueError, match="unknown channel"):
        CcxtStream(ExchangeConfig(), ["BTC/USDT"], channels=["candles"])  # type: ignore[list-item]
