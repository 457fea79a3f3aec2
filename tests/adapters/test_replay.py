"""ReplayStream and Recorder: recorded sessions and trade CSVs replayed through the live decoder."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import pytest

from cryptoterm.adapters.recorder import Recorder
from cryptoterm.adapters.replay import RecordingError, ReplayStream, read_recording, read_trades_csv
from cryptoterm.domain.market import BookTop, DepthSnapshot, DepthUpdate, MarketEvent, Trade

SPOT = "ws/hftbacktest_binance-spot_btcusdt_2024-08-08.jsonl.gz"


async def _all(stream: ReplayStream) -> list[MarketEvent]:
    return [e for batch in [b async for b in stream.batches()] for e in batch]


async def test_replay_of_a_real_recording_yields_every_event(shared_data: Path) -> None:
    stream = ReplayStream(shared_data / SPOT, speed=0)
    events = await _all(stream)
    kinds = Counter(type(e).__name__ for e in events)
    # SOURCES.md: bookTicker=28040 depth@100ms=3451 depth_snapshot=1 trade=9757
    assert kinds == {"BookTop": 28040, "DepthUpdate": 3451, "DepthSnapshot": 1, "Trade": 9757}
    health = stream.health()[0]
    assert health.messages == 41249 and health.errors == 0 and health.state == "closed"


async def test_csv_replay_equals_the_websocket_trades(shared_data: Path) -> None:
    ws_trades = [e for e in await _all(ReplayStream(shared_data / SPOT, speed=0)) if type(e) is Trade]
    csv_stream = ReplayStream(shared_data / "trades/binance-spot_BTCUSDT_trades_2024-08-08.csv.gz", speed=0)
    csv_trades = await _all(csv_stream)
    assert csv_trades == ws_trades
    assert len(csv_trades) == 9757


async def test_agg_trade_csv_replays_with_agg_ids(shared_data: Path) -> None:
    path = shared_data / "trades/binance-spot_XRPETH_aggTrades_2019-10-11_2019-10-13.csv.gz"
    trades = await _all(ReplayStream(path, speed=0))
    assert len(trades) == 12477
    first = trades[0]
    assert first == Trade("XRP/ETH", 1570752011620, 0.00141342, 23.0, "sell", 13519807)
    ids = [t.trade_id for t in trades if type(t) is Trade]
    assert ids == list(range(ids[0], ids[0] + len(ids)))  # gap-free agg ids


async def test_pacing_follows_recorded_times_scaled_by_speed(shared_data: Path) -> None:
    now = [0.0]
    waits: list[float] = []

    async def virtual_sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    records = list(read_recording(shared_data / SPOT))
    span_s = (max(r.recv_ns for r in records) - records[0].recv_ns) / 1e9
    stream = ReplayStream(shared_data / SPOT, speed=100.0, sleep=virtual_sleep, monotonic=lambda: now[0])
    events = await _all(stream)
    assert len(events) == 41249
    # On a virtual clock that only sleeping moves, the replay sleeps exactly the recording's span / speed.
    assert sum(waits) == pytest.approx(span_s / 100.0, rel=1e-9)
    assert len(waits) > 1000 and all(w > 0 for w in waits)


async def test_speed_zero_never_sleeps_on_the_recorded_clock(shared_data: Path) -> None:
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    await _all(ReplayStream(shared_data / "ws/cryptofeed_binance-spot.jsonl.gz", speed=0, sleep=fake_sleep))
    assert waits == []


async def test_subscribe_narrows_and_unsubscribe_removes_symbols(shared_data: Path) -> None:
    path = shared_data / "ws/cryptofeed_binance-spot.jsonl.gz"
    everything = {getattr(e, "symbol", "") for e in await _all(ReplayStream(path, speed=0))}
    assert everything == {"NKN/USDT", "BLZ/ETH", "LRC/BTC", "RUNE/EUR"}
    narrowed = ReplayStream(path, speed=0)
    await narrowed.subscribe(["NKN/USDT", "LRC/BTC"])
    await narrowed.unsubscribe(["LRC/BTC"])
    assert {getattr(e, "symbol", "") for e in await _all(narrowed)} == {"NKN/USDT"}


async def test_bad_messages_in_a_recording_are_counted_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    with Recorder(path) as rec:
        rec.write(b'{"stream":"btcusdt@trade","data":{"e":"trade","E":2,"s":"BTCUSDT","t":1,"p":"1"}}', 1)
        rec.write(b'{"stream":"btcusdt@bookTicker","data":{"u":1,"s":"BTCUSDT","b":"1","B":"1","a":"2","A":"1"}}', 2)
        rec.write(b'{"stream":"btcusdt@weird","data":{}}', 3)
    stream = ReplayStream(path, speed=0)
    events = await _all(stream)
    assert events == [BookTop("BTC/USDT", 0, 1.0, 1.0, 2.0, 1.0)]  # recv 2 ns → 0 ms
    assert stream.health()[0].errors == 2


def test_unreadable_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(b'{"recv_time_ns":1,"msg":{"a":1}}\n{"recv_time_ns":2,"msg":{"a":\n')
    with pytest.raises(RecordingError, match=r"broken\.jsonl\.gz:2"):
        list(read_recording(path))
    assert [m.recv_ns for m in read_recording(path, skip_bad_lines=True)] == [1]
    nots = tmp_path / "no_time.jsonl"
    nots.write_text('{"msg":{"a":1}}\n')
    with pytest.raises(RecordingError, match=r"no_time\.jsonl:1: neither"):
        list(read_recording(nots))


def test_bad_csv_row_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "x_BTCUSDT_trades_day.csv"
    path.write_text("trade_id,price,qty,trade_time_ms,is_buyer_maker\n1,10.5,1,1000,true\n2,ten,1,1001,false\n")
    with pytest.raises(RecordingError, match=r"x_BTCUSDT_trades_day\.csv:3"):
        list(read_trades_csv(path))
    missing = tmp_path / "y_BTCUSDT_trades_day.csv"
    missing.write_text("trade_id,price\n1,2\n")
    with pytest.raises(RecordingError, match="lacks column"):
        list(read_trades_csv(missing))


async def test_recorder_round_trip_keeps_raw_bytes_and_times(shared_data: Path, tmp_path: Path) -> None:
    source = list(read_recording(shared_data / SPOT))[:500]
    out = tmp_path / "copy.jsonl.gz"
    with Recorder(out) as rec:
        for msg in source:
            rec.write(msg.raw, msg.recv_ns)
    assert list(read_recording(out)) == source
    copy_events = await _all(ReplayStream(out, speed=0))
    assert copy_events[:3] == [e for e in (await _all(ReplayStream(shared_data / SPOT, speed=0)))[:3]]
    assert any(type(e) is DepthSnapshot for e in copy_events)
    assert any(type(e) is DepthUpdate for e in copy_events)
    with pytest.raises(ValueError, match="not a JSON object"):
        Recorder(tmp_path / "x.jsonl").write(b"garbage", 1)


def test_missing_file_and_negative_speed_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.jsonl"):
        ReplayStream(tmp_path / "nope.jsonl")
    path = tmp_path / "ok.jsonl"
    path.write_text("")
    with pytest.raises(ValueError, match="speed"):
        ReplayStream(path, speed=-1)


def test_recorder_append_continues_a_gzip_recording(tmp_path: Path) -> None:
    path = tmp_path / "sessions" / "rec.jsonl.gz"
    with Recorder(path) as first:
        first.write('{"stream":"btcusdt@trade","data":{}}', 1)
    with Recorder(path, append=True) as second:
        second.write_json({"lastUpdateId": 5, "bids": [], "asks": []}, 2)
    assert [(m.recv_ns, m.raw) for m in read_recording(path)] == [
        (1, b'{"stream":"btcusdt@trade","data":{}}'),
        (2, b'{"lastUpdateId":5,"bids":[],"asks":[]}'),
    ]


TRADE = (
    b'{"stream":"btcusdt@trade","data":{"e":"trade","E":1723075200000,"s":"BTCUSDT","t":1,'
    b'"p":"60000.5","q":"0.1","T":1723075200000,"m":false}}'
)


def test_check_recording_accepts_real_recordings_and_trade_csvs(shared_data: Path) -> None:
    from cryptoterm.adapters.replay import CHECKED_MESSAGES, check_recording, recording_problem

    assert check_recording(shared_data / SPOT) == CHECKED_MESSAGES
    assert check_recording(shared_data / "trades/binance-spot_BTCUSDT_trades_2024-08-08.csv.gz") == CHECKED_MESSAGES
    assert recording_problem(shared_data / "ws/cryptofeed_binance-usdm.jsonl.gz") is None


def test_check_recording_accepts_a_short_recording_of_our_own(tmp_path: Path) -> None:
    from cryptoterm.adapters.replay import check_recording

    path = tmp_path / "short.jsonl"
    with Recorder(path) as rec:
        rec.write(TRADE, 1_723_075_200_000_000_000)
        rec.write(b'{"stream":"btcusdt@weird","data":{}}', 1_723_075_200_100_000_000)  # skipped later, as live
    assert check_recording(path) == 2


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("garbage.jsonl", bytes(range(256)) * 20, r"garbage\.jsonl:1: not a recorded message"),
        ("other.jsonl", b'{"a": 1}\n{"b": 2}\n', r"other\.jsonl:1: not a recorded message \(Object missing required"),
        (
            "foreign.jsonl",
            b'{"recv_time_ns": 5, "msg": {"hello": "world"}}\n' * 3,
            r"foreign\.jsonl: not a market-data recording: no Binance stream message among its first 3",
        ),
        ("empty.jsonl", b"\n\n", r"empty\.jsonl: the recording holds no messages"),
        ("bad.jsonl.gz", b"not gzip at all" * 10, r"bad\.jsonl\.gz: cannot read it as a recording \(Not a gzipped"),
        ("x_BTCUSDT_trades_1.csv", b"\xff\xfe\x00garbage" * 50, r"x_BTCUSDT_trades_1\.csv: cannot read it .*UTF-8"),
        ("y_BTCUSDT_trades_1.csv", b"a,b\n1,2\n", r"y_BTCUSDT_trades_1\.csv:1: trade CSV lacks column"),
        ("trades.csv", b"trade_id,price\n", r"trades\.csv: cannot tell the symbol from the file name \(name it like"),
    ],
)
def test_check_recording_rejects_what_is_not_a_recording_in_one_line(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    from cryptoterm.adapters.replay import check_recording, recording_problem

    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(RecordingError, match=message) as info:
        check_recording(path)
    assert "\n" not in str(info.value)
    assert recording_problem(path) == str(info.value)


def test_check_recording_rejects_a_truncated_gzip_and_a_missing_file(tmp_path: Path) -> None:
    from cryptoterm.adapters.replay import check_recording

    whole = gzip.compress(b"".join(b'{"recv_time_ns":%d,"msg":%s}\n' % (i, TRADE) for i in range(1, 400)))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(whole[: len(whole) // 3])
    with pytest.raises(RecordingError, match=r"cut\.jsonl\.gz: cannot read it as a recording \(Compressed file"):
        check_recording(path)
    with pytest.raises(RecordingError, match=r"nope\.jsonl: replay file not found"):
        check_recording(tmp_path / "nope.jsonl")


async def test_the_end_of_a_replay_is_logged_with_its_event_count(
    shared_data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="cryptoterm.adapters.replay")
    stream = ReplayStream(shared_data / SPOT, speed=0)
    events = await _all(stream)
    finished = [r.getMessage() for r in caplog.records if "replay finished" in r.getMessage()]
    assert finished == [
        f"replay:{Path(SPOT).name}: replay finished: {len(events)} events from 41249 messages (0 skipped)"
    ]
    assert stream.health()[0].state == "closed"


async def test_a_replay_closed_early_does_not_claim_it_finished(
    shared_data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="cryptoterm.adapters.replay")
    stream = ReplayStream(shared_data / SPOT, speed=0, max_batch=100)
    async for _batch in stream.batches():
        await stream.close()
    assert not [r for r in caplog.records if "replay finished" in r.getMessage()]
