"""Property: for any trade sequence, sorted or lightly shuffled, the builder's bars for every timeframe equal a
pandas resample of the trades each timeframe accepted, and only buckets that contain trades exist.

The reference states the late-trade rule independently of the builder: a trade is late for a timeframe when its
bucket starts before the bucket of the newest trade that arrived before it. Everything else is plain pandas
(`resample(label='left', closed='left')` on a UTC DatetimeIndex after a stable sort by time, so timestamp ties
keep arrival order for first/last).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from cryptoterm.domain.bars import BarBuilder
from cryptoterm.domain.market import BarClosed, Candle, Trade
from cryptoterm.domain.timeframes import TIMEFRAMES, timeframe_ms

PANDAS_RULE = {"1m": "1min", "5m": "5min", "15m": "15min", "1h": "1h", "4h": "4h", "1d": "24h"}
DAY_2024_08_09 = 1_723_161_600_000  # 2024-08-09 00:00:00 UTC


def late_mask(ts: NDArray[np.int64], length: int, prior: NDArray[np.int64] | None = None) -> NDArray[np.bool_]:
    """True where a trade's bucket starts before the bucket of the watermark it met on arrival.

    The watermark is the newest earlier-arrived trade time, or `prior[i]` when given (which also folds in
    the clock times passed to `advance`).
    """
    if prior is None:
        running_max = np.maximum.accumulate(ts)
        prior = np.concatenate((np.array([np.iinfo(np.int64).min // 2], dtype=np.int64), running_max[:-1]))
    late: NDArray[np.bool_] = (ts - ts % length) < (prior - prior % length)
    return late


def reference_bars(trades: Sequence[Trade], timeframe: str, prior: NDArray[np.int64] | None = None) -> pd.DataFrame:
    """Bars of one symbol's trades at `timeframe`, by pandas resample, late trades removed first.

    Columns: open_time (epoch ms), open, high, low, close, volume, quote_volume, trades; one row per bucket
    that holds at least one accepted trade.
    """
    length = timeframe_ms(timeframe)
    ts = np.array([t.ts for t in trades], dtype=np.int64)
    frame = pd.DataFrame(
        {
            "ts": ts,
            "price": np.array([t.price for t in trades], dtype=np.float64),
            "qty": np.array([t.qty for t in trades], dtype=np.float64),
        }
    )
    frame = frame[~late_mask(ts, length, prior)].sort_values("ts", kind="stable")
    frame["pq"] = frame["price"] * frame["qty"]
    frame.index = pd.DatetimeIndex(pd.to_datetime(frame["ts"], unit="ms", utc=True))
    res = frame.resample(PANDAS_RULE[timeframe], label="left", closed="left", origin="epoch")
    out = pd.DataFrame(
        {
            "open": res["price"].first(),
            "high": res["price"].max(),
            "low": res["price"].min(),
            "close": res["price"].last(),
            "volume": res["qty"].sum(),
            "quote_volume": res["pq"].sum(),
            "trades": res["price"].count(),
        }
    )
    out = out[out["trades"] > 0]
    out.insert(0, "open_time", pd.DatetimeIndex(out.index).as_unit("ms").asi8)
    return out.reset_index(drop=True)


def candles_from(ref: pd.DataFrame) -> list[Candle]:
    """The reference frame as closed candles (e.g. to seed a builder with history)."""
    columns = [ref[name].to_numpy(dtype=np.float64).tolist() for name in ("open", "high", "low", "close")]
    volume = ref["volume"].to_numpy(dtype=np.float64).tolist()
    quote = ref["quote_volume"].to_numpy(dtype=np.float64).tolist()
    times = ref["open_time"].to_numpy(dtype=np.int64).tolist()
    counts = ref["trades"].to_numpy(dtype=np.int64).tolist()
    return [
        Candle(t, o, h, low, c, v, q, n)
        for t, o, h, low, c, v, q, n in zip(times, *columns, volume, quote, counts, strict=True)
    ]


def all_bars(builder: BarBuilder, events: Sequence[BarClosed], symbol: str, timeframe: str) -> list[Candle]:
    """Published bars plus the one still forming, in open-time order."""
    bars = [e.candle for e in events if e.symbol == symbol and e.timeframe == timeframe]
    forming = builder.forming(symbol, timeframe)
    if forming is not None:
        bars.append(forming._replace(closed=True))
    return bars


def assert_bars_equal(bars: Sequence[Candle], ref: pd.DataFrame, label: str, rel: float = 1e-9) -> None:
    """OHLC, open times and counts exactly; volumes to `rel` (float summation order differs)."""
    got = [b.open_time for b in bars]
    want = ref["open_time"].tolist()
    assert got == want, f"{label}: bucket open times differ"
    cols = {name: ref[name].to_numpy(dtype=np.float64).tolist() for name in ("open", "high", "low", "close")}
    volume = ref["volume"].to_numpy(dtype=np.float64).tolist()
    quote = ref["quote_volume"].to_numpy(dtype=np.float64).tolist()
    counts = ref["trades"].to_numpy(dtype=np.int64).tolist()
    for i, bar in enumerate(bars):
        where = f"{label} @ {bar.open_time}"
        want_ohlc = (cols["open"][i], cols["high"][i], cols["low"][i], cols["close"][i])
        assert (bar.open, bar.high, bar.low, bar.close) == want_ohlc, where
        assert bar.trades == counts[i], where
        assert math.isclose(bar.volume, volume[i], rel_tol=rel, abs_tol=1e-12), where
        assert math.isclose(bar.quote_volume, quote[i], rel_tol=rel, abs_tol=1e-9), where
        assert bar.closed, where


# -- strategies ------------------------------------------------------------------------------------------------

_gap = st.one_of(
    st.integers(0, 3),  # equal and adjacent timestamps: tie-breaking
    st.integers(0, 20_000),
    st.integers(30_000, 400_000),  # crosses minute and 5m buckets, leaves gaps
    st.integers(1_000_000, 20_000_000),  # hours: 4h and day buckets
)
_price = st.one_of(st.sampled_from([100.0, 100.5, 101.0, 99.5]), st.floats(1.0, 1e5, allow_nan=False))
_qty = st.floats(1e-6, 50.0, allow_nan=False)


@st.composite
def trade_runs(draw: st.DrawFn) -> list[Trade]:
    """Trades of up to two symbols around the 2024-08-09 midnight, in time order, then lightly shuffled."""
    start = DAY_2024_08_09 - draw(st.integers(0, 4 * 3_600_000))
    n = draw(st.integers(1, 120))
    gaps = draw(st.lists(_gap, min_size=n, max_size=n))
    ts = start + np.cumsum(np.array(gaps, dtype=np.int64))
    trades = [
        Trade(
            draw(st.sampled_from(["BTC/USDT", "ETH/USDT"])),
            int(t),
            draw(_price),
            draw(_qty),
            "buy",
            i,
        )
        for i, t in enumerate(ts)
    ]
    # Light shuffle: a few trades move a short distance from where time order put them.
    for _ in range(draw(st.integers(0, max(0, n // 8)))):
        i = draw(st.integers(0, n - 1))
        j = min(n - 1, max(0, i + draw(st.integers(-4, 4))))
        trades.insert(j, trades.pop(i))
    return trades


@settings(max_examples=100, deadline=None)
@given(trades=trade_runs(), chunk=st.integers(1, 50))
def test_bars_equal_pandas_resample_for_every_timeframe(trades: list[Trade], chunk: int) -> None:
    builder = BarBuilder()
    events: list[BarClosed] = []
    for i in range(0, len(trades), chunk):
        events.extend(builder.on_trades(trades[i : i + chunk]))
    for symbol in {t.symbol for t in trades}:
        mine = [t for t in trades if t.symbol == symbol]
        for tf in TIMEFRAMES:
            assert_bars_equal(all_bars(builder, events, symbol, tf), reference_bars(mine, tf), f"{symbol} {tf}")
    expected_late = {
        tf: sum(
            int(late_mask(np.array([t.ts for t in trades if t.symbol == s], dtype=np.int64), timeframe_ms(tf)).sum())
            for s in {t.symbol for t in trades}
        )
        for tf in TIMEFRAMES
    }
    assert builder.late_by_timeframe == expected_late
    assert builder.late_trades == expected_late["1m"]


@settings(max_examples=40, deadline=None)
@given(trades=trade_runs())
def test_advance_publishes_the_same_bars_as_trade_driven_closing(trades: list[Trade]) -> None:
    """Closing by `advance` after the last trade gives exactly the bars that trades alone would publish."""
    builder = BarBuilder()
    events = builder.on_trades(trades)
    end = max(t.ts for t in trades) + 2 * 86_400_000
    events += builder.advance(end)
    for symbol in {t.symbol for t in trades}:
        assert builder.forming_all(symbol) == {}
        mine = [t for t in trades if t.symbol == symbol]
        for tf in TIMEFRAMES:
            bars = [e.candle for e in events if e.symbol == symbol and e.timeframe == tf]
            assert_bars_equal(bars, reference_bars(mine, tf), f"{symbol} {tf}")
    # Each symbol's events are in open-time order per timeframe: nothing published twice or out of order.
    for symbol in {t.symbol for t in trades}:
        for tf in TIMEFRAMES:
            times = [e.candle.open_time for e in events if e.symbol == symbol and e.timeframe == tf]
            assert times == sorted(set(times))


@settings(max_examples=40, deadline=None)
@given(trades=trade_runs(), cut=st.floats(0.0, 1.0))
def test_seeding_from_history_then_continuing_equals_one_uninterrupted_build(trades: list[Trade], cut: float) -> None:
    """Restart mid-stream: seed every timeframe with its closed history plus the forming bar, feed the rest."""
    ordered = sorted((t._replace(symbol="BTC/USDT") for t in trades), key=lambda t: t.ts)
    split = max(1, int(len(ordered) * cut))
    head, tail = ordered[:split], ordered[split:]
    before = BarBuilder()
    before.on_trades(head)
    restarted = BarBuilder()
    for tf in TIMEFRAMES:
        forming = before.forming("BTC/USDT", tf)
        assert forming is not None
        history = [c for c in candles_from(reference_bars(head, tf)) if c.open_time < forming.open_time]
        assert restarted.seed("BTC/USDT", tf, [*history, forming]) == []
    events = restarted.on_trades(tail)
    whole = BarBuilder()
    whole_events = whole.on_trades(ordered)
    for tf in TIMEFRAMES:
        start = head[-1].ts - head[-1].ts % timeframe_ms(tf)
        expected = [c for c in all_bars(whole, whole_events, "BTC/USDT", tf) if c.open_time >= start]
        got = all_bars(restarted, events, "BTC/USDT", tf)
        assert [c.open_time for c in got] == [c.open_time for c in expected], tf
        for g, e in zip(got, expected, strict=True):
            assert (g.open, g.high, g.low, g.close, g.trades) == (e.open, e.high, e.low, e.close, e.trades), tf
            assert math.isclose(g.volume, e.volume, rel_tol=1e-9, abs_tol=1e-9), tf
    assert restarted.late_trades == 0


@settings(max_examples=40, deadline=None)
@given(
    trades=trade_runs(),
    ticks=st.lists(
        st.tuples(
            st.integers(0, 119),
            st.integers(-90_000, 400_000),
            st.one_of(st.none(), st.tuples(st.integers(0, 6), st.sampled_from([-1, 0, 1]))),
        ),
        max_size=12,
    ),
)
def test_interleaved_advance_matches_the_watermark_reference(
    trades: list[Trade], ticks: list[tuple[int, int, tuple[int, int] | None]]
) -> None:
    """A timer calling `advance` between batches: bars close on time and later trades behind the clock are late,
    exactly as the watermark rule (newest of trade times and clock times) says."""
    symbol = "BTC/USDT"
    mine = [t._replace(symbol=symbol) for t in trades]
    at: dict[int, tuple[int, tuple[int, int] | None]] = {}
    for index, delta, edge in ticks:
        at[min(index, len(mine) - 1)] = (delta, edge)
    builder = BarBuilder()
    events: list[BarClosed] = []
    prior: list[int] = []
    watermark = -(2**62)
    for i, trade in enumerate(mine):
        prior.append(watermark)
        events.extend(builder.on_trades([trade]))
        watermark = max(watermark, trade.ts)
        if i in at:
            delta, edge = at[i]
            if edge is None:
                now = watermark + delta
            else:  # right at a 5m boundary after the watermark, give or take a millisecond
                steps, off = edge
                now = watermark - watermark % 300_000 + steps * 300_000 + off
            closed = builder.advance(now)
            events.extend(closed)
            watermark = max(watermark, now)
            for tf in TIMEFRAMES:
                forming = builder.forming(symbol, tf)
                assert forming is None or forming.open_time + timeframe_ms(tf) > now, tf
            assert all(e.candle.open_time + timeframe_ms(e.timeframe) <= now for e in closed)
    prior_arr = np.array(prior, dtype=np.int64)
    for tf in TIMEFRAMES:
        assert_bars_equal(all_bars(builder, events, symbol, tf), reference_bars(mine, tf, prior_arr), tf)
        ts = np.array([t.ts for t in mine], dtype=np.int64)
        assert builder.late_by_timeframe[tf] == int(late_mask(ts, timeframe_ms(tf), prior_arr).sum()), tf
