"""BinanceStream driven through the loopback Binance websocket exchange, replaying real recordings."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from cryptoterm.adapters.binance.ws_stream import BinanceStream
from cryptoterm.adapters.recorder import Recorder
from cryptoterm.adapters.replay import ReplayStream, read_recording
from cryptoterm.config.schema import ExchangeConfig, ReliabilityConfig
from cryptoterm.domain.market import DepthSnapshot, DepthUpdate, MarketEvent, Reconnected, Trade
from cryptoterm.domain.orderbook import OrderBook
from tests.loopback.ws_server import BinanceWsServer, RecordedStreamMessage, load_stream_messages

SPOT = "ws/hftbacktest_binance-spot_btcusdt_2024-08-08.jsonl.gz"
USDM_CF = "ws/cryptofeed_binance-usdm.jsonl.gz"
GUARD_S = 60  # a hang guard, not a speed assertion


def _config(url: str, market: str = "spot", trade_stream: str = "trade", **reliability: float) -> ExchangeConfig:
    rel = {"backoff_initial_s": 0.01, "backoff_max_s": 0.05, "breaker_failures": 50, "breaker_open_s": 0.2}
    rel |= reliability
    return ExchangeConfig(
        ws_url=url,
        market=market,  # type: ignore[arg-type]
        trade_stream=trade_stream,  # type: ignore[arg-type]
        reliability=ReliabilityConfig(**rel),  # type: ignore[arg-type]
    )


async def _collect(
    stream: BinanceStream,
    done: Callable[[list[MarketEvent]], bool],
    on_batch: Callable[..., object] | None = None,
    stop: asyncio.Event | None = None,
) -> list[MarketEvent]:
    """Events until `done(events)`, or until `stop` is set (then the stream is closed and drained)."""
    events: list[MarketEvent] = []

    async def consume() -> None:
        async for batch in stream.batches():
            events.extend(batch)
            if on_batch is not None:
                result = on_batch(events)
                if asyncio.iscoroutine(result):
                    await result
            if done(events):
                return

    consumer = asyncio.create_task(consume())
    async with asyncio.timeout(GUARD_S):
        if stop is None:
            await consumer
        else:
            stopper = asyncio.create_task(stop.wait())
            await asyncio.wait({consumer, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            await stream.close()
            await consumer
    return events


def _trades(events: Sequence[MarketEvent]) -> list[Trade]:
    return [e for e in events if type(e) is Trade]


@pytest.fixture(scope="module")
def spot_messages(shared_data: Path) -> list[RecordedStreamMessage]:
    return load_stream_messages(shared_data / SPOT)


def _file_trade_ids(messages: Sequence[RecordedStreamMessage]) -> list[int]:
    import msgspec

    class _T(msgspec.Struct):
        t: int

    dec = msgspec.json.Decoder(_T)
    return [dec.decode(m.data).t for m in messages if m.stream.endswith("@trade")]


async def test_clean_session_delivers_every_trade_in_order(spot_messages: list[RecordedStreamMessage]) -> None:
    expected = _file_trade_ids(spot_messages)
    assert len(expected) == 9757
    async with BinanceWsServer(spot_messages) as server:
        stream = BinanceStream(_config(server.url), ["BTC/USDT"], depth=False, book_ticker=False)
        events = await _collect(stream, lambda ev: len(_trades(ev)) >= len(expected))
        health = stream.health()[0]
        await stream.close()
    trades = _trades(events)
    assert [t.trade_id for t in trades] == expected
    assert all(t.symbol == "BTC/USDT" and t.price > 0 for t in trades)
    assert server.paths == ["/stream?streams=btcusdt@trade"]
    assert health.state == "connected" and health.errors == 0 and health.reconnects == 0
    assert health.messages == len(expected)
    assert health.last_event_lag_ms == health.last_event_lag_ms  # measured (not NaN)


async def test_drop_mid_stream_reconnects_without_duplicates_and_marks_the_gap(
    spot_messages: list[RecordedStreamMessage], caplog: pytest.LogCaptureFixture
) -> None:
    expected = _file_trade_ids(spot_messages)
    async with BinanceWsServer(spot_messages, drop_after=[3000, 2500], overlap_on_reconnect=400) as server:
        stream = BinanceStream(_config(server.url), ["BTC/USDT"], depth=False, book_ticker=False)
        events = await _collect(stream, lambda ev: len(_trades(ev)) >= len(expected))
        health = stream.health()[0]
        duplicates = stream.duplicates
        await stream.close()
    assert server.connections == 3
    trades = _trades(events)
    assert [t.trade_id for t in trades] == expected  # each trade exactly once, in order
    assert duplicates > 0  # the server did resend overlapping trades after each reconnect
    markers = [(i, e) for i, e in enumerate(events) if type(e) is Reconnected]
    assert len(markers) == 2 and health.reconnects == 2
    first_index, first = markers[0]
    assert isinstance(first, Reconnected)
    assert first.symbols == ("BTC/USDT",) and 0 < first.gap_start_ms <= first.gap_end_ms
    assert len(_trades(events[:first_index])) == 3000  # the marker sits exactly where the link dropped
    lost = [r.getMessage() for r in caplog.records if "connection to" in r.getMessage()]
    assert len(lost) == 2 and not any("streams=" in m for m in lost)  # logs name the host, not the query


async def test_malformed_truncated_and_unknown_messages_are_counted_and_skipped(
    spot_messages: list[RecordedStreamMessage],
) -> None:
    subset = spot_messages[:4000]
    expected = _file_trade_ids(subset)
    async with BinanceWsServer(subset, malformed_at=[5, 900], truncated_at=[1200], unknown_at=[2000]) as server:
        stream = BinanceStream(_config(server.url), ["BTC/USDT"], depth=False, book_ticker=False)
        events = await _collect(stream, lambda ev: len(_trades(ev)) >= len(expected))
        health = stream.health()[0]
        await stream.close()
    assert server.injected == 5
    assert health.errors == 5 and health.reconnects == 0
    assert [t.trade_id for t in _trades(events)] == expected


async def test_runtime_subscribe_and_unsubscribe_change_what_arrives(shared_data: Path) -> None:
    messages = load_stream_messages(shared_data / USDM_CF)
    async with BinanceWsServer(messages, delay_s=0.002) as server:
        cfg = _config(server.url, market="usdm", trade_stream="aggTrade")
        stream = BinanceStream(cfg, ["SUSHI/USDT"], depth=False, klines=["1m"])
        state: dict[str, int] = {}

        async def step(events: list[MarketEvent]) -> None:
            symbols = {getattr(e, "symbol", "") for e in events}
            if "subscribed_at" not in state and "SUSHI/USDT" in symbols:
                await stream.subscribe(["CTK/USDT"])
                state["subscribed_at"] = len(events)
            elif "unsubscribed_at" not in state and "CTK/USDT" in symbols:
                await stream.unsubscribe(["SUSHI/USDT"])
                state["unsubscribed_at"] = len(events)
                state["listed"] = len(await stream.list_subscriptions())

        events = await _collect(stream, lambda ev: False, step, stop=server.finished)
    before = events[: state["subscribed_at"]]
    after_unsub = events[state["unsubscribed_at"] :]
    assert {getattr(e, "symbol", "") for e in before} == {"SUSHI/USDT"}
    assert "CTK/USDT" in {getattr(e, "symbol", "") for e in events}
    assert "SUSHI/USDT" not in {getattr(e, "symbol", "") for e in after_unsub}
    assert state["listed"] == 3  # CTK aggTrade, bookTicker, kline_1m
    methods = [req["method"] for _, req in server.control_log]
    assert methods == ["SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS"]
    assert server.control_log[0][1]["params"] == ["ctkusdt@aggTrade", "ctkusdt@bookTicker", "ctkusdt@kline_1m"]
    assert len({req["id"] for _, req in server.control_log}) == 3


async def test_control_messages_are_paced_under_binance_limit(shared_data: Path) -> None:
    messages = load_stream_messages(shared_data / USDM_CF)
    async with BinanceWsServer(messages, delay_s=0.01) as server:
        stream = BinanceStream(_config(server.url, market="usdm"), ["SUSHI/USDT"], depth=False)

        async def burst(events: list[MarketEvent]) -> None:
            if not server.control_log:
                await asyncio.gather(*(stream.subscribe([f"COIN{i}/USDT"]) for i in range(7)))

        await _collect(stream, lambda ev: len(server.control_log) >= 7, burst)
        await stream.close()
    times = sorted(t for t, _ in server.control_log)
    assert len(times) == 7
    # Binance allows 5 incoming messages per second per connection; no 1 s window may hold more than 5.
    assert max(sum(1 for u in times if t <= u < t + 1.0) for t in times) <= 5


async def test_depth_gap_triggers_resync_from_a_fresh_snapshot(shared_data: Path) -> None:
    recorded = list(read_recording(shared_data / SPOT))
    snapshot_line = next(i for i, rec in enumerate(recorded) if b'"stream"' not in rec.raw[:20])
    messages = load_stream_messages(shared_data / SPOT, skip=snapshot_line + 1, limit=12_000)
    # The true book, from the recording's own REST snapshot, advanced on demand: the exchange's REST view.
    from cryptoterm.adapters.binance.decode import BinanceDecoder

    decoder = BinanceDecoder()
    decoder.snapshot_symbol = "BTC/USDT"
    [inline] = decoder.decode(recorded[snapshot_line].raw)  # type: ignore[misc]
    assert isinstance(inline, DepthSnapshot)
    # Every diff of the file, including those recorded before the snapshot line (they chain onto it).
    everything = load_stream_messages(shared_data / SPOT, limit=snapshot_line + 1 + 12_000)
    diffs = [e for m in everything if m.depth_u >= 0 for e in decoder.decode(m.raw) if type(e) is DepthUpdate]  # type: ignore[union-attr]
    reference = OrderBook("BTC/USDT")
    assert reference.on_snapshot(inline) == "synced"
    cursor = 0
    depth_indexes = [i for i, m in enumerate(messages) if m.depth_u >= 0]
    skipped = depth_indexes[300]

    async with BinanceWsServer(messages, skip_depth_at=[skipped], drop_after=[2000]) as server:
        fetches: list[int] = []

        async def fetch_depth(symbol: str) -> DepthSnapshot:
            nonlocal cursor
            assert symbol == "BTC/USDT"
            target = server.depth_u.get("btcusdt", -1)
            while cursor < len(diffs) and diffs[cursor].final_update_id <= target:
                reference.on_update(diffs[cursor])
                cursor += 1
            fetches.append(reference.last_update_id)
            await asyncio.sleep(0.01)  # REST round trip: diffs keep arriving meanwhile and are buffered
            return reference.snapshot()

        stream = BinanceStream(_config(server.url), ["BTC/USDT"], fetch_depth=fetch_depth, book_ticker=False)
        last_u = diffs[-1].final_update_id
        book = stream.books["BTC/USDT"]
        events = await _collect(stream, lambda ev: book.last_update_id == last_u and not book.needs_snapshot)
        await stream.close()
    while cursor < len(diffs):
        reference.on_update(diffs[cursor])
        cursor += 1
    assert book.gaps == 1  # the skipped diff was noticed
    # initial sync, resync after the gap, and a fresh start after the reconnect
    assert sum(1 for e in events if type(e) is Reconnected) == 1
    assert book.snapshots_loaded == len(fetches) >= 3 and book.resyncs >= 2
    assert sum(1 for e in events if type(e) is DepthSnapshot) == book.snapshots_loaded
    assert book.snapshot() == reference.snapshot()  # identical to the true book at the end
    assert stream.health()[0].errors == 0


async def test_proactive_rotation_before_the_24h_cut(spot_messages: list[RecordedStreamMessage]) -> None:
    async with BinanceWsServer(spot_messages, delay_s=0.001) as server:
        stream = BinanceStream(
            _config(server.url), ["BTC/USDT"], depth=False, book_ticker=False, max_connection_age_s=0.3
        )
        events = await _collect(stream, lambda ev: any(type(e) is Reconnected for e in ev))
        health = stream.health()[0]
        await stream.close()
    ids = [t.trade_id for t in _trades(events)]
    assert ids == sorted(set(ids))
    assert server.connections == 2 and health.reconnects == 1
    assert health.breaker == "closed"  # a planned rotation is not a failure


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_breaker_opens_when_the_exchange_is_unreachable() -> None:
    cfg = _config(f"ws://127.0.0.1:{_closed_port()}", breaker_failures=3, breaker_open_s=60.0)
    stream = BinanceStream(cfg, ["BTC/USDT"], depth=False)
    consumer = asyncio.create_task(_collect(stream, lambda ev: False))
    async with asyncio.timeout(GUARD_S):
        while stream.health()[0].breaker != "open":
            await asyncio.sleep(0.01)
    health = stream.health()[0]
    await stream.close()
    await consumer
    assert health.state == "reconnecting" and health.messages == 0


async def test_recorded_session_replays_to_the_same_events(
    spot_messages: list[RecordedStreamMessage], tmp_path: Path
) -> None:
    subset = spot_messages[:3000]
    path = tmp_path / "session.jsonl.gz"
    subscribed = ("btcusdt@trade", "btcusdt@bookTicker")
    expected_messages = sum(1 for m in subset if m.stream in subscribed) + 1  # + the malformed frame
    with Recorder(path) as recorder:
        async with BinanceWsServer(subset, malformed_at=[10]) as server:
            stream = BinanceStream(_config(server.url), ["BTC/USDT"], depth=False, recorder=recorder)
            live = await _collect(stream, lambda ev: stream.messages >= expected_messages)
            await stream.close()
    assert recorder.count == server.sent  # the malformed frame is not recorded
    replay = ReplayStream(path, speed=0)
    replayed = [e for batch in [b async for b in replay.batches()] for e in batch]
    assert [e for e in replayed if type(e) is Trade] == _trades(live)
    assert len(replayed) == len(live)


async def test_raw_ws_endpoint_speaks_subscribe_and_sends_bare_payloads(
    spot_messages: list[RecordedStreamMessage],
) -> None:
    from websockets.asyncio.client import connect

    from cryptoterm.adapters.binance.decode import BinanceDecoder, SubscriptionReply

    decoder = BinanceDecoder()
    server = BinanceWsServer(spot_messages[:2000])
    async with server, asyncio.timeout(GUARD_S), connect(f"{server.url}/ws", proxy=None) as ws:
        await ws.send('{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1}')
        replies: list[SubscriptionReply] = []
        trades: list[Trade] = []
        while len(trades) < 20:
            result = decoder.decode(await ws.recv(decode=False))
            if isinstance(result, SubscriptionReply):
                replies.append(result)
            else:
                trades.extend(e for e in result if type(e) is Trade)
        await ws.send('{"method":"LIST_SUBSCRIPTIONS","id":2}')
        while len(replies) < 2:
            result = decoder.decode(await ws.recv(decode=False))
            if isinstance(result, SubscriptionReply):
                replies.append(result)
    assert replies == [SubscriptionReply(1, None), SubscriptionReply(2, ["btcusdt@trade"])]
    assert all(t.symbol == "BTC/USDT" for t in trades)  # bare payloads: symbol taken from the "s" field


def test_stream_names_and_default_urls() -> None:
    spot = BinanceStream(ExchangeConfig(), ["BTC/USDT"], klines=["1m"], tickers="mini")
    assert spot.url() == (
        "wss://stream.binance.com:9443/stream?streams="
        "btcusdt@trade/btcusdt@bookTicker/btcusdt@depth@100ms/btcusdt@kline_1m/btcusdt@miniTicker"
    )
    usdm = BinanceStream(ExchangeConfig(market="usdm", trade_stream="aggTrade"), ["ETH/USDT"], tickers="all_mini")
    assert usdm.streams() == ["ethusdt@aggTrade", "ethusdt@bookTicker", "ethusdt@depth@100ms", "!miniTicker@arr"]
    assert usdm.url().startswith("wss://fstream.binance.com/stream?streams=")
    with pytest.raises(ValueError, match="exceed"):
        BinanceStream(ExchangeConfig(market="usdm"), [f"C{i}/USDT" for i in range(70)])
    with pytest.raises(ValueError, match="'BTCUSDT'"):
        BinanceStream(ExchangeConfig(), ["BTCUSDT"])


async def test_refused_subscription_raises_and_is_forgotten(shared_data: Path) -> None:
    from cryptoterm.adapters.errors import RejectedError

    messages = load_stream_messages(shared_data / USDM_CF)
    async with BinanceWsServer(messages, delay_s=0.005, reject_streams=["nopeusdt@aggTrade"]) as server:
        stream = BinanceStream(_config(server.url, market="usdm", trade_stream="aggTrade"), ["SUSHI/USDT"])
        outcome: dict[str, str] = {}

        async def attempt(events: list[MarketEvent]) -> None:
            if not outcome:
                with pytest.raises(RejectedError, match="code 2") as caught:
                    await stream.subscribe(["NOPE/USDT"])
                outcome["error"] = str(caught.value)
                bogus = await stream.request("BOGUS")
                outcome["bogus"] = bogus.error or ""

        await _collect(stream, lambda ev: bool(outcome), attempt)
        await stream.close()
    assert stream.symbols == ["SUSHI/USDT"]
    assert "nopeusdt" not in stream.url()
    assert "unknown method" in outcome["bogus"]


async def test_client_answers_exchange_pings(spot_messages: list[RecordedStreamMessage]) -> None:
    async with BinanceWsServer(spot_messages, delay_s=0.001) as server:
        stream = BinanceStream(_config(server.url), ["BTC/USDT"], depth=False, book_ticker=False)
        answered: list[int] = []

        async def ping(events: list[MarketEvent]) -> None:
            if not answered:
                answered.append(await server.ping_clients())

        await _collect(stream, lambda ev: bool(answered), ping)
        await stream.close()
    assert answered == [1]
