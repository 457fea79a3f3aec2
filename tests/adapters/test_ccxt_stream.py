"""CcxtStream driving the real ccxt.pro client against a loopback websocket server replaying recorded
Binance messages (trades, a 24h ticker, diff depth with its REST snapshot), plus the dict translations."""

from __future__ import annotations

import asyncio
import gzip
import json
import math
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from cryptoterm.adapters.ccxt_client import ticker_from_ccxt
from cryptoterm.adapters.ccxt_stream import CcxtStream, book_from_ccxt, trades_from_ccxt
from cryptoterm.config.schema import ExchangeConfig, ReliabilityConfig
from cryptoterm.domain.market import DepthSnapshot, MarketEvent, Reconnected, TickerStats, Trade
from tests.loopback.http_server import LoopbackBinance

SPOT_0808 = "ws/hftbacktest_binance-spot_btcusdt_2024-08-08.jsonl.gz"
T0 = 1_723_161_600_000  # 2024-08-09 00:00 UTC


@dataclass
class RecordedWs:
    """Binance's raw-stream endpoint (`/ws`): answers SUBSCRIBE and replays recorded payloads, each subscribed
    stream from its own task (as the exchange interleaves them). ccxt.pro may spread streams over several
    connections, so the faults apply to the first connection that carries a stream."""

    streams: dict[str, list[dict[str, Any]]]
    drop_after: int | None = None  # close a stream's first connection after this many of its messages
    #: A stream's first connection goes silent after this many of its messages (the connection stays open).
    stall_after: dict[str, int] = field(default_factory=dict)
    replay_from_on_reconnect: int = 0
    pace_s: float = 0.0  # pause between messages, so a watcher sees them arrive over time
    connections: int = 0
    subscriptions: list[list[str]] = field(default_factory=list)
    served: Counter[str] = field(default_factory=Counter)
    server: Server | None = None

    async def handler(self, ws: ServerConnection) -> None:
        self.connections += 1
        pumps: list[asyncio.Task[None]] = []
        try:
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
                    pumps.append(asyncio.create_task(self._pump(ws, stream, self.served[stream] == 0)))
                    self.served[stream] += 1
        except ConnectionClosed:
            pass
        finally:
            for pump in pumps:
                pump.cancel()

    async def _pump(self, ws: ServerConnection, stream: str, first: bool) -> None:
        payloads = self.streams[stream]
        start = 0 if first else self.replay_from_on_reconnect
        silent_from = self.stall_after.get(stream) if first else None
        try:
            for index, payload in enumerate(payloads[start:], start):
                if first and self.drop_after is not None and index >= self.drop_after:
                    await ws.close()
                    return
                if silent_from is not None and index >= silent_from:
                    return  # silent from here on; the library still answers pings
                await ws.send(json.dumps(payload))
                if self.pace_s:
                    await asyncio.sleep(self.pace_s)
        except ConnectionClosed:
            return

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


def stream_for(
    rest: LoopbackBinance, ws: RecordedWs, symbols: list[str], channels: list[Any], stall_after_s: float = 30.0
) -> CcxtStream:
    reliability = ReliabilityConfig(
        backoff_initial_s=0.01, backoff_max_s=0.02, breaker_failures=20, stall_after_s=stall_after_s
    )
    config = ExchangeConfig(rest_url=rest.url, ws_url=ws.url, reliability=reliability)
    return CcxtStream(config, symbols, channels=channels, sleep=no_wait)


async def collect_until(stream: CcxtStream, done: Any) -> list[MarketEvent]:
    """Every event until `done(events)` (a generous hang guard, not a speed assertion)."""
    events: list[MarketEvent] = []

    async def run() -> None:
        async for batch in stream.batches():
            events.extend(batch)
            if done(events):
                return

    await asyncio.wait_for(run(), 120)
    return events


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


async def test_a_silent_connection_is_replaced_and_every_trade_arrives_once(
    rest: LoopbackBinance, shared_data: Path
) -> None:
    """The first connection goes silent after 100 trades but stays open (pings answered): after `stall_after_s`
    the stream fails it, the watcher reconnects, a gap marker comes first, and the 80 trades the new connection
    resends are dropped as duplicates."""
    payloads = recorded(shared_data, SPOT_0808, "@trade", 200)
    ws = RecordedWs({"btcusdt@trade": payloads}, stall_after={"btcusdt@trade": 100}, replay_from_on_reconnect=20)
    server = await start_ws(ws)
    stream = stream_for(rest, ws, ["BTC/USDT"], ["trades"], stall_after_s=1.0)
    try:
        events = await collect_until(stream, lambda ev: sum(1 for e in ev if type(e) is Trade) >= 200)
        health = stream.health()[0]
    finally:
        await stream.close()
        server.close()
    assert [e.trade_id for e in events if type(e) is Trade] == [p["t"] for p in payloads]  # type: ignore[union-attr]
    assert health.stalls >= 1 and ws.connections >= 2 and stream.duplicates >= 80
    markers = [i for i, e in enumerate(events) if type(e) is Reconnected]
    assert markers and sum(1 for e in events[: markers[0]] if type(e) is Trade) == 100  # where it went silent


async def test_a_continuous_channel_gone_silent_is_a_stall_while_trades_flow(
    rest: LoopbackBinance, shared_data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The ticker (an exchange updates it every second) stops after one update on the first connection while
    trades keep coming: the channel's own silence is the stall, and after the reconnect tickers flow again."""
    trades = recorded(shared_data, SPOT_0808, "@trade", 150)  # 3 s at 20 ms each: the stall comes first
    event = json.loads((shared_data / "ws/misc_binance_spot_24hrTicker_2024-03-22.jsonl").read_text())
    event |= {"s": "BTCUSDT"}
    streams = {"btcusdt@trade": trades, "btcusdt@ticker": [event] * 150}
    # a new connection resends everything (however far the first got): the repeats are dropped as duplicates
    ws = RecordedWs(streams, stall_after={"btcusdt@ticker": 1}, pace_s=0.02)
    server = await start_ws(ws)
    stream = stream_for(rest, ws, ["BTC/USDT"], ["trades", "ticker"], stall_after_s=1.0)

    def done(events: list[MarketEvent]) -> bool:
        return (
            sum(1 for e in events if type(e) is TickerStats) >= 3 and sum(1 for e in events if type(e) is Trade) >= 150
        )

    try:
        events = await collect_until(stream, done)
        health = stream.health()[0]
    finally:
        await stream.close()
        server.close()
    assert [e.trade_id for e in events if type(e) is Trade] == [p["t"] for p in trades]  # type: ignore[union-attr]
    assert health.stalls >= 1 and ws.connections >= 2
    assert any("no ticker update for BTC/USDT" in r.getMessage() for r in caplog.records)


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
        {"id": "5", "timestamp": T0, "price": 10.0, "amount": 2.0, "side": "buy"},
        {"id": "6", "timestamp": T0 + 1, "price": 11.0, "amount": 1.0, "side": "sell"},
        {"id": "4", "timestamp": T0 - 1, "price": 9.0, "amount": 1.0, "side": "buy"},
    ]
    trades, rejected = trades_from_ccxt("X/USDT", raw)
    assert [(t.trade_id, t.side) for t in trades] == [(5, "buy"), (6, "sell"), (4, "buy")] and not rejected
    no_ids, _ = trades_from_ccxt("X/USDT", [{"id": "a-b", "timestamp": T0, "price": 1.0, "amount": 1.0}])
    assert no_ids[0].trade_id == 0
    bad = [
        {"id": "7", "timestamp": T0, "price": float("nan"), "amount": 1.0},
        {"id": "8", "timestamp": T0, "price": 1.0, "amount": -2.0},
        {"id": str(10**20), "timestamp": T0, "price": 1.0, "amount": 1.0},
        {"id": "9", "timestamp": 99_999_999_999_999, "price": 1.0, "amount": 1.0},
        {"id": "10", "timestamp": T0, "price": 1.0, "amount": 1.0},
    ]
    kept, rejected = trades_from_ccxt("X/USDT", bad, recv_ms=T0)
    assert [t.trade_id for t in kept] == [10]
    assert [r.kind for r in rejected] == [
        "X/USDT trade price",
        "X/USDT trade qty",
        "X/USDT trade id",
        "X/USDT trade time",
    ]

    ticker = ticker_from_ccxt("X/USDT", {"last": 2.0, "open": 1.0, "bid": None}, now_ms=77)
    assert ticker.ts == 77
    assert ticker.change_pct == pytest.approx(100.0)
    assert math.isnan(ticker.bid)

    book = book_from_ccxt("X/USDT", {"bids": [[3, 1], [2, 1], [1, 1]], "asks": [[4, 1]], "nonce": 9}, 2, 5)
    assert book == DepthSnapshot("X/USDT", 5, 9, ((3.0, 1.0), (2.0, 1.0)), ((4.0, 1.0),))


def test_rejects_unknown_channel() -> None:
    with pytest.raises(ValueError, match="unknown channel"):
        CcxtStream(ExchangeConfig(), ["BTC/USDT"], channels=["candles"])  # type: ignore[list-item]
