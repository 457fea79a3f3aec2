"""Seeding a temporary store with real Binance 1h klines for scanner, tracker and --scan-once tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cryptoterm.adapters.store.sqlite_store import SqliteStore
from cryptoterm.domain.market import Candle

EXCHANGE = "binance"


def read_klines(shared_data: Path, base: str, timeframe: str = "1h") -> pd.DataFrame:
    """One real kline file as a float frame indexed by open_time (values parsed from Binance's strings)."""
    path = shared_data / "klines" / timeframe / f"{base}USDT-{timeframe}.csv.gz"
    frame = pd.read_csv(path, usecols=["open_time", "open", "high", "low", "close", "volume"])
    return frame.set_index("open_time").astype(float)


def candles_of(frame: pd.DataFrame) -> list[Candle]:
    return [
        Candle(int(t), float(o), float(h), float(lo), float(c), float(v), float(c) * float(v))
        for t, o, h, lo, c, v in frame[["open", "high", "low", "close", "volume"]].itertuples()
    ]


def seed(
    store: SqliteStore,
    shared_data: Path,
    bases: list[str],
    *,
    bars: int = 600,
    until_ms: int | None = None,
    timeframe: str = "1h",
) -> dict[str, pd.DataFrame]:
    """Store the `bars` newest real candles (before `until_ms`) of each base as `<BASE>/USDT`."""
    frames: dict[str, pd.DataFrame] = {}
    for base in bases:
        frame = read_klines(shared_data, base, timeframe)
        if until_ms is not None:
            frame = frame[frame.index < until_ms]
        frame = frame.tail(bars)
        store.write_candles(EXCHANGE, f"{base}/USDT", timeframe, candles_of(frame))
        frames[f"{base}/USDT"] = frame
    return frames


def test_seed_round_trips_real_candles(tmp_path: Path, shared_data: Path) -> None:
    with SqliteStore(tmp_path / "s.db", batch_ms=0) as store:
        frames = seed(store, shared_data, ["BTC"], bars=50)
        stored = store.read_candles_frame(EXCHANGE, "BTC/USDT", "1h")
    assert len(stored) == 50
    assert list(stored.index) == list(frames["BTC/USDT"].index)
    assert stored["close"].iloc[-1] == frames["BTC/USDT"]["close"].iloc[-1]
