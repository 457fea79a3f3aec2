"""Rolling 24 h ticker statistics: window arithmetic against a brute-force fold and pandas rolling windows on
real Binance 1m klines, book tops, exchange-provided stats, and the bar builder hand-off."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cryptoterm.domain.bars import BarBuilder
from cryptoterm.domain.market import BookTop, Candle, Kline, TickerStats, Trade
from cryptoterm.domain.ticker_stats import RollingTicker, TickerBook
from cryptoterm.domain.timeframes import DAY_MS, MINUTE_MS
from tests.domain.test_bars_real_trades import SPOT_FILES, load_trades

BTC = "BTC/USDT"
T0 = 1_723_075_200_000  # 2024-08-08 00:00 UTC


def bar(i: int, o: float, h: float, low: float, c: float, v: float = 1.0) -> Candle:
    return Candle(T0 + i * MINUTE_MS, o, h, low, c, v, v * c, 1)


def brute_force(bars: list[Candle], forming: Candle | None, now_ms: int) -> tuple[float, float, float, float, float]:
    """(open, high, low, last, volume) over the 1440 minutes ending with now's minute, by plain folding."""
    start = now_ms - now_ms % MINUTE_MS - DAY_MS + MINUTE_MS
    window = [b for b in bars if b.open_time >= start]
    if forming is not None and forming.open_time >= start:
        window.append(forming)
    if not window:
        last = bars[-1].close
        return last, last, last, last, 0.0
    return (
        window[0].open,
        max(b.high for b in window),
        min(b.low for b in window),
        window[-1].close,
        math.fsum(b.volume for b in window),
    )


def test_window_holds_the_last_1440_minutes_and_evicts_older_bars() -> None:
    ticker = RollingTicker(BTC)
    bars = [bar(i, 100.0 + i, 101.0 + i, 99.0 + i, 100.5 + i) for i in range(1500)]
    for b in bars:
        ticker.on_bar(b)
    now = T0 + 1499 * MINUTE_MS + 30_000  # inside the last bar's minute
    snap = ticker.snapshot(now)
    assert ticker.window_bars() == 1440
    assert (snap.open_24h, snap.high_24h, snap.low_24h, snap.last) == (160.0, 1600.0, 159.0, 1599.5)
    assert snap.volume_24h == 1440.0
    assert snap.change_pct == pytest.approx((1599.5 / 160.0 - 1) * 100)
    assert math.isnan(snap.bid) and snap.ts == now


def test_window_boundary_is_exactly_1440_minute_buckets() -> None:
    ticker = RollingTicker(BTC)
    ticker.on_bar(bar(0, 50.0, 80.0, 40.0, 60.0, 1.0))
    ticker.on_bar(bar(1438, 60.0, 61.0, 59.0, 60.5, 2.0))
    # Now in minute 1439: minutes 0..1439 are the window, so minute 0 still counts.
    inside = ticker.snapshot(T0 + 1439 * MINUTE_MS + 59_999)
    assert (inside.open_24h, inside.high_24h, inside.volume_24h) == (50.0, 80.0, 3.0)
    # One millisecond later it is minute 1440 and minute 0 has left the window.
    outside = ticker.snapshot(T0 + 1440 * MINUTE_MS)
    assert (outside.open_24h, outside.high_24h, outside.low_24h, outside.volume_24h) == (60.0, 61.0, 59.0, 2.0)
    assert ticker.window_bars() == 1


def test_quiet_market_keeps_last_price_with_zero_volume() -> None:
    ticker = RollingTicker(BTC)
    ticker.on_bar(bar(0, 10.0, 12.0, 9.0, 11.0, 4.0))
    snap = ticker.snapshot(T0 + 2 * DAY_MS)
    assert ticker.window_bars() == 0
    assert (snap.last, snap.open_24h, snap.high_24h, snap.low_24h, snap.volume_24h) == (11.0, 11.0, 11.0, 11.0, 0.0)
    assert snap.change_pct == 0.0


def test_unknown_symbol_has_nan_prices() -> None:
    snap = TickerBook().snapshot("NEW/USDT", T0)
    assert math.isnan(snap.last) and math.isnan(snap.open_24h) and snap.volume_24h == 0.0
    assert math.isnan(snap.change_pct)


def test_forming_bar_is_folded_in_and_replaced_when_it_closes() -> None:
    ticker = RollingTicker(BTC)
    ticker.on_bar(bar(0, 10.0, 11.0, 9.0, 10.5, 2.0))
    forming = Candle(T0 + MINUTE_MS, 10.5, 15.0, 10.0, 14.0, 3.0, 42.0, 5, closed=False)
    snap = ticker.snapshot(T0 + MINUTE_MS + 10, forming)
    assert (snap.open_24h, snap.high_24h, snap.low_24h, snap.last, snap.volume_24h) == (10.0, 15.0, 9.0, 14.0, 5.0)
    ticker.on_bar(forming._replace(closed=True))
    # A stale forming bar for the minute that has now closed must not be counted twice.
    again = ticker.snapshot(T0 + MINUTE_MS + 20, forming)
    assert again.volume_24h == 5.0
    assert ticker.ignored_bars == 0


def test_backfilled_bars_fill_gaps_and_replace_partial_ones() -> None:
    ticker = RollingTicker(BTC)
    ticker.on_bar(bar(0, 10.0, 11.0, 9.0, 10.0, 1.0))
    ticker.on_bar(bar(5, 10.0, 12.0, 9.5, 11.0, 1.0))  # minutes 1-4 lost in a disconnect
    ticker.on_bar(bar(6, 11.0, 11.5, 10.5, 11.2, 1.0))
    now = T0 + 6 * MINUTE_MS + 1
    assert ticker.snapshot(now).volume_24h == 3.0
    # The REST backfill of the gap arrives after the live bars: it is inserted in time order.
    for i, (h, low) in enumerate([(20.0, 9.0), (13.0, 2.0), (12.0, 9.0), (12.0, 9.0)], start=1):
        ticker.on_bar(bar(i, 10.0, h, low, 10.0, 2.0))
    # ...and the exchange's complete bar for minute 5 replaces the one built from a broken stream.
    ticker.on_bar(bar(5, 10.0, 12.5, 9.5, 11.0, 4.0))
    snap = ticker.snapshot(now)
    assert (snap.open_24h, snap.high_24h, snap.low_24h, snap.last) == (10.0, 20.0, 2.0, 11.2)
    assert snap.volume_24h == 1.0 + 8.0 + 4.0 + 1.0
    assert ticker.window_bars() == 7 and ticker.ignored_bars == 0
    # Replacing the newest bar updates the last price; new bars still append in O(1) afterwards.
    ticker.on_bar(bar(6, 11.0, 11.5, 10.5, 11.4, 1.0))
    assert ticker.snapshot(now).last == 11.4
    ticker.on_bar(bar(7, 11.4, 30.0, 11.0, 29.0, 1.0))
    later = ticker.snapshot(now + MINUTE_MS)
    assert (later.high_24h, later.last, later.volume_24h) == (30.0, 29.0, 15.0)
    # Bars from before the window are of no use any more.
    ticker.on_bar(Candle(T0 - DAY_MS, 1.0, 1.0, 1.0, 1.0, 100.0))
    assert ticker.ignored_bars == 1 and ticker.snapshot(now + MINUTE_MS).volume_24h == 15.0


@settings(max_examples=80, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.one_of(st.just(1), st.integers(1, 400)), st.floats(1.0, 1000.0), st.floats(0.0, 50.0)),
        min_size=1,
        max_size=300,
    ),
    probes=st.lists(
        st.one_of(st.integers(0, 3 * DAY_MS), st.integers(DAY_MS - 5 * MINUTE_MS, DAY_MS)), min_size=1, max_size=10
    ),
    with_forming=st.booleans(),
)
def test_rolling_window_equals_a_brute_force_fold(
    steps: list[tuple[int, float, float]], probes: list[int], with_forming: bool
) -> None:
    ticker = RollingTicker(BTC)
    bars: list[Candle] = []
    minute = 0
    for gap, p, v in steps:
        minute += gap
        candle = Candle(T0 + minute * MINUTE_MS, p, p * 1.01, p * 0.99, p * 1.001, v, v * p, 3)
        bars.append(candle)
        ticker.on_bar(candle)
    last_time = bars[-1].open_time
    forming = Candle(last_time + MINUTE_MS, 5.0, 2000.0, 0.5, 6.0, 1.5, 9.0, 2, False) if with_forming else None
    for offset in sorted(probes):
        now = last_time + MINUTE_MS + offset
        snap = ticker.snapshot(now, forming)
        o, h, low, last, vol = brute_force(bars, forming, now)
        assert (snap.open_24h, snap.high_24h, snap.low_24h, snap.last) == (o, h, low, last)
        assert snap.volume_24h == pytest.approx(vol, rel=1e-9, abs=1e-9)


def test_running_sums_stay_exact_over_many_days() -> None:
    ticker = RollingTicker(BTC)
    rng = np.random.default_rng(7)
    volumes = rng.lognormal(0.0, 2.0, size=5 * 1440 + 17)
    for i, v in enumerate(volumes):
        ticker.on_bar(bar(i, 1.0, 1.0, 1.0, 1.0, float(v)))
    now = T0 + (len(volumes) - 1) * MINUTE_MS
    snap = ticker.snapshot(now)
    assert snap.volume_24h == pytest.approx(math.fsum(volumes[-1440:]), rel=1e-12)
    assert snap.quote_volume_24h == pytest.approx(math.fsum(volumes[-1440:]), rel=1e-12)


def test_book_top_sets_bid_ask_and_spread() -> None:
    book = TickerBook()
    book.on_event(BookTop(BTC, T0, 61837.63, 1.2, 61837.64, 0.5))
    snap = book.snapshot(BTC, T0)
    assert (snap.bid, snap.ask) == (61837.63, 61837.64)
    assert snap.spread_bps == pytest.approx(0.01 / 61837.635 * 10_000)


def test_exchange_stats_overwrite_rolling_values_while_fresh(shared_data: Path) -> None:
    raw = json.loads((shared_data / "ws" / "misc_binance_spot_24hrTicker_2024-03-22.jsonl").read_text())
    stats = TickerStats(
        "BNB/USDT",
        int(raw["E"]),
        float(raw["c"]),
        float(raw["o"]),
        float(raw["h"]),
        float(raw["l"]),
        float(raw["v"]),
        float(raw["q"]),
        float(raw["b"]),
        float(raw["a"]),
    )
    book = TickerBook(exchange_ttl_ms=60_000)
    minute = stats.ts - stats.ts % MINUTE_MS
    book.on_bars([])  # nothing yet
    book.on_event(Kline("BNB/USDT", "1m", Candle(minute - MINUTE_MS, 553.0, 554.0, 552.0, 553.5, 10.0, 5535.0, 4)))
    book.on_event(stats)
    snap = book.snapshot("BNB/USDT", stats.ts + 1_000)
    assert (snap.open_24h, snap.high_24h, snap.low_24h) == (557.7, 588.1, 541.7)
    assert (snap.volume_24h, snap.quote_volume_24h) == (1181388.682, 667153813.1442)
    assert snap.last == 553.8  # the exchange's price is newer than our last closed bar
    assert (snap.bid, snap.ask) == (553.7, 553.8)
    assert snap.change_pct == pytest.approx(float(raw["P"]), abs=5e-4)
    # A newer forming bar from the kline stream supplies the latest price (and may extend the range).
    book.on_event(Kline("BNB/USDT", "1m", Candle(minute, 553.8, 590.0, 553.0, 589.0, 1.0, 589.0, 2, False)))
    snap = book.snapshot("BNB/USDT", stats.ts + 2_000)
    assert (snap.last, snap.high_24h, snap.open_24h) == (589.0, 590.0, 557.7)
    # Once the exchange has gone quiet past the TTL, the rolling values take over again.
    stale = book.snapshot("BNB/USDT", stats.ts + 120_000)
    assert (stale.open_24h, stale.volume_24h) == (553.0, 11.0)
    # An older exchange event never replaces a newer one.
    book.on_event(stats._replace(ts=stats.ts - 10_000, open_24h=1.0))
    assert book.snapshot("BNB/USDT", stats.ts + 1_000).open_24h == 557.7


def test_klines_without_a_builder_feed_closed_and_forming_bars() -> None:
    book = TickerBook()
    book.on_events(
        [
            Kline(BTC, "1m", bar(0, 10.0, 12.0, 9.0, 11.0, 2.0)),
            Kline(BTC, "5m", bar(0, 1.0, 99.0, 0.1, 1.0, 500.0)),  # other timeframes are not this book's
            Kline(BTC, "1m", bar(1, 11.0, 13.0, 10.0, 12.0, 3.0)._replace(closed=False)),
            Trade(BTC, T0, 1.0, 1.0, "buy"),  # trades go through the bar builder, not here
        ]
    )
    snap = book.snapshot(BTC, T0 + MINUTE_MS + 1)
    assert (snap.open_24h, snap.high_24h, snap.low_24h, snap.last, snap.volume_24h) == (10.0, 13.0, 9.0, 12.0, 5.0)
    assert book.symbols() == [BTC]


def test_book_rejects_a_builder_without_its_timeframe() -> None:
    with pytest.raises(ValueError, match="does not build '1m'"):
        TickerBook(BarBuilder(("5m", "1h")))
    with pytest.raises(ValueError, match="multiple of bar_ms"):
        RollingTicker(BTC, bar_ms=MINUTE_MS, window_ms=90_000)


def test_real_1m_klines_match_pandas_rolling_24h(shared_data: Path) -> None:
    frame = pd.read_csv(shared_data / "klines" / "1m" / "BTCUSDT-1m-2025-09-22_2025-09-25.csv.gz")
    candles = [
        Candle(int(t), float(o), float(h), float(low), float(c), float(v), float(q), int(n))
        for t, o, h, low, c, v, q, n in zip(
            frame["open_time"],
            frame["open"],
            frame["high"],
            frame["low"],
            frame["close"],
            frame["volume"],
            frame["quote_asset_volume"],
            frame["number_of_trades"],
            strict=True,
        )
    ]
    idx = pd.DatetimeIndex(pd.to_datetime(frame["open_time"], unit="ms", utc=True))
    series = frame.set_axis(idx)
    roll = series.rolling("1440min")
    high = roll["high"].max().to_numpy(dtype=np.float64)
    low = roll["low"].min().to_numpy(dtype=np.float64)
    volume = roll["volume"].sum().to_numpy(dtype=np.float64)
    quote = roll["quote_asset_volume"].sum().to_numpy(dtype=np.float64)
    times = frame["open_time"].to_numpy(dtype=np.int64)
    opens = frame["open"].to_numpy(dtype=np.float64)

    book = TickerBook()
    ticker = book.ticker(BTC)
    checked = 0
    for i, candle in enumerate(candles):
        ticker.on_bar(candle)
        if i % 7 and i != len(candles) - 1:
            continue
        snap = book.snapshot(BTC, candle.open_time + 59_999)  # within the bar's own minute
        first = int(np.searchsorted(times, candle.open_time - DAY_MS + MINUTE_MS))
        assert snap.open_24h == opens[first], i
        assert (snap.high_24h, snap.low_24h, snap.last) == (high[i], low[i], candle.close), i
        assert snap.volume_24h == pytest.approx(volume[i], rel=1e-9), i
        assert snap.quote_volume_24h == pytest.approx(quote[i], rel=1e-9), i
        checked += 1
    assert checked > 600


def test_book_reads_forming_bars_from_the_builder_on_real_trades(shared_data: Path) -> None:
    trades = load_trades(shared_data, SPOT_FILES)
    bars = BarBuilder()
    book = TickerBook(bars)
    for i in range(0, len(trades), 1000):
        book.on_bars(bars.on_trades(trades[i : i + 1000]))
    now = trades[-1].ts + 1
    snap = book.snapshot(BTC, now)
    prices = [t.price for t in trades]
    assert (snap.open_24h, snap.last) == (prices[0], prices[-1])
    assert (snap.high_24h, snap.low_24h) == (max(prices), min(prices))
    assert snap.volume_24h == pytest.approx(math.fsum(t.qty for t in trades), rel=1e-9)
    assert snap.quote_volume_24h == pytest.approx(math.fsum(t.qty * t.price for t in trades), rel=1e-9)
    assert book.ticker(BTC).window_bars() == 11  # 12 minutes traded, the last still forming
    assert book.snapshots(now) == (snap,)
