"""BinanceStream driven through the loopback Binance websocket exchange, replaying real recordings."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from cryptoterm.adapters.binance.ws_stream import BinanceStream
from cryptoterm.adapters.recorder import Recorder
from cryptoterm.adapters.replay import ReplayStream, read_recording
from cryptoterm.config.schema import ExchangeConfig, ReliabilityConfig
from cryptoterm.domain.market import DepthSnapshot, DepthUpdate, MarketEvent, Reconnected, Trade
from cryptoterm.domain.orderbook import OrderBook
from cryptoterm.services.order_books import OrderBooks
from tests.loopback.ws_server import BinanceWsServer, RecordedStreamMessage, altered, load_stream_messages
from tests.waiting import eventually

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


async def test_a_connection_that_answers_pings_but_sends_no_data_is_replaced(
    spot_messages: list[RecordedStreamMessage],
) -> None:
    """Binance streams freeze like this: the server goes silent after 2,000 messages on the first connection, yet
    keeps answering the client's keepalive pings and its LIST_SUBSCRIPTIONS requests, sent all through the
    silence. Neither is data: after `stall_after_s` the client drops the connection, reconnects, marks the gap,
    and every trade after the stall still arrives exactly once."""
    subset = spot_messages[:6000]
    expected = _file_trade_ids(subset)
    async with BinanceWsServer(subset, stall_after=[2000]) as server:
        stream = BinanceStream(_config(server.url, stall_after_s=1.0), ["BTC/USDT"], depth=False, ping_interval_s=0.5)
        replies: list[list[str]] = []

        async def ask_while_silent() -> None:
            await server.stalled.wait()
            while stream.stalls == 0:
                with contextlib.suppress(ConnectionError, TimeoutError):
                    replies.append(await stream.control.list_subscriptions())  # paced: 4 a second at most

        asker = asyncio.create_task(ask_while_silent())
        events = await _collect(stream, lambda ev: len(_trades(ev)) >= len(expected))
        health = stream.health()[0]
        await stream.close()
        await asker
    assert [t.trade_id for t in _trades(events)] == expected  # each trade exactly once, in order
    assert health.stalls >= 1 and server.connections >= 2
    assert replies and all(r == ["btcusdt@trade", "btcusdt@bookTicker"] for r in replies)  # answered while silent
    markers = [e for e in events if type(e) is Reconnected]
    assert markers and markers[0].symbols == ("BTC/USDT",) and 0 < markers[0].gap_start_ms <= markers[0].gap_end_ms


async def test_a_stalled_consumer_holds_the_reader_and_loses_nothing(
    spot_messages: list[RecordedStreamMessage],
) -> None:
    """The consumer stops reading after its first batch. The stream's queue stays bounded: book tops are
    coalesced (newest wins, counted), trades wait in order, and at the bound the reader stops reading the socket.
    Once the consumer reads again, every trade arrives exactly once."""
    subset = spot_messages[:8000]
    expected = _file_trade_ids(subset)
    assert len(expected) > 1000
    async with BinanceWsServer(subset) as server:
        stream = BinanceStream(_config(server.url), ["BTC/USDT"], depth=False, max_queued_events=300)
        release = asyncio.Event()
        events: list[MarketEvent] = []

        async def consume() -> None:
            async for batch in stream.batches():
                events.extend(batch)
                await release.wait()  # stalled until released
                if len(_trades(events)) >= len(expected):
                    return

        consumer = asyncio.create_task(consume())
        await eventually(lambda: "waited" in stream.health()[0].detail, "the reader waiting for the consumer")
        held = stream.queued_events
        stalled_health = stream.health()[0]
        release.set()
        async with asyncio.timeout(GUARD_S):
            await consumer
        await stream.close()
    assert held <= 300 + 1  # the kept events' bound, plus the one book-top slot the newer tops replace
    assert stalled_health.coalesced > 0 and stalled_health.state == "connected"
    assert [t.trade_id for t in _trades(events)] == expected


async def test_a_consumer_that_dies_stops_the_stream(
    spot_messages: list[RecordedStreamMessage], caplog: pytest.LogCaptureFixture
) -> None:
    async with BinanceWsServer(spot_messages, delay_s=0.001) as server:
        stream = BinanceStream(_config(server.url), ["BTC/USDT"], depth=False)

        async def consume() -> None:
            async for _ in stream.batches():
                raise RuntimeError("feed bug")

        with pytest.raises(RuntimeError, match="feed bug"):
            await asyncio.wait_for(consume(), GUARD_S)
        await eventually(lambda: stream.health()[0].state == "closed", "the stream stopping with its consumer")
        await eventually(lambda: server.live_connections == 0, "the stream's connection closing")
        assert server.connections == 1  # and it did not reconnect
    stopped = "its consumer failed: RuntimeError: feed bug; the stream stops"
    assert any(stopped in r.getMessage() for r in caplog.records)


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


def _trade_times(messages: Sequence[RecordedStreamMessage]) -> dict[int, int]:
    """Trade time of each trade message, by position."""
    import json

    return {i: json.loads(m.data)["T"] for i, m in enumerate(messages) if m.stream.endswith("@trade")}


async def test_values_no_market_sends_are_rejected_and_cannot_poison_the_watermark(
    spot_messages: list[RecordedStreamMessage], caplog: pytest.LogCaptureFixture
) -> None:
    """Real messages altered to carry NaN / infinite / negative / zero prices and quantities, a trade id of 1e20
    and a time in the year 5138: each is rejected at decode, counted, and logged once per kind. One trade id far
    too high but with a sane time is delivered; the next real trade, newer yet lower-numbered, shows the watermark
    was wrong and moves it back, so no later trade is lost — even when a reconnect resends the bad one."""
    subset = list(spot_messages[:4000])
    times = _trade_times(subset)
    trades_at = sorted(times)
    tops_at = [i for i, m in enumerate(subset) if m.stream.endswith("@bookTicker")]
    bad = {
        trades_at[10]: {"p": "NaN"},
        trades_at[20]: {"q": "-1.5"},
        trades_at[30]: {"p": "inf"},
        trades_at[40]: {"t": 10**20},
        trades_at[50]: {"T": 99_999_999_999_999},  # 5138-11-16
        trades_at[60]: {"T": time.time_ns() // 1_000_000 + 86_400_000},  # a day ahead of the receive clock
        tops_at[5]: {"b": "0"},
        tops_at[6]: {"A": "NaN"},
    }
    # a jump whose next trade is in a later millisecond (trades within one millisecond cannot tell old from new)
    k = next(k for k in range(100, len(trades_at) - 1) if times[trades_at[k + 1]] > times[trades_at[k]])
    jump_at, jump_id = trades_at[k], 10**15
    for i, fields in [*bad.items(), (jump_at, {"t": jump_id})]:
        subset[i] = altered(subset[i], **fields)
    expected = [jump_id if i == jump_at else t for i, t in zip(trades_at, _file_trade_ids(subset), strict=True)]
    expected = [t for i, t in zip(trades_at, expected, strict=True) if i not in bad]
    # the first connection drops 300 messages after the jump and the server resends 400: the jump comes again
    drop = sum(1 for m in subset[: jump_at + 300] if m.stream in ("btcusdt@trade", "btcusdt@bookTicker"))
    async with BinanceWsServer(subset, drop_after=[drop], overlap_on_reconnect=400) as server:
        stream = BinanceStream(_config(server.url), ["BTC/USDT"], depth=False)
        events = await _collect(stream, lambda ev: server.finished.is_set() and len(_trades(ev)) >= len(expected))
        health = stream.health()[0]
        await stream.close()
    assert [t.trade_id for t in _trades(events)] == expected  # nothing after the bad ones went missing
    assert all(0 < t.price < float("inf") and t.qty > 0 for t in _trades(events))
    assert "trade-id watermark corrected 1×" in health.detail
    assert health.errors >= len(bad)  # every bad message, and again when resent after the reconnect
    skipped = [r.getMessage() for r in caplog.records if "skipped a message" in r.getMessage()]
    assert len(skipped) == 7  # one line per kind: $.p (NaN and inf), $.q, $.t, $.T, trade time, $.b, $.A
    assert any("$.t = 100000000000000000000: Expected `int` <= 9007199254740991" in m for m in skipped)
    assert any("$.T = 99999999999999: Expected `int` <= 4102444800000" in m for m in skipped)  # after 2100
    assert any("s ahead of the receive clock (more than 10 min" in m for m in skipped)


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
                state["listed"] = len(await stream.control.list_subscriptions())

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
    """Binance allows 5 incoming messages a second on a connection; the stream sends at most 4 (room for pongs).

    The schedule checked is the client's own send times: arrival times at a loopback server on a busy machine
    bunch up whenever the event loop stalls, which says nothing about the client."""
    messages = load_stream_messages(shared_data / USDM_CF)
    async with BinanceWsServer(messages, delay_s=0.01) as server:
        stream = BinanceStream(_config(server.url, market="usdm"), ["SUSHI/USDT"], depth=False)

        async def burst(events: list[MarketEvent]) -> None:
            if not server.control_log:
                await asyncio.gather(*(stream.subscribe([f"COIN{i}/USDT"]) for i in range(7)))

        await _collect(stream, lambda ev: len(server.control_log) >= 7, burst)
        await stream.close()
    assert sorted(req["params"][0] for _, req in server.control_log) == [f"coin{i}usdt@trade" for i in range(7)]
    times = stream.control.send_times
    assert len(times) == 7 == stream.control.sent
    assert max(sum(1 for u in times if t <= u < t + 1.0) for t in times) <= 4


class _DepthSession:
    """A real spot recording split for the depth tests: the stream messages after the file's inline REST
    snapshot, every diff of the file (those recorded before the snapshot line chain onto it), and the true book
    — the exchange's REST view — advanced on demand to any update id."""

    def __init__(self, shared_data: Path, limit: int = 12_000) -> None:
        from cryptoterm.adapters.binance.decode import BinanceDecoder

        recorded = list(read_recording(shared_data / SPOT))
        snapshot_line = next(i for i, rec in enumerate(recorded) if b'"stream"' not in rec.raw[:20])
        self.messages = load_stream_messages(shared_data / SPOT, skip=snapshot_line + 1, limit=limit)
        decoder = BinanceDecoder()
        decoder.snapshot_symbol = "BTC/USDT"
        [inline] = decoder.decode(recorded[snapshot_line].raw)  # type: ignore[misc]
        assert isinstance(inline, DepthSnapshot)
        everything = load_stream_messages(shared_data / SPOT, limit=snapshot_line + 1 + limit)
        self.diffs = [
            e
            for m in everything
            if m.depth_u >= 0
            for e in decoder.decode(m.raw)  # type: ignore[union-attr]
            if type(e) is DepthUpdate
        ]
        self.reference = OrderBook("BTC/USDT")
        assert self.reference.on_snapshot(inline) == "synced"
        self._cursor = 0
        #: Positions in `messages` of the depth diffs.
        self.depth_indexes = [i for i, m in enumerate(self.messages) if m.depth_u >= 0]
        #: Update id each REST snapshot reflected, in fetch order.
        self.fetches: list[int] = []

    def advance_to(self, update_id: int) -> None:
        while self._cursor < len(self.diffs) and self.diffs[self._cursor].final_update_id <= update_id:
            self.reference.on_update(self.diffs[self._cursor])
            self._cursor += 1

    def snapshot_at(self, update_id: int) -> DepthSnapshot:
        """The REST answer as of `update_id` (the true book then), recorded in `fetches`."""
        self.advance_to(update_id)
        self.fetches.append(self.reference.last_update_id)
        return self.reference.snapshot()

    def final_book(self) -> DepthSnapshot:
        self.advance_to(self.diffs[-1].final_update_id)
        return self.reference.snapshot()


class _FeedBooks:
    """The feed's side of depth, as `MarketFeed` does it: the one `OrderBooks` every depth event is applied to,
    asking the stream for a snapshot whenever a book needs one, and starting over at a gap marker."""

    def __init__(self, stream: BinanceStream) -> None:
        self.books = OrderBooks(request_snapshot=stream.request_resync)
        self._seen = 0

    def apply(self, events: list[MarketEvent]) -> None:
        for event in events[self._seen :]:
            if type(event) is DepthSnapshot or type(event) is DepthUpdate:
                self.books.apply(event)  # type: ignore[arg-type]
            elif type(event) is Reconnected:
                self.books.resync_all()
        self._seen = len(events)

    @property
    def btc(self) -> OrderBook:
        book = self.books.book("BTC/USDT")
        return book if book is not None else OrderBook("BTC/USDT")

    def synced_at(self, update_id: int) -> bool:
        book = self.books.book("BTC/USDT")
        return book is not None and book.last_update_id == update_id and not book.needs_snapshot


def _received_past(update_id: int, reached: asyncio.Event) -> Callable[[list[MarketEvent]], None]:
    """An `on_batch` step that sets `reached` once the client has received (and the feed's book buffered) a diff
    past `update_id`."""

    seen = 0

    def step(events: list[MarketEvent]) -> None:
        nonlocal seen
        if any(type(e) is DepthUpdate and e.final_update_id > update_id for e in events[seen:]):  # type: ignore[union-attr]
            reached.set()
        seen = len(events)

    return step


def _first_snapshots(count: int, released: asyncio.Event) -> Callable[[list[MarketEvent]], None]:
    """An `on_batch` step that sets `released` once the stream has emitted `count` applied snapshots."""

    def step(events: list[MarketEvent]) -> None:
        if sum(1 for e in events if type(e) is DepthSnapshot) >= count:
            released.set()

    return step


async def test_depth_gap_on_a_synced_book_triggers_resync_from_a_fresh_snapshot(shared_data: Path) -> None:
    """A diff missing while the feed's book is in sync must be seen: the next diff does not chain, so the book
    counts one gap, drops its levels, asks the stream for a snapshot and joins again from it. The server holds the
    missing diff until the first snapshot has been applied (so the hole cannot fall inside a snapshot), and holds
    the diffs after it until the resync has been applied (so the later reconnect is a separate, third snapshot)."""
    session = _DepthSession(shared_data)
    skipped = session.depth_indexes[300]
    synced, resynced = asyncio.Event(), asyncio.Event()
    hold = {skipped: synced, session.depth_indexes[310]: resynced}
    async with BinanceWsServer(session.messages, skip_depth_at=[skipped], drop_after=[2000], hold_before=hold) as srv:

        async def fetch_depth(symbol: str) -> DepthSnapshot:
            assert symbol == "BTC/USDT"
            await asyncio.sleep(0)  # a REST round trip: diffs keep arriving meanwhile and are buffered
            return session.snapshot_at(srv.depth_u.get("btcusdt", -1))

        stream = BinanceStream(_config(srv.url), ["BTC/USDT"], fetch_depth=fetch_depth, book_ticker=False)
        feed = _FeedBooks(stream)
        last_u = session.diffs[-1].final_update_id
        step = _first_snapshots(1, synced)

        def both(events: list[MarketEvent]) -> None:
            feed.apply(events)
            step(events)
            if sum(1 for e in events if type(e) is DepthSnapshot) >= 2:
                resynced.set()

        events = await _collect(stream, lambda ev: feed.synced_at(last_u), both)
        health = stream.health()[0]
        await stream.close()
    book = feed.btc
    assert book.gaps == 1  # the skipped diff was noticed
    # initial sync, resync after the gap, and a fresh start after the reconnect
    assert sum(1 for e in events if type(e) is Reconnected) == 1
    assert book.snapshots_loaded == len(session.fetches) == feed.books.requests == 3 and book.resyncs == 2
    assert sum(1 for e in events if type(e) is DepthSnapshot) == book.snapshots_loaded
    assert book.snapshot() == session.final_book()  # identical to the true book at the end
    assert health.errors == 0 and "3 depth snapshots fetched" in health.detail


async def test_a_hole_covered_by_the_pending_snapshot_is_no_gap(shared_data: Path) -> None:
    """When the diff goes missing while the first snapshot is being fetched and the snapshot already contains
    it, nothing is lost: the buffered diffs the snapshot covers are dropped, the rest chain on, no gap."""
    session = _DepthSession(shared_data)
    skipped = session.depth_indexes[300]
    past_the_hole = asyncio.Event()
    async with BinanceWsServer(session.messages, skip_depth_at=[skipped]) as srv:

        async def fetch_depth(symbol: str) -> DepthSnapshot:
            await past_the_hole.wait()  # a slow REST answer: the hole passes while it is pending
            return session.snapshot_at(srv.depth_u["btcusdt"])

        stream = BinanceStream(_config(srv.url), ["BTC/USDT"], fetch_depth=fetch_depth, book_ticker=False)
        feed = _FeedBooks(stream)
        last_u = session.diffs[-1].final_update_id
        step = _received_past(session.messages[session.depth_indexes[320]].depth_u, past_the_hole)

        def both(events: list[MarketEvent]) -> None:
            feed.apply(events)
            step(events)

        await _collect(stream, lambda ev: feed.synced_at(last_u), both)
        await stream.close()
    book = feed.btc
    assert session.fetches[0] >= session.messages[session.depth_indexes[320]].depth_u  # the snapshot holds the hole
    assert book.gaps == 0 and book.snapshots_loaded == len(session.fetches) == 1
    assert book.snapshot() == session.final_book()


async def test_a_hole_among_the_buffered_diffs_makes_the_snapshot_stale(shared_data: Path) -> None:
    """When the snapshot predates the hole, replaying the buffered diffs onto it meets the hole: the feed's book
    refuses the snapshot as stale (never applied with a diff missing) and asks for a newer one."""
    session = _DepthSession(shared_data)
    before_hole, skipped = session.depth_indexes[290], session.depth_indexes[300]
    past_the_hole = asyncio.Event()
    async with BinanceWsServer(session.messages, skip_depth_at=[skipped]) as srv:

        async def fetch_depth(symbol: str) -> DepthSnapshot:
            if not session.fetches:  # the first answer reflects the book as it was before the hole
                await past_the_hole.wait()
                return session.snapshot_at(session.messages[before_hole].depth_u)
            return session.snapshot_at(srv.depth_u["btcusdt"])

        stream = BinanceStream(_config(srv.url), ["BTC/USDT"], fetch_depth=fetch_depth, book_ticker=False)
        feed = _FeedBooks(stream)
        last_u = session.diffs[-1].final_update_id
        step = _received_past(session.messages[session.depth_indexes[320]].depth_u, past_the_hole)

        def both(events: list[MarketEvent]) -> None:
            feed.apply(events)
            step(events)

        events = await _collect(stream, lambda ev: feed.synced_at(last_u), both)
        await stream.close()
    book = feed.btc
    assert len(session.fetches) >= 2 and book.snapshots_loaded == 1  # the first one was refused
    assert session.fetches[0] < session.messages[skipped].depth_u
    # every fetched snapshot reached the book, in order; only the last one joined the diffs
    assert [e.last_update_id for e in events if type(e) is DepthSnapshot] == session.fetches
    assert book.last_update_id == last_u and book.gaps == 0  # a synced book never broke: caught before syncing
    assert book.snapshot() == session.final_book()


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
    # live, a book top the consumer had not read yet was replaced by the newer one (counted); the replay has all
    assert len(replayed) == len(live) + stream.health()[0].coalesced


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
                bogus = await stream.control.request("BOGUS")
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
