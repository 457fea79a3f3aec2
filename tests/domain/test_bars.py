"""Bar builder behaviour: bucket boundaries, closing, advance, seeding, late trades, several symbols."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cryptoterm.domain.bars import BarBuilder
from cryptoterm.domain.market import BarClosed, Candle, Trade
from cryptoterm.domain.timeframes import DAY_MS, HOUR_MS, MINUTE_MS

BTC = "BTC/USDT"
ETH = "ETH/USDT"


def ms(text: str) -> int:
    """Epoch ms of an ISO UTC timestamp like '2024-08-08 23:59:59.999'."""
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def tr(ts: int, price: float, qty: float = 1.0, symbol: str = BTC) -> Trade:
    return Trade(symbol, ts, price, qty, "buy")


MIDNIGHT = ms("2024-08-09 00:00:00")


def test_trade_exactly_at_bucket_start_opens_the_new_bar() -> None:
    b = BarBuilder()
    assert b.on_trade(tr(MIDNIGHT - MINUTE_MS, 10.0)) == []
    closed = b.on_trade(tr(MIDNIGHT, 11.0))
    assert (closed[0].timeframe, closed[0].candle.open_time) == ("1m", MIDNIGHT - MINUTE_MS)
    forming = b.forming(BTC, "1m")
    assert forming is not None
    assert forming.open_time == MIDNIGHT
    assert (forming.open, forming.close, forming.trades, forming.closed) == (11.0, 11.0, 1, False)


def test_last_millisecond_of_the_day_versus_midnight_closes_every_timeframe_in_order() -> None:
    b = BarBuilder()
    last_ms = ms("2024-08-08 23:59:59.999")
    assert last_ms == MIDNIGHT - 1
    b.on_trade(tr(ms("2024-08-08 23:59:00.000"), 100.0, 2.0))
    assert b.on_trade(tr(last_ms, 101.0, 1.0)) == []  # same minute: nothing closes
    closed = b.on_trade(tr(MIDNIGHT, 102.0, 3.0))
    assert [e.timeframe for e in closed] == ["1m", "5m", "15m", "1h", "4h", "1d"]
    lengths = {"1m": MINUTE_MS, "5m": 5 * MINUTE_MS, "15m": 15 * MINUTE_MS, "1h": HOUR_MS, "4h": 4 * HOUR_MS}
    lengths["1d"] = DAY_MS
    for event in closed:
        assert event.symbol == BTC
        assert event.candle.open_time == MIDNIGHT - lengths[event.timeframe]
        assert event.candle == Candle(event.candle.open_time, 100.0, 101.0, 100.0, 101.0, 3.0, 301.0, 2, True)
    for tf in b.timeframes:
        candle = b.forming(BTC, tf)
        assert candle is not None and candle.open_time == MIDNIGHT and candle.close == 102.0


def test_closed_bar_carries_ohlcv_quote_volume_and_count() -> None:
    b = BarBuilder(("1m",))
    t0 = ms("2024-01-01 10:00:00")
    b.on_trades([tr(t0 + 1, 5.0, 1.0), tr(t0 + 2, 7.0, 2.0), tr(t0 + 3, 4.0, 0.5), tr(t0 + 4, 6.0, 1.5)])
    (event,) = b.on_trade(tr(t0 + MINUTE_MS, 6.5))
    assert event == BarClosed(BTC, "1m", Candle(t0, 5.0, 7.0, 4.0, 6.0, 5.0, 5 + 14 + 2 + 9, 4, True))


def test_gaps_are_not_filled() -> None:
    b = BarBuilder(("1m", "5m"))
    t0 = ms("2024-01-01 10:00:00")
    b.on_trade(tr(t0 + 10, 1.0))
    closed = b.on_trade(tr(t0 + 7 * MINUTE_MS + 10, 2.0))  # minutes 1..6 had no trades
    assert [(e.timeframe, e.candle.open_time) for e in closed] == [("1m", t0), ("5m", t0)]
    forming_5m = b.forming(BTC, "5m")
    assert forming_5m is not None and forming_5m.open_time == t0 + 5 * MINUTE_MS


def test_larger_timeframe_rolls_up_closed_and_forming_base_bars() -> None:
    b = BarBuilder(("1m", "5m"))
    t0 = ms("2024-01-01 10:00:00")
    b.on_trades([tr(t0, 10.0, 1.0), tr(t0 + MINUTE_MS, 12.0, 1.0), tr(t0 + 2 * MINUTE_MS + 5, 9.0, 2.0)])
    assert b.forming(BTC, "5m") == Candle(t0, 10.0, 12.0, 9.0, 9.0, 4.0, 40.0, 3, False)
    closed = b.on_trade(tr(t0 + 5 * MINUTE_MS, 11.0))
    assert closed[-1] == BarClosed(BTC, "5m", Candle(t0, 10.0, 12.0, 9.0, 9.0, 4.0, 40.0, 3, True))


def test_out_of_order_inside_the_forming_bar_uses_timestamps_and_arrival_for_ties() -> None:
    b = BarBuilder(("1m", "5m"))
    t0 = ms("2024-01-01 10:00:00")
    b.on_trades(
        [
            tr(t0 + 500, 10.0),
            tr(t0 + 100, 9.0),  # earlier timestamp: becomes the open
            tr(t0 + 100, 8.5),  # same timestamp, arrived later: not the open
            tr(t0 + 900, 11.0),
            tr(t0 + 900, 12.0),  # same timestamp, arrived later: the close
            tr(t0 + 700, 13.0),  # the high, but not the close
        ]
    )
    assert b.forming(BTC, "1m") == Candle(t0, 9.0, 13.0, 8.5, 12.0, 6.0, 63.5, 6, False)
    assert b.forming(BTC, "5m") == Candle(t0, 9.0, 13.0, 8.5, 12.0, 6.0, 63.5, 6, False)
    assert b.late_trades == 0


def test_late_trade_is_skipped_for_closed_timeframe_but_applied_to_forming_larger_ones() -> None:
    b = BarBuilder(("1m", "5m", "1h"))
    t0 = ms("2024-01-01 10:00:00")
    b.on_trade(tr(t0 + 10, 100.0))
    closed = b.on_trade(tr(t0 + MINUTE_MS + 10, 101.0))
    assert [e.timeframe for e in closed] == ["1m"]
    published = closed[0].candle
    assert b.on_trade(tr(t0 + 20, 90.0, 5.0)) == []  # belongs to the published 10:00 1m bar
    assert b.late_trades == 1
    assert b.late_by_timeframe == {"1m": 1, "5m": 0, "1h": 0}
    assert b.forming(BTC, "1m") == Candle(t0 + MINUTE_MS, 101.0, 101.0, 101.0, 101.0, 1.0, 101.0, 1, False)
    for tf in ("5m", "1h"):
        assert b.forming(BTC, tf) == Candle(t0, 100.0, 101.0, 90.0, 101.0, 7.0, 100 + 101 + 450, 3, False)
    # The published 1m bar is never re-emitted or changed.
    closed = b.on_trade(tr(t0 + 5 * MINUTE_MS, 102.0))
    assert [e.timeframe for e in closed] == ["1m", "5m"]
    assert published.low == 100.0
    assert closed[1].candle.low == 90.0 and closed[1].candle.volume == 7.0
    # Now late for 1m and 5m, still inside the forming hour.
    b.on_trade(tr(t0 + 30, 80.0))
    assert b.late_by_timeframe == {"1m": 2, "5m": 1, "1h": 0}
    hour = b.forming(BTC, "1h")
    assert hour is not None and hour.low == 80.0 and hour.trades == 5 and hour.open == 100.0


def test_late_trade_in_an_empty_bucket_before_the_forming_bar_is_late_and_starts_a_larger_partial() -> None:
    b = BarBuilder(("1m", "5m"))
    t0 = ms("2024-01-01 10:05:00")
    b.on_trade(tr(t0 + 2 * MINUTE_MS, 50.0))  # 10:07 forming; nothing earlier in this 5m bucket
    b.on_trade(tr(t0 + 30_000, 40.0))  # 10:05:30 — behind the watermark for 1m, inside the forming 5m
    assert b.late_by_timeframe == {"1m": 1, "5m": 0}
    assert b.forming(BTC, "5m") == Candle(t0, 40.0, 50.0, 40.0, 50.0, 2.0, 90.0, 2, False)
    (one_min, five_min) = b.advance(t0 + 5 * MINUTE_MS)
    assert one_min.candle.open_time == t0 + 2 * MINUTE_MS and one_min.candle.trades == 1
    assert five_min.candle == Candle(t0, 40.0, 50.0, 40.0, 50.0, 2.0, 90.0, 2, True)


def test_advance_closes_bars_on_time_in_a_quiet_market() -> None:
    b = BarBuilder(("1m", "5m"))
    t0 = ms("2024-01-01 10:00:00")
    b.on_trade(tr(t0 + 1_000, 10.0))
    assert b.advance(t0 + MINUTE_MS - 1) == []
    closed = b.advance(t0 + MINUTE_MS)
    assert [(e.timeframe, e.candle.open_time, e.candle.closed) for e in closed] == [("1m", t0, True)]
    assert b.forming(BTC, "1m") is None
    assert b.forming(BTC, "5m") == Candle(t0, 10.0, 10.0, 10.0, 10.0, 1.0, 10.0, 1, False)
    assert b.advance(t0 + 2 * MINUTE_MS) == []  # nothing forming for 1m: no bar invented
    closed = b.advance(t0 + 5 * MINUTE_MS)
    assert [(e.timeframe, e.candle.open_time) for e in closed] == [("5m", t0)]
    assert b.forming_all(BTC) == {}
    assert b.advance(t0 + 10 * MINUTE_MS) == []


def test_trade_for_a_bucket_advance_already_ended_is_late() -> None:
    b = BarBuilder(("1m", "5m"))
    t0 = ms("2024-01-01 10:00:00")
    b.on_trade(tr(t0 + 1_000, 10.0))
    b.advance(t0 + 3 * MINUTE_MS + 5)
    b.on_trade(tr(t0 + 2 * MINUTE_MS, 11.0))  # minute 10:02 ended before the advance time
    assert b.late_by_timeframe == {"1m": 1, "5m": 0}
    assert b.forming(BTC, "1m") is None
    five = b.forming(BTC, "5m")
    assert five is not None and five.trades == 2 and five.close == 11.0
    b.on_trade(tr(t0 + 3 * MINUTE_MS + 10, 12.0))  # the current minute is still open
    one = b.forming(BTC, "1m")
    assert one is not None and one.open_time == t0 + 3 * MINUTE_MS


def test_symbols_first_seen_after_advance_start_at_its_watermark() -> None:
    b = BarBuilder(("1m",))
    t0 = ms("2024-01-01 10:00:00")
    b.advance(t0 + MINUTE_MS)
    b.on_trade(tr(t0 + 5, 1.0, symbol=ETH))
    assert b.late_trades == 1 and b.forming(ETH, "1m") is None
    b.on_trade(tr(t0 + MINUTE_MS, 2.0, symbol=ETH))
    assert b.forming(ETH, "1m") is not None


def test_symbols_are_independent() -> None:
    b = BarBuilder(("1m", "5m"))
    t0 = ms("2024-01-01 10:00:00")
    trades = [
        tr(t0 + 1, 10.0, symbol=BTC),
        tr(t0 + 2, 100.0, symbol=ETH),
        tr(t0 + 3, 11.0, symbol=BTC),
        tr(t0 + MINUTE_MS + 1, 12.0, symbol=BTC),  # closes BTC's minute only
        tr(t0 + 4, 101.0, symbol=ETH),  # ETH is still in its first minute: not late
    ]
    closed = b.on_trades(trades)
    assert [(e.symbol, e.timeframe) for e in closed] == [(BTC, "1m")]
    assert closed[0].candle == Candle(t0, 10.0, 11.0, 10.0, 11.0, 2.0, 21.0, 2, True)
    assert b.late_trades == 0
    assert b.forming(ETH, "1m") == Candle(t0, 100.0, 101.0, 100.0, 101.0, 2.0, 201.0, 2, False)
    assert sorted(b.symbols()) == [BTC, ETH]
    assert b.forming("SOL/USDT", "1m") is None
    assert b.forming_all("SOL/USDT") == {}
    b.discard(ETH)
    assert b.symbols() == [BTC]


def test_on_trade_and_on_trades_agree() -> None:
    t0 = ms("2024-01-01 23:58:00")
    prices = [10.0, 12.0, 9.0, 11.0, 13.0, 8.0, 10.5, 9.5]
    offsets = [0, 30_000, 70_000, 65_000, 125_000, 20_000, 185_000, 181_000]
    trades = [
        tr(t0 + off, p, 0.1 * (i + 1), BTC if i % 3 else ETH)
        for i, (off, p) in enumerate(zip(offsets, prices, strict=True))
    ]
    one, batch = BarBuilder(), BarBuilder()
    events_one = [e for t in trades for e in one.on_trade(t)]
    events_batch = batch.on_trades(trades)
    assert events_one == events_batch and len(events_batch) > 6
    assert one.late_by_timeframe == batch.late_by_timeframe
    assert one.late_trades == batch.late_trades == 1
    for sym in (BTC, ETH):
        assert one.forming_all(sym) == batch.forming_all(sym)


def test_seed_closed_history_sets_the_watermark() -> None:
    b = BarBuilder(("1m", "5m"))
    t0 = ms("2024-01-01 10:00:00")
    history = [Candle(t0 + i * MINUTE_MS, 1.0, 2.0, 0.5, 1.5, 3.0, 4.5, 7) for i in range(3)]
    assert b.seed(BTC, "1m", history) == []
    b.on_trade(tr(t0 + 2 * MINUTE_MS + 1, 9.0))  # in the last seeded (closed) minute: late
    assert b.late_by_timeframe["1m"] == 1
    b.on_trade(tr(t0 + 3 * MINUTE_MS, 9.5))
    one = b.forming(BTC, "1m")
    assert one is not None and one.open_time == t0 + 3 * MINUTE_MS and one.trades == 1


def test_seed_forming_bar_continues_with_live_trades() -> None:
    b = BarBuilder(("1m", "5m"))
    t0 = ms("2024-01-01 10:00:00")
    forming = Candle(t0 + MINUTE_MS, 20.0, 22.0, 19.0, 21.0, 5.0, 105.0, 9, closed=False)
    b.seed(BTC, "1m", [Candle(t0, 18.0, 20.0, 17.0, 20.0, 4.0, 76.0, 6), forming])
    assert b.forming(BTC, "1m") == forming
    b.on_trades([tr(t0 + MINUTE_MS + 40_000, 23.0, 1.0), tr(t0 + MINUTE_MS + 41_000, 21.5, 1.0)])
    assert b.forming(BTC, "1m") == Candle(t0 + MINUTE_MS, 20.0, 23.0, 19.0, 21.5, 7.0, 149.5, 11, False)
    (closed,) = b.on_trade(tr(t0 + 2 * MINUTE_MS, 21.0))
    assert closed.candle.volume == 7.0 and closed.candle.open == 20.0 and closed.candle.closed


def test_seed_larger_and_base_forming_bars_do_not_double_count() -> None:
    t0 = ms("2024-01-01 10:05:00")
    five = Candle(t0, 30.0, 35.0, 29.0, 33.0, 10.0, 320.0, 40, closed=False)
    one = Candle(t0 + 2 * MINUTE_MS, 32.0, 34.0, 31.0, 33.0, 2.0, 65.0, 8, closed=False)
    for order in (("5m", "1m"), ("1m", "5m")):
        b = BarBuilder(("1m", "5m"))
        for tf in order:
            b.seed(BTC, tf, [five if tf == "5m" else one])
        assert b.forming(BTC, "5m") == five, order
        b.on_trade(tr(t0 + 2 * MINUTE_MS + 30_000, 36.0, 1.0))
        closed = b.advance(t0 + 5 * MINUTE_MS)
        assert [e.timeframe for e in closed] == ["1m", "5m"]
        assert closed[1].candle == Candle(t0, 30.0, 36.0, 29.0, 36.0, 11.0, 356.0, 41, True), order


def test_seed_rejects_bad_history_naming_the_candle() -> None:
    b = BarBuilder(("1m", "5m"))
    t0 = ms("2024-01-01 10:00:00")
    good = Candle(t0, 1.0, 2.0, 0.5, 1.5, 1.0)
    with pytest.raises(ValueError, match=r"candle 1 .*not on a 5m boundary"):
        b.seed(BTC, "5m", [good, good._replace(open_time=t0 + MINUTE_MS)])
    with pytest.raises(ValueError, match=r"candle 1 .*not after the previous"):
        b.seed(BTC, "1m", [good, good])
    with pytest.raises(ValueError, match=r"candle 0 .*only allowed on the last"):
        b.seed(BTC, "1m", [good._replace(closed=False), good._replace(open_time=t0 + MINUTE_MS)])
    with pytest.raises(ValueError, match=r"candle 0 .*high/low"):
        b.seed(BTC, "1m", [good._replace(high=1.0)])
    with pytest.raises(ValueError, match=r"not built here"):
        b.seed(BTC, "1h", [good])
    assert b.symbols() == []


@pytest.mark.parametrize(
    ("timeframes", "message"),
    [
        ((), "at least one"),
        (("1m", "7x"), "unknown timeframe '7x'"),
        (("2m", "5m"), "'5m' is not a whole multiple"),
        (("1m", "1w"), "'1w' is longer than 1d"),
        (("1m", "60m", "1h"), "same length"),
    ],
)
def test_constructor_rejects_timeframes_it_cannot_build(timeframes: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BarBuilder(timeframes)


def test_timeframes_are_ordered_smallest_first_and_unknown_queries_fail_clearly() -> None:
    b = BarBuilder(("1h", "1m", "15m"))
    assert b.timeframes == ("1m", "15m", "1h")
    with pytest.raises(ValueError, match=r"'4h' is not built here"):
        b.forming(BTC, "4h")
