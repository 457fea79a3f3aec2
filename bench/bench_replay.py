"""Websocket decode throughput on real Binance recordings (../shared/data/ws), as a live session would see it.

The three BTCUSDT hftbacktest recordings (spot 2024-08-08 and 08-09, USDⓈ-M 08-08: 193,528 messages of
`trade`, `bookTicker` and diff depth) are read into memory first, so file I/O and gzip are not measured;
then every raw message goes through the live `BinanceDecoder`:

* decode only — raw bytes → domain events;
* decode + order book — diffs applied to an `OrderBook` per market (spot kept in sync across both days);
* decode + book + bars — trades also aggregated into 1m…1d bars by the `BarBuilder`: the whole per-message
  work of the market feed's hot path;
* `ReplayStream` at speed 0 — the complete replay path including reading the gzip files.

Each figure is the best of several repeats of process CPU time on one core (CPU time rather than wall time,
so other work on a shared machine does not count against it). `run()` returns rows for `make bench`;
nothing is asserted.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
from collections.abc import Callable
from pathlib import Path

from cryptoterm.adapters.binance.decode import BinanceDecoder
from cryptoterm.adapters.replay import ReplayStream, read_recording
from cryptoterm.domain.bars import BarBuilder
from cryptoterm.domain.market import DepthSnapshot, DepthUpdate, Trade
from cryptoterm.domain.orderbook import OrderBook

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("CRYPTOTERM_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))
#: (file, futures rules, book key): the two spot days share one book, as one continuous session would.
FILES = (
    ("hftbacktest_binance-spot_btcusdt_2024-08-08.jsonl.gz", False, "spot"),
    ("hftbacktest_binance-spot_btcusdt_2024-08-09.jsonl.gz", False, "spot"),
    ("hftbacktest_binance-usdm_btcusdt_2024-08-08.jsonl.gz", True, "usdm"),
)
REPEATS = 5

Row = tuple[str, str, str]
Corpus = list[tuple[str, bool, list[tuple[bytes, int]]]]


def _load() -> Corpus:
    return [
        (key, futures, [(m.raw, m.recv_ns // 1_000_000) for m in read_recording(SHARED_DATA / "ws" / name)])
        for name, futures, key in FILES
    ]


def _decode_only(corpus: Corpus) -> int:
    events = 0
    for _, _, messages in corpus:
        decode = BinanceDecoder().decode
        for raw, recv_ms in messages:
            events += len(decode(raw, recv_ms))  # type: ignore[arg-type]
    return events


def _decode_book(corpus: Corpus, bars: BarBuilder | None = None) -> int:
    books: dict[str, OrderBook] = {}
    applied = 0
    for key, futures, messages in corpus:
        decode = BinanceDecoder().decode
        book = books.setdefault(key, OrderBook("BTC/USDT", futures=futures))
        on_update = book.on_update
        on_trade = bars.on_trade if bars is not None else None
        for raw, recv_ms in messages:
            for ev in decode(raw, recv_ms):  # type: ignore[union-attr]
                kind = type(ev)
                if kind is DepthUpdate:
                    applied += on_update(ev)  # type: ignore[arg-type]
                elif kind is Trade:
                    if on_trade is not None:
                        on_trade(ev)  # type: ignore[arg-type]
                elif kind is DepthSnapshot:
                    book.on_snapshot(ev)  # type: ignore[arg-type]
    for key, book in books.items():
        if book.needs_snapshot or book.gaps:
            raise RuntimeError(f"{key} book lost sync during the benchmark (gaps={book.gaps})")
    return applied


def _replay_stream() -> int:
    """The whole `ReplayStream` path at speed 0: gzip read, line parse, decode, batches on an event loop."""

    async def consume() -> int:
        events = 0
        for name, _, _ in FILES:
            async for batch in ReplayStream(SHARED_DATA / "ws" / name, speed=0).batches():
                events += len(batch)
        return events

    return asyncio.run(consume())


def _best(fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        gc.collect()
        started = time.process_time()
        fn()
        best = min(best, time.process_time() - started)
    return best


def run() -> list[Row]:
    corpus = _load()
    n = sum(len(messages) for _, _, messages in corpus)
    note = f"{n:,} real BTCUSDT messages (spot 08-08 + 08-09, usdm 08-08), best of {REPEATS}, CPU time, one core"
    rows: list[Row] = []
    events = _decode_only(corpus)
    applied = _decode_book(corpus)
    for label, fn in (
        ("decode", lambda: _decode_only(corpus)),
        ("decode + order book", lambda: _decode_book(corpus)),
        ("decode + order book + bars", lambda: _decode_book(corpus, BarBuilder())),
    ):
        seconds = _best(fn)
        rows.append((f"{label}: msgs/s", f"{n / seconds:,.0f}", note))
        rows.append((f"{label}: µs/msg", f"{seconds / n * 1e6:.2f}", f"{events:,} events"))
    seconds = _best(_replay_stream)
    rows.append(
        ("ReplayStream speed 0 (gzip + decode): msgs/s", f"{n / seconds:,.0f}", "files read from disk each run")
    )
    rows.append(("depth diffs applied, books in sync", f"{applied:,}", "spot across both days, usdm with pu chaining"))
    return rows


if __name__ == "__main__":
    for row in run():
        print(*row, sep="  |  ")
