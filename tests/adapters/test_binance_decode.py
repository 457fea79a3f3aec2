"""Binance decoder: every payload shape the product consumes, from real recordings and fixtures."""

from __future__ import annotations

import csv
import gzip
import json
import math
import re
from collections import Counter
from pathlib import Path

import pytest

from cryptoterm.adapters.binance.decode import (
    BinanceDecoder,
    DecodeError,
    RejectedValue,
    SubscriptionReply,
    UnknownMessage,
)
from cryptoterm.adapters.binance.symbols import SymbolMap, split_native, to_native, to_stream
from cryptoterm.adapters.replay import read_recording
from cryptoterm.domain.market import BookTop, DepthSnapshot, DepthUpdate, Kline, TickerStats, Trade


def _nautilus(shared_data: Path) -> dict[str, bytes]:
    lines = (shared_data / "ws/nautilus_binance_ws_messages.jsonl").read_text().splitlines()
    return {o["fixture"]: json.dumps(o["body"]).encode() for o in map(json.loads, lines)}


def test_symbol_mapping_round_trips() -> None:
    assert to_native("BTC/USDT") == "BTCUSDT"
    assert to_native("BTC/USDT:USDT") == "BTCUSDT"
    assert to_stream("eth/btc") == "ethbtc"
    assert split_native("RUNEEUR") == "RUNE/EUR"
    assert split_native("BTCFDUSD") == "BTC/FDUSD"
    symbols = SymbolMap(["1000PEPE/USDT"])
    assert symbols.unified("1000pepeusdt") == "1000PEPE/USDT"
    with pytest.raises(ValueError, match="'BTCUSDT'"):
        to_native("BTCUSDT")


def test_spot_trade_matches_the_trade_csv_row_for_row(shared_data: Path) -> None:
    decoder = BinanceDecoder()
    trades = [
        ev
        for rec in read_recording(shared_data / "ws/hftbacktest_binance-spot_btcusdt_2024-08-08.jsonl.gz")
        for ev in decoder.decode(rec.raw)  # type: ignore[union-attr]
        if type(ev) is Trade
    ]
    with gzip.open(shared_data / "trades/binance-spot_BTCUSDT_trades_2024-08-08.csv.gz", "rt") as fh:
        rows = list(csv.DictReader(fh))
    assert len(trades) == len(rows) == 9757
    for trade, row in zip(trades, rows, strict=True):
        assert trade.symbol == "BTC/USDT"
        assert trade.trade_id == int(row["trade_id"])
        assert trade.price == float(row["price"]) and trade.qty == float(row["qty"])
        assert trade.ts == int(row["trade_time_ms"])
        assert trade.side == row["taker_side"]


def test_every_recorded_stream_type_decodes(shared_data: Path) -> None:
    kinds: Counter[str] = Counter()
    for name in ("cryptofeed_binance-spot", "cryptofeed_binance-usdm", "cryptofeed_binance-coinm"):
        decoder = BinanceDecoder()
        for rec in read_recording(shared_data / f"ws/{name}.jsonl.gz"):
            events = decoder.decode(rec.raw, rec.recv_ns // 1_000_000)
            assert isinstance(events, list) and len(events) == 1
            kinds[type(events[0]).__name__] += 1
    # counts from SOURCES.md: aggTrade 2+91+51, bookTicker 84+613+2240, depth 177+764+2047, kline 2+67+33
    assert kinds == {"Trade": 144, "BookTop": 2937, "DepthUpdate": 2988, "Kline": 102}


def test_kline_and_agg_trade_fields(shared_data: Path) -> None:
    decoder = BinanceDecoder(SymbolMap(["NKN/USDT"]))
    klines: list[Kline] = []
    agg: list[Trade] = []
    for rec in read_recording(shared_data / "ws/cryptofeed_binance-spot.jsonl.gz"):
        for ev in decoder.decode(rec.raw):  # type: ignore[union-attr]
            if type(ev) is Kline:
                klines.append(ev)
            elif type(ev) is Trade:
                agg.append(ev)
    assert {k.timeframe for k in klines} == {"1m"}
    for k in klines:
        c = k.candle
        assert c.open_time % 60_000 == 0
        assert c.low <= min(c.open, c.close) <= max(c.open, c.close) <= c.high
        assert c.volume >= 0 and c.trades >= 0
    assert all(t.trade_id > 0 and t.price > 0 for t in agg) and len(agg) == 2


def test_futures_depth_keeps_pu_and_spot_book_ticker_uses_receive_time(shared_data: Path) -> None:
    decoder = BinanceDecoder()
    fixtures = _nautilus(shared_data)
    [depth] = decoder.decode(fixtures["ws_futures_depth_update"])  # type: ignore[misc]
    assert isinstance(depth, DepthUpdate)
    assert (depth.first_update_id, depth.final_update_id, depth.prev_final_update_id) == (
        390497796,
        390497878,
        390497794,
    )
    assert depth.bids[0] == (7403.89, 0.002)
    [top] = decoder.decode(b'{"u":1,"s":"BTCUSDT","b":"1.5","B":"2","a":"1.6","A":"3"}', 1234)  # type: ignore[misc]
    assert top == BookTop("BTC/USDT", 1234, 1.5, 2.0, 1.6, 3.0)
    [top] = decoder.decode(fixtures["ws_futures_book_ticker"], 99)  # type: ignore[misc]
    assert isinstance(top, BookTop) and top.ts == 1568014460893


def test_tickers_full_and_mini(shared_data: Path) -> None:
    decoder = BinanceDecoder()
    raw = (shared_data / "ws/misc_binance_spot_24hrTicker_2024-03-22.jsonl").read_bytes().strip()
    [stats] = decoder.decode(raw)  # type: ignore[misc]
    assert isinstance(stats, TickerStats)
    assert stats.symbol == "BNB/USDT" and stats.last == 553.8 and stats.open_24h == 557.7
    assert stats.bid == 553.7 and stats.ask == 553.8
    assert stats.change_pct == pytest.approx(-0.699, abs=1e-3)  # Binance's own "P"
    mini = {"e": "24hrMiniTicker", "E": 1711065600000, "s": "ETHBTC", "c": "0.05", "o": "0.04", "h": "0.06"}
    mini |= {"l": "0.03", "v": "10", "q": "0.5"}
    events = decoder.decode(json.dumps({"stream": "!miniTicker@arr", "data": [mini, mini]}))
    assert isinstance(events, list) and len(events) == 2
    first = events[0]
    assert isinstance(first, TickerStats)
    assert first[:8] == ("ETH/BTC", 1711065600000, 0.05, 0.04, 0.06, 0.03, 10.0, 0.5)
    assert math.isnan(first.bid) and math.isnan(first.ask)  # mini tickers carry no book
    assert len(decoder.decode(json.dumps([mini]))) == 1  # type: ignore[arg-type]


def test_inline_rest_snapshot_takes_the_recording_symbol(shared_data: Path) -> None:
    decoder = BinanceDecoder()
    snapshots = [
        ev
        for rec in read_recording(shared_data / "ws/hftbacktest_binance-usdm_btcusdt_2024-08-08.jsonl.gz")
        for ev in decoder.decode(rec.raw)  # type: ignore[union-attr]
        if type(ev) is DepthSnapshot
    ]
    assert len(snapshots) == 1
    snap = snapshots[0]
    assert snap.symbol == "BTC/USDT" and snap.last_update_id == 5123107852948
    assert len(snap.bids) == len(snap.asks) == 1000
    assert snap.bids[0] == (61800.2, 2.909) and snap.asks[0][0] == 61800.3
    with pytest.raises(DecodeError, match="symbol is unknown"):
        BinanceDecoder().decode(b'{"lastUpdateId":1,"bids":[],"asks":[]}')


def test_subscription_replies() -> None:
    decoder = BinanceDecoder()
    assert decoder.decode(b'{"result":null,"id":7}') == SubscriptionReply(7, None)
    assert decoder.decode(b'{"result":["btcusdt@trade"],"id":3}') == SubscriptionReply(3, ["btcusdt@trade"])
    reply = decoder.decode(b'{"error":{"code":2,"msg":"Invalid request"},"id":9}')
    assert reply == SubscriptionReply(9, None, "code 2: Invalid request")


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b'{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"1.0"', DecodeError),
        (b"not json at all", DecodeError),
        (b'{"stream":"btcusdt@trade","data":{"e":"trade","s":"BTCUSDT","t":1,"p":"abc","q":"1"}}', DecodeError),
        (b'{"stream":"btcusdt@forceOrder","data":{"e":"forceOrder"}}', UnknownMessage),
        (b'{"e":"executionReport","E":1}', UnknownMessage),
        (b'{"hello":"world"}', UnknownMessage),
        (b"42", DecodeError),
    ],
)
def test_bad_messages_raise_decode_errors(raw: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        BinanceDecoder().decode(raw)


def test_user_data_and_unknown_fixtures_are_unknown_not_crashes(shared_data: Path) -> None:
    decoder = BinanceDecoder()
    outcome: Counter[str] = Counter()
    for name, raw in _nautilus(shared_data).items():
        try:
            decoder.decode(raw)
            outcome["decoded"] += 1
        except UnknownMessage:
            outcome["unknown"] += 1
            assert "execution" in name or "order_update" in name or "algo" in name or "trade_lite" in name
        except RejectedValue as rejected:
            # Binance's documentation examples carry the placeholder event time 123456789 (1970-01-02).
            outcome["rejected"] += 1
            assert b'"E": 123456789' in raw and "$.E = 123456789: Expected `int` >= 1262304000000" in str(rejected)
    # market fixtures: trade, aggTrade, 2 bookTicker, 2 depthUpdate, 2 24hrTicker; the rest are user data
    assert outcome == {"decoded": 5, "rejected": 3, "unknown": 34}


def test_unknown_user_data_stream_does_not_echo_its_listen_key() -> None:
    listen_key = "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"
    with pytest.raises(UnknownMessage) as caught:
        BinanceDecoder().decode(f'{{"stream":"{listen_key}","data":{{"e":"outboundAccountPosition"}}}}')
    assert listen_key not in str(caught.value)


def _depth_message(bids: list[list[str]], first: int = 10, last: int = 12) -> bytes:
    data = {"e": "depthUpdate", "E": 1723161600000, "s": "BTCUSDT", "U": first, "u": last, "b": bids, "a": []}
    return json.dumps({"stream": "btcusdt@depth@100ms", "data": data}).encode()


def test_depth_levels_of_quantity_zero_are_kept_bad_levels_and_ids_rejected() -> None:
    decoder = BinanceDecoder()
    [diff] = decoder.decode(_depth_message([["61000.5", "0.00000000"], ["61000.4", "1.2"]]), 1723161600100)  # type: ignore[misc]
    assert isinstance(diff, DepthUpdate) and diff.bids == ((61000.5, 0.0), (61000.4, 1.2))  # 0 removes a level
    cases = {
        "$.b[1][1] = 'NaN'": _depth_message([["61000.5", "1"], ["61000.4", "NaN"]]),
        "$.b[0][0] = '-61000.5'": _depth_message([["-61000.5", "1"]]),
        "$.b[0][1] = '-1'": _depth_message([["61000.5", "-1"]]),
        "first update id 12 is after the last 10": _depth_message([], first=12, last=10),
    }
    for expected, raw in cases.items():
        with pytest.raises(RejectedValue, match=re.escape(expected)):
            decoder.decode(raw, 1723161600100)
