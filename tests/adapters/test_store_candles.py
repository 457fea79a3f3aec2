"""The candle repository: upserts, reads, bounds, frames and the health-screen figures, on temp files."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

from cryptoterm.adapters.store import QualityMetricsRow, SqliteStore, StoreError, open_database
from cryptoterm.config.schema import StoreConfig
from cryptoterm.domain.market import Candle, SymbolInfo, Trade
from cryptoterm.ports.candles import CandleStore

EX = "binance"
MIN = 60_000


def bars(n: int, start: int = 0, step: int = MIN, base: float = 100.0) -> list[Candle]:
    """n consecutive closed candles with distinct, non-trivial values."""
    out = []
    for i in range(n):
        o = base + i * 0.5
        out.append(Candle(start + i * step, o, o + 2.25, o - 1.75, o + 0.125, 10.0 + i, (10.0 + i) * o, 7 + i))
    return out


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "store.db", batch_ms=20)
    yield s
    s.close()


def test_upsert_is_idempotent_and_counts_new_rows(store: SqliteStore) -> None:
    port: CandleStore = store  # mypy checks that SqliteStore implements the port
    candles = bars(50)
    assert port.write_candles(EX, "BTC/USDT", "1m", candles) == 50
    assert port.write_candles(EX, "BTC/USDT", "1m", candles) == 0
    assert store.count_candles(EX, "BTC/USDT", "1m") == 50
    assert port.read_candles(EX, "BTC/USDT", "1m") == candles


def test_a_corrected_candle_replaces_the_stored_one(store: SqliteStore) -> None:
    candles = bars(10)
    store.write_candles(EX, "BTC/USDT", "1m", candles)
    fixed = candles[4]._replace(close=123.5, volume=99.0, trades=1234)
    assert store.write_candles(EX, "BTC/USDT", "1m", [candles[3], fixed, candles[5]]) == 1
    stored = store.read_candles(EX, "BTC/USDT", "1m")
    assert len(stored) == 10
    assert stored[4] == fixed
    assert stored[3] == candles[3]


def test_series_are_kept_apart_by_exchange_symbol_and_timeframe(store: SqliteStore) -> None:
    store.write_candles(EX, "BTC/USDT", "1m", bars(5))
    store.write_candles(EX, "ETH/USDT", "1m", bars(3, base=2000.0))
    store.write_candles(EX, "BTC/USDT", "1h", bars(2, step=60 * MIN))
    store.write_candles("kraken", "BTC/USDT", "1m", bars(4))
    assert store.count_candles(EX) == 10
    assert store.count_candles(EX, "BTC/USDT") == 7
    assert store.count_candles(EX, timeframe="1m") == 8
    assert store.count_candles("kraken") == 4
    assert store.symbols_with_candles(EX, "1m") == ["BTC/USDT", "ETH/USDT"]
    assert store.symbols_with_candles(EX, "1h") == ["BTC/USDT"]
    assert store.symbols_with_candles(EX, "4h") == []
    assert store.symbols_with_candles("nowhere", "1m") == []
    assert store.read_candles(EX, "ETH/USDT", "1m")[0].open == 2000.0


def test_forming_candles_are_not_stored(store: SqliteStore) -> None:
    candles = bars(3)
    forming = candles[2]._replace(closed=False)
    assert store.write_candles(EX, "BTC/USDT", "1m", [candles[0], candles[1], forming]) == 2
    assert store.read_candles(EX, "BTC/USDT", "1m") == candles[:2]


def test_bounds(store: SqliteStore) -> None:
    assert store.candle_bounds(EX, "BTC/USDT", "1m") is None
    store.write_candles(EX, "BTC/USDT", "1m", bars(5, start=10 * MIN))
    store.write_candles(EX, "BTC/USDT", "1m", bars(2, start=100 * MIN))
    assert store.candle_bounds(EX, "BTC/USDT", "1m") == (10 * MIN, 101 * MIN)
    assert store.candle_bounds(EX, "BTC/USDT", "5m") is None


def test_read_ranges_are_half_open_and_limit_keeps_the_newest(store: SqliteStore) -> None:
    candles = bars(20)
    store.write_candles(EX, "BTC/USDT", "1m", candles)
    assert store.read_candles(EX, "BTC/USDT", "1m", since_ms=5 * MIN, until_ms=8 * MIN) == candles[5:8]
    assert store.read_candles(EX, "BTC/USDT", "1m", limit=3) == candles[-3:]
    assert store.read_candles(EX, "BTC/USDT", "1m", until_ms=10 * MIN, limit=2) == candles[8:10]
    assert store.read_candles(EX, "BTC/USDT", "1m", since_ms=18 * MIN) == candles[18:]
    assert store.read_candles(EX, "BTC/USDT", "1m", limit=0) == []
    with pytest.raises(ValueError, match="limit"):
        store.read_candles(EX, "BTC/USDT", "1m", limit=-1)


def test_frame_read(store: SqliteStore) -> None:
    candles = bars(30)
    store.write_candles(EX, "BTC/USDT", "1m", candles)
    frame = store.read_candles_frame(EX, "BTC/USDT", "1m", since_ms=2 * MIN, limit=10)
    assert list(frame.columns) == ["open", "high", "low", "close", "volume", "quote_volume", "trades"]
    assert frame.index.name == "open_time"
    assert frame.index.dtype == np.int64
    assert frame["trades"].dtype == np.int64
    assert frame["close"].dtype == np.float64
    expected = candles[-10:]
    assert frame.index.tolist() == [c.open_time for c in expected]
    assert frame["close"].tolist() == [c.close for c in expected]
    assert frame["quote_volume"].tolist() == [c.quote_volume for c in expected]
    assert frame["trades"].tolist() == [c.trades for c in expected]


def test_empty_frame_keeps_its_shape_and_dtypes(store: SqliteStore) -> None:
    frame = store.read_candles_frame(EX, "NONE/USDT", "1m")
    assert frame.empty
    assert list(frame.columns) == ["open", "high", "low", "close", "volume", "quote_volume", "trades"]
    assert frame.index.dtype == np.int64
    assert frame["trades"].dtype == np.int64


def test_bad_values_are_rejected_naming_the_candle_and_field(store: SqliteStore) -> None:
    bad = bars(3)
    bad[1] = bad[1]._replace(high=math.nan)
    with pytest.raises(ValueError) as err:
        store.write_candles(EX, "BTC/USDT", "1m", bad)
    message = str(err.value)
    assert "BTC/USDT" in message and "open_time=60000" in message and "'high'" in message
    assert store.count_candles(EX) == 0  # the whole write was one transaction
    with pytest.raises(ValueError, match="timeframe"):
        store.write_candles(EX, "BTC/USDT", "7x", bars(1))
    with pytest.raises(ValueError, match="symbol"):
        store.submit_candles(EX, "", "1m", bars(1))


def test_table_counts_and_file_size(store: SqliteStore) -> None:
    store.write_candles(EX, "BTC/USDT", "1m", bars(25))
    counts = store.table_counts()
    assert counts["candles"] == 25
    assert counts["setups"] == 0
    assert {"symbols", "trades", "quality_metrics", "scan_runs", "alerts", "notifications"} <= set(counts)
    assert not any(name.startswith("sqlite_") for name in counts)
    assert store.file_size() >= (store.path.stat().st_size)
    assert store.file_size() > 0


def test_health_snapshot(store: SqliteStore) -> None:
    store.write_candles(EX, "BTC/USDT", "1m", bars(5))
    store.submit_candles(EX, "BTC/USDT", "1m", [bars(1)[0]._replace(low=math.inf)])
    store.flush()
    health = store.health()
    assert health.path == str(store.path)
    assert health.file_size == store.file_size() > 0
    assert health.writer.rows_written == 5
    assert health.writer.rows_dropped == 1
    assert health.writer.running
    assert health.writer.last_error.startswith("ValueError:") and "'low'" in health.writer.last_error
    store.close()
    assert not store.health().writer.running


def test_symbols_listing_marks_delisted_markets_inactive(store: SqliteStore) -> None:
    first = [SymbolInfo("BTC/USDT", "BTC", "USDT", "BTCUSDT"), SymbolInfo("LUNA/USDT", "LUNA", "USDT", "LUNAUSDT")]
    assert store.write_symbols(EX, first, updated_ms=1_000) == 2
    second = [SymbolInfo("BTC/USDT", "BTC", "USDT", "BTCUSDT"), SymbolInfo("ETH/USDT", "ETH", "USDT", "ETHUSDT")]
    store.write_symbols(EX, second, updated_ms=2_000)
    assert [s.symbol for s in store.read_symbols(EX)] == ["BTC/USDT", "ETH/USDT"]
    everything = store.read_symbols(EX, active_only=False)
    assert [(s.symbol, s.active) for s in everything] == [
        ("BTC/USDT", True),
        ("ETH/USDT", True),
        ("LUNA/USDT", False),
    ]


def test_quality_metrics_round_trip_and_replace(store: SqliteStore) -> None:
    row = QualityMetricsRow(EX, "BTC/USDT", "1h", checked_ms=5, bars=100, gaps=2, missing_bars=3, score=0.9)
    worse = QualityMetricsRow(EX, "ETH/USDT", "1h", checked_ms=5, bars=100, spikes=4, score=0.4, detail={"x": [1]})
    assert store.write_quality_metrics([row, worse]) == 2
    assert store.read_quality_metrics() == [worse, row]
    updated = QualityMetricsRow(EX, "BTC/USDT", "1h", checked_ms=9, bars=101, score=1.0, stale_s=2.5)
    store.write_quality_metrics([updated])
    assert store.read_quality_metrics(EX, "1h") == [worse, updated]
    assert store.read_quality_metrics("kraken") == []
    assert store.table_counts()["quality_metrics"] == 2


def test_trades_are_recorded_once(store: SqliteStore) -> None:
    trades = [Trade("BTC/USDT", 1_000 + i, 60_000.0 + i, 0.01, "buy" if i % 2 else "sell", 500 + i) for i in range(8)]
    store.submit_trades(EX, trades)
    store.submit_trades(EX, trades[:4])
    store.flush()
    assert store.table_counts()["trades"] == 8
    with store.reader() as db:
        rows = db.execute("SELECT trade_id, side FROM trades ORDER BY trade_id").fetchall()
    assert rows[0] == (500, "sell") and rows[-1] == (507, "buy")


def test_store_from_config_and_memory_refused(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "c.db"
    with SqliteStore.from_config(StoreConfig(path=str(path), batch_ms=5)) as store:
        assert store.writer.batch_ms == 5
        assert store.path == path
    assert path.is_file()
    with pytest.raises(StoreError, match="memory"):
        SqliteStore(":memory:")


def test_hand_written_upsert_matches_sqlite_utils_upsert_all(tmp_path: Path) -> None:
    """The fast path must leave exactly the rows the library's upsert leaves, corrections included."""
    candles = bars(200)
    corrected = [c._replace(close=c.close * 1.01, trades=c.trades + 1) for c in candles[50:80]]
    with SqliteStore(tmp_path / "fast.db") as store:
        store.write_candles(EX, "BTC/USDT", "1m", candles)
        store.write_candles(EX, "BTC/USDT", "1m", corrected)
        fast = store.read_candles_frame(EX, "BTC/USDT", "1m")

    reference: Database = open_database(tmp_path / "lib.db")
    try:
        for batch in (candles, corrected):
            records = [{"exchange": EX, "symbol": "BTC/USDT", "timeframe": "1m", **c._asdict()} for c in batch]
            for record in records:
                del record["closed"]
            reference.table("candles").upsert_all(records, pk=("exchange", "symbol", "timeframe", "open_time"))
        rows = list(reference.query("SELECT * FROM candles ORDER BY open_time"))
    finally:
        reference.close()
    lib = pd.DataFrame(rows).set_index("open_time")[list(fast.columns)]
    pd.testing.assert_frame_equal(fast, lib, check_names=False, check_dtype=False)
    assert fast.loc[50 * MIN, "trades"] == candles[50].trades + 1


def _load_1h(shared: Path, symbol: str) -> list[Candle]:
    raw = pd.read_csv(shared / "klines" / "1h" / f"{symbol}-1h.csv.gz")
    return [
        Candle(int(t), float(o), float(h), float(lo), float(c), float(v))
        for t, o, h, lo, c, v in raw[["open_time", "open", "high", "low", "close", "volume"]].itertuples(index=False)
    ]


@pytest.mark.shared
def test_real_binance_klines_round_trip(shared_data: Path, tmp_path: Path) -> None:
    btc = _load_1h(shared_data, "BTCUSDT")
    eth = _load_1h(shared_data, "ETHUSDT")
    with SqliteStore(tmp_path / "real.db") as store:
        assert store.write_candles(EX, "BTC/USDT", "1h", btc) == len(btc) == 19_600
        store.submit_candles(EX, "ETH/USDT", "1h", eth)
        store.flush()
        assert store.write_candles(EX, "BTC/USDT", "1h", btc[-500:]) == 0
        assert store.candle_bounds(EX, "BTC/USDT", "1h") == (btc[0].open_time, btc[-1].open_time)
        frame = store.read_candles_frame(EX, "ETH/USDT", "1h")
        assert len(frame) == len(eth)
        assert frame.index.is_monotonic_increasing
        np.testing.assert_array_equal(frame["close"].to_numpy(), np.array([c.close for c in eth]))
        # The five real outages (12 missing hours) survive the round trip as gaps, not invented rows.
        steps = np.diff(frame.index.to_numpy()) // 3_600_000
        assert int((steps - 1).sum()) == 12
        assert store.symbols_with_candles(EX, "1h") == ["BTC/USDT", "ETH/USDT"]
        assert store.read_candles(EX, "BTC/USDT", "1h", limit=24) == btc[-24:]


def test_upserts_match_a_last_write_wins_model(tmp_path: Path) -> None:
    """Any sequence of writes (repeats, corrections, forming bars) leaves what a dict keyed by open time would."""
    price = st.floats(min_value=0.01, max_value=1e6, allow_nan=False)
    candle = st.builds(
        Candle,
        open_time=st.integers(0, 30).map(lambda k: k * MIN),
        open=price,
        high=price,
        low=price,
        close=price,
        volume=st.floats(min_value=0, max_value=1e9),
        quote_volume=st.floats(min_value=0, max_value=1e12),
        trades=st.integers(0, 10**6),
        closed=st.booleans(),
    )
    writes = st.lists(st.lists(candle, max_size=12), min_size=1, max_size=6)
    examples = iter(range(10**9))

    with SqliteStore(tmp_path / "model.db", batch_ms=0) as store:

        @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(writes)
        def check(batches: list[list[Candle]]) -> None:
            symbol = f"M{next(examples)}/USDT"
            model: dict[int, Candle] = {}
            for batch in batches:
                changed = 0
                for c in batch:
                    if c.closed:
                        changed += model.get(c.open_time) != c
                        model[c.open_time] = c
                assert store.write_candles(EX, symbol, "1m", batch) == changed
            expected = [model[t] for t in sorted(model)]
            assert store.read_candles(EX, symbol, "1m") == expected
            bounds = store.candle_bounds(EX, symbol, "1m")
            assert bounds == ((expected[0].open_time, expected[-1].open_time) if expected else None)

        check()
