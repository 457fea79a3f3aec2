"""Real Binance trades through the bar builder, checked against pandas resample of the same trades.

Data: ../shared/data/trades (see its SOURCES.md). The two spot BTCUSDT files are one gap-free trade-id run
(2024-08-08 23:54:15 → 2024-08-09 00:05:05 UTC), so the run crosses a UTC midnight and every timeframe closes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cryptoterm.domain.bars import BarBuilder
from cryptoterm.domain.market import BarClosed, Trade
from cryptoterm.domain.timeframes import TIMEFRAMES, timeframe_ms
from tests.domain.test_bars_properties import all_bars, assert_bars_equal, candles_from, reference_bars

SPOT_FILES = ("binance-spot_BTCUSDT_trades_2024-08-08.csv.gz", "binance-spot_BTCUSDT_trades_2024-08-09.csv.gz")
USDM_FILE = "binance-usdm_BTCUSDT_trades_2024-07-18_19.csv.gz"
SYMBOL = "BTC/USDT"


def load_trades(shared_data: Path, names: Sequence[str]) -> list[Trade]:
    """Trades in file order (which is trade-id and exchange-time order); prices parsed from the exchange's
    strings with float(), as the adapters do."""
    frame = pd.concat(
        [pd.read_csv(shared_data / "trades" / name, dtype={"price": str, "qty": str}) for name in names],
        ignore_index=True,
    )
    ids = frame["trade_id"].to_numpy(dtype=np.int64)
    assert (np.diff(ids) == 1).all(), "expected one contiguous trade-id run"
    return [
        Trade(SYMBOL, int(ts), float(p), float(q), "sell" if maker else "buy", int(tid))
        for tid, p, q, ts, maker in zip(
            frame["trade_id"],
            frame["price"],
            frame["qty"],
            frame["trade_time_ms"],
            frame["is_buyer_maker"],
            strict=True,
        )
    ]


def build(trades: Sequence[Trade], chunk: int = 997) -> tuple[BarBuilder, list[BarClosed]]:
    builder = BarBuilder()
    events: list[BarClosed] = []
    for i in range(0, len(trades), chunk):
        events.extend(builder.on_trades(trades[i : i + chunk]))
    return builder, events


@pytest.fixture(scope="module")
def spot_trades(shared_data: Path) -> list[Trade]:
    trades = load_trades(shared_data, SPOT_FILES)
    assert len(trades) == 19_904
    return trades


def test_spot_1m_bars_equal_pandas_resample(spot_trades: list[Trade]) -> None:
    builder, events = build(spot_trades)
    bars = all_bars(builder, events, SYMBOL, "1m")
    ref = reference_bars(spot_trades, "1m")
    assert len(bars) == len(ref) == 12  # 23:54 … 00:05, every minute traded
    assert_bars_equal(bars, ref, "spot 1m")
    assert sum(b.trades for b in bars) == len(spot_trades)
    assert builder.late_trades == 0


def test_spot_larger_timeframes_equal_resample_and_roll_up_from_1m(spot_trades: list[Trade]) -> None:
    builder, events = build(spot_trades)
    one_minute = all_bars(builder, events, SYMBOL, "1m")
    for tf in ("5m", "15m", "1h", "4h", "1d"):
        bars = all_bars(builder, events, SYMBOL, tf)
        assert_bars_equal(bars, reference_bars(spot_trades, tf), f"spot {tf}")
        length = timeframe_ms(tf)
        for bar in bars:
            inside = [m for m in one_minute if bar.open_time <= m.open_time < bar.open_time + length]
            assert inside, f"{tf} @ {bar.open_time} has no 1m bars"
            assert bar.open == inside[0].open and bar.close == inside[-1].close
            assert bar.high == max(m.high for m in inside) and bar.low == min(m.low for m in inside)
            assert bar.trades == sum(m.trades for m in inside)
            assert bar.volume == sum(m.volume for m in inside)  # the roll-up is this very fold


def test_spot_midnight_closes_every_timeframe_once(spot_trades: list[Trade]) -> None:
    _, events = build(spot_trades)
    midnight = 1_723_161_600_000
    at_midnight = [e for e in events if e.candle.open_time + timeframe_ms(e.timeframe) == midnight]
    assert sorted(e.timeframe for e in at_midnight) == sorted(TIMEFRAMES)
    day = next(e.candle for e in at_midnight if e.timeframe == "1d")
    before = [t for t in spot_trades if t.ts < midnight]
    assert day.open_time == midnight - 86_400_000
    assert (day.open, day.close, day.trades) == (before[0].price, before[-1].price, len(before))


def test_spot_seeded_from_history_then_continued_matches_full_build(spot_trades: list[Trade]) -> None:
    """Seed with the closed 1m/5m bars and the forming ones built from the first part, then feed the rest."""
    split = 12_345
    head, tail = spot_trades[:split], spot_trades[split:]
    first, _ = build(head)
    builder = BarBuilder()
    for tf in ("1m", "5m"):
        history = candles_from(reference_bars(head, tf))[:-1]
        forming = first.forming(SYMBOL, tf)
        assert forming is not None
        builder.seed(SYMBOL, tf, [*history, forming])
    events = builder.on_trades(tail)
    full_builder, full_events = build(spot_trades)
    for tf in ("1m", "5m"):
        cut = tail[0].ts - tail[0].ts % timeframe_ms(tf)
        expected = [b for b in all_bars(full_builder, full_events, SYMBOL, tf) if b.open_time >= cut]
        got = all_bars(builder, events, SYMBOL, tf)
        assert [b.open_time for b in got] == [b.open_time for b in expected]
        for g, e in zip(got, expected, strict=True):
            assert (g.open, g.high, g.low, g.close, g.trades) == (e.open, e.high, e.low, e.close, e.trades)
            assert g.volume == pytest.approx(e.volume, rel=1e-9)
    assert builder.late_trades == 0


def test_spot_delayed_arrivals_skip_only_where_late(spot_trades: list[Trade]) -> None:
    """Every 40th trade arrives 2.5 s late (as over a congested link): the bars still equal the reference that
    drops each late trade only for the timeframes whose bucket had moved on."""
    delayed = sorted(
        range(len(spot_trades)),
        key=lambda i: spot_trades[i].ts + (2_500 if i % 40 == 0 else 0),
    )
    arrival = [spot_trades[i] for i in delayed]
    builder, events = build(arrival, chunk=256)
    assert builder.late_trades > 0
    for tf in TIMEFRAMES:
        assert_bars_equal(all_bars(builder, events, SYMBOL, tf), reference_bars(arrival, tf), f"delayed {tf}")
    late = builder.late_by_timeframe
    assert late["1m"] >= late["5m"] >= late["15m"] >= late["1h"] >= late["1d"]


def test_usdm_run_across_midnight(shared_data: Path) -> None:
    trades = load_trades(shared_data, (USDM_FILE,))
    builder, events = build(trades)
    for tf in TIMEFRAMES:
        assert_bars_equal(all_bars(builder, events, SYMBOL, tf), reference_bars(trades, tf), f"usdm {tf}")
    closed_days = [e.candle for e in events if e.timeframe == "1d"]
    assert [c.open_time for c in closed_days] == [1_721_260_800_000]  # 2024-07-18 00:00 UTC
