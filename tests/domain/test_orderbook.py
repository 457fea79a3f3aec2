"""Order book: Binance's diff-depth sync rules, proved on real recordings and on small hand-made cases."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cryptoterm.adapters.binance.decode import BinanceDecoder
from cryptoterm.adapters.replay import read_recording
from cryptoterm.domain.market import BookTop, DepthSnapshot, DepthUpdate
from cryptoterm.domain.orderbook import OrderBook

SPOT_0808 = "ws/hftbacktest_binance-spot_btcusdt_2024-08-08.jsonl.gz"
SPOT_0809 = "ws/hftbacktest_binance-spot_btcusdt_2024-08-09.jsonl.gz"
USDM_0808 = "ws/hftbacktest_binance-usdm_btcusdt_2024-08-08.jsonl.gz"


class _BookTickerId(msgspec.Struct):
    u: int


class _Wrapped(msgspec.Struct):
    data: _BookTickerId


_BT_ID = msgspec.json.Decoder(_Wrapped)


def _events(path: Path) -> Iterator[tuple[object, int]]:
    """(event, bookTicker update id or -1) in recorded order, through the live decoder."""
    decoder = BinanceDecoder()
    for rec in read_recording(path):
        for event in decoder.decode(rec.raw, rec.recv_ns // 1_000_000):  # type: ignore[union-attr]
            bt_id = _BT_ID.decode(rec.raw).data.u if type(event) is BookTop else -1
            yield event, bt_id


def _rebuild_and_compare(path: Path, *, futures: bool) -> dict[str, int]:
    """Rebuild the book from the file and compare it with the recording's own bookTicker stream.

    bookTicker carries the order-book update id `u` it reflects. After each applied diff (book at id u)
    the latest bookTicker with id <= u must show the same best bid/ask prices — a best-price change after
    it would have produced a newer bookTicker. When the ids are equal, the quantities must match too.
    """
    book = OrderBook("BTC/USDT", futures=futures)
    tickers: dict[int, BookTop] = {}
    states: list[tuple[int, tuple[float, float], tuple[float, float]]] = []
    stats = {"applied": 0, "compared": 0, "exact_id": 0, "snapshots": 0}
    for event, bt_id in _events(path):
        if type(event) is BookTop:
            tickers[bt_id] = event
        elif type(event) is DepthSnapshot:
            assert book.on_snapshot(event) == "synced"
            stats["snapshots"] += 1
        elif type(event) is DepthUpdate:
            was_synced = not book.needs_snapshot
            applied = book.on_update(event)
            if was_synced:
                assert applied, f"diff U={event.first_update_id} u={event.final_update_id} broke the chain"
            if not applied:
                continue
            stats["applied"] += 1
            bid, ask = book.best_bid(), book.best_ask()
            assert bid is not None and ask is not None
            assert bid[0] < ask[0], f"crossed book at u={book.last_update_id}: {bid} >= {ask}"
            states.append((book.last_update_id, bid, ask))
    ticker_ids = sorted(tickers)
    for update_id, bid, ask in states:
        i = bisect_right(ticker_ids, update_id) - 1
        if i < 0:
            continue
        top = tickers[ticker_ids[i]]
        assert (bid[0], ask[0]) == (top.bid, top.ask), f"best prices differ at u={update_id}"
        stats["compared"] += 1
        if ticker_ids[i] == update_id:
            assert (bid[1], ask[1]) == (top.bid_qty, top.ask_qty)
            stats["exact_id"] += 1
    assert book.gaps == 0 and not book.needs_snapshot
    return stats


def test_spot_book_rebuilt_from_real_diffs_matches_book_ticker(shared_data: Path) -> None:
    stats = _rebuild_and_compare(shared_data / SPOT_0808, futures=False)
    assert stats["snapshots"] == 1
    assert stats["applied"] > 3400  # 3,451 diffs in the file, 2 already inside the snapshot
    assert stats["compared"] > 3400
    assert stats["exact_id"] > 500  # diffs whose final id equals a bookTicker id: qty must agree too


def test_usdm_book_rebuilt_with_pu_chaining_matches_book_ticker(shared_data: Path) -> None:
    stats = _rebuild_and_compare(shared_data / USDM_0808, futures=True)
    assert stats["snapshots"] == 1
    assert stats["applied"] > 6500
    assert stats["compared"] > 6500
    assert stats["exact_id"] > 600


def test_spot_book_stays_in_sync_across_consecutive_recordings(shared_data: Path) -> None:
    book = OrderBook("BTC/USDT")
    for name in (SPOT_0808, SPOT_0809):
        for event, _ in _events(shared_data / name):
            if type(event) is DepthSnapshot:
                book.on_snapshot(event)
            elif type(event) is DepthUpdate:
                book.on_update(event)
    assert book.gaps == 0 and not book.needs_snapshot
    assert book.updates_applied > 6400  # 3,449 + 3,044 diffs
    assert book.spread > 0


def _real_spot_sequence(shared_data: Path) -> tuple[DepthSnapshot, list[DepthUpdate]]:
    snapshot: DepthSnapshot | None = None
    diffs: list[DepthUpdate] = []
    for event, _ in _events(shared_data / SPOT_0808):
        if type(event) is DepthSnapshot:
            snapshot = event
        elif type(event) is DepthUpdate:
            diffs.append(event)
    assert snapshot is not None
    return snapshot, [d for d in diffs if d.final_update_id > snapshot.last_update_id]


def test_removed_diff_is_a_gap_and_a_fresh_snapshot_resyncs(shared_data: Path) -> None:
    snapshot, diffs = _real_spot_sequence(shared_data)
    reference = OrderBook("BTC/USDT")
    reference.on_snapshot(snapshot)
    book = OrderBook("BTC/USDT")
    book.on_snapshot(snapshot)
    removed = 500
    for i, diff in enumerate(diffs[:1000]):
        reference.on_update(diff)
        if i == removed:
            continue
        book.on_update(diff)
        if i == removed + 1:
            assert book.needs_snapshot and book.gaps == 1
            assert book.bid_levels == 0  # a book that missed a diff is not shown
        if i == 700:
            assert book.on_snapshot(reference.snapshot()) == "synced"
            assert book.resyncs == 1
    assert not book.needs_snapshot
    assert book.snapshot() == reference.snapshot()


def test_snapshot_older_than_buffered_diffs_is_stale(shared_data: Path) -> None:
    snapshot, diffs = _real_spot_sequence(shared_data)
    book = OrderBook("BTC/USDT")
    for diff in diffs[10:20]:
        book.on_update(diff)
    assert book.buffered == 10
    assert book.on_snapshot(snapshot) == "stale"
    assert book.needs_snapshot


def test_buffered_diffs_replay_onto_snapshot(shared_data: Path) -> None:
    snapshot, diffs = _real_spot_sequence(shared_data)
    reference = OrderBook("BTC/USDT")
    reference.on_snapshot(snapshot)
    for diff in diffs[:50]:
        reference.on_update(diff)
    book = OrderBook("BTC/USDT")
    for diff in diffs[:50]:
        book.on_update(diff)  # stream opened before the snapshot arrives: diffs are buffered
    assert book.on_snapshot(snapshot) == "synced"
    assert book.snapshot() == reference.snapshot()


# ---------------------------------------------------------------------------------------- small cases


def _snap(lid: int, bids: list[tuple[float, float]], asks: list[tuple[float, float]]) -> DepthSnapshot:
    return DepthSnapshot("X/Y", 0, lid, tuple(bids), tuple(asks))


def _diff(first: int, last: int, bids=(), asks=(), pu: int = -1) -> DepthUpdate:  # type: ignore[no-untyped-def]
    return DepthUpdate("X/Y", last, first, last, tuple(bids), tuple(asks), pu)


def test_spot_first_diff_must_straddle_snapshot_id() -> None:
    book = OrderBook("X/Y")
    book.on_snapshot(_snap(100, [(9.0, 1.0)], [(11.0, 1.0)]))
    assert not book.on_update(_diff(95, 100))  # already inside the snapshot: ignored
    assert book.updates_ignored == 1 and not book.needs_snapshot
    assert book.on_update(_diff(99, 103, bids=[(10.0, 2.0)]))
    assert book.best_bid() == (10.0, 2.0)
    assert not book.on_update(_diff(105, 106))  # 104 missing
    assert book.needs_snapshot and book.gaps == 1


def test_spot_first_diff_after_snapshot_gap_is_detected() -> None:
    book = OrderBook("X/Y")
    book.on_snapshot(_snap(100, [(9.0, 1.0)], [(11.0, 1.0)]))
    assert not book.on_update(_diff(102, 105))  # 101 never seen
    assert book.needs_snapshot


def test_a_hole_among_buffered_diffs_refuses_the_snapshot_without_counting_it() -> None:
    book = OrderBook("X/Y")
    book.on_update(_diff(101, 103, bids=[(9.5, 1.0)]))
    book.on_update(_diff(106, 108))  # 104-105 never arrived
    assert book.on_snapshot(_snap(100, [(9.0, 1.0)], [(11.0, 1.0)])) == "stale"
    assert book.needs_snapshot and book.snapshots_loaded == 0 and book.resyncs == 0
    assert book.buffered == 1 and book.best_bid() is None  # nothing of the refused snapshot shows
    assert book.on_snapshot(_snap(107, [(9.0, 2.0)], [(11.0, 1.0)])) == "synced"
    assert book.snapshots_loaded == 1 and book.resyncs == 0 and book.best_bid() == (9.0, 2.0)


def test_futures_chains_on_pu_not_consecutive_ids() -> None:
    book = OrderBook("X/Y", futures=True)
    book.on_snapshot(_snap(100, [(9.0, 1.0)], [(11.0, 1.0)]))
    assert book.on_update(_diff(90, 100, asks=[(10.5, 3.0)], pu=89))  # u == lastUpdateId is applied
    assert book.on_update(_diff(140, 150, pu=100))  # ids jump, but pu chains
    assert book.best_ask() == (10.5, 3.0)
    assert not book.on_update(_diff(160, 170, pu=155))
    assert book.needs_snapshot and book.gaps == 1


def test_zero_quantity_removes_level_and_queries() -> None:
    book = OrderBook("X/Y")
    book.on_snapshot(_snap(1, [(9.0, 1.0), (8.0, 3.0), (7.0, 1.0)], [(11.0, 2.0), (12.0, 2.0)]))
    book.on_update(_diff(2, 2, bids=[(9.0, 0.0), (8.5, 1.0)], asks=[(10.0, 4.0)]))
    assert book.top(2) == ([(8.5, 1.0), (8.0, 3.0)], [(10.0, 4.0), (11.0, 2.0)])
    assert book.spread == 1.5
    assert book.mid == 9.25
    assert book.imbalance(2) == pytest.approx(4.0 / 10.0)
    assert book.bid_levels == 3 and book.ask_levels == 3


def test_empty_book_queries_are_nan_or_none() -> None:
    book = OrderBook("X/Y")
    assert book.best_bid() is None and book.best_ask() is None
    assert book.spread != book.spread and book.mid != book.mid and book.imbalance() != book.imbalance()


@given(
    st.lists(
        st.tuples(
            st.booleans(),
            st.integers(min_value=1, max_value=40).map(float),
            st.sampled_from([0.0, 0.5, 1.0, 2.0]),
        ),
        max_size=200,
    )
)
def test_sorted_views_match_a_plain_dict_model(ops: list[tuple[bool, float, float]]) -> None:
    book = OrderBook("X/Y")
    book.on_snapshot(_snap(0, [], []))
    model: dict[bool, dict[float, float]] = {True: {}, False: {}}
    for i, (is_bid, price, qty) in enumerate(ops, 1):
        level = [(price, qty)]
        book.on_update(_diff(i, i, bids=level if is_bid else (), asks=() if is_bid else level))
        if qty:
            model[is_bid][price] = qty
        else:
            model[is_bid].pop(price, None)
    bids, asks = book.top(1000)
    assert bids == sorted(model[True].items(), reverse=True)
    assert asks == sorted(model[False].items())
