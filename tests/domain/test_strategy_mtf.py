"""Multi-timeframe terms without lookahead, and resampling of base candles into higher timeframes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cryptoterm.config.schema import StrategyConfig
from cryptoterm.domain.strategy import compile_strategy, resample_ohlcv, visible_positions
from cryptoterm.domain.timeframes import HOUR_MS

DAY0 = 1_704_067_200_000  # 2024-01-01 00:00 UTC


def hourly(hours: int, start: int = DAY0) -> pd.DataFrame:
    """Hour h has open = h, close = h + 0.5, high = h + 1, low = h - 1, volume = 1."""
    h = np.arange(hours, dtype=np.float64)
    return pd.DataFrame(
        {"open": h, "high": h + 1, "low": h - 1, "close": h + 0.5, "volume": np.ones(hours)},
        index=pd.Index(start + HOUR_MS * np.arange(hours), name="open_time"),
    )


def test_a_1h_bar_sees_a_4h_bar_only_after_it_closed() -> None:
    base = hourly(12)  # 00:00 .. 11:00
    compiled = compile_strategy(StrategyConfig(name="mtf", timeframe="1h", when=["close@4h > 0"]))
    values = compiled.evaluate({"1h": base}).terms[0].values["close@4h"]
    # The 00:00-04:00 bar closes at 04:00: the 1h bar opening 02:00 (closing 03:00) cannot see it,
    # the 1h bar opening 03:00 (closing 04:00) can. Its close is the close of the 03:00 hour: 3.5.
    assert np.isnan(values[:3]).all()
    assert values[3] == 3.5
    np.testing.assert_array_equal(values[3:7], [3.5, 3.5, 3.5, 3.5])
    assert values[7] == 7.5  # 04:00-08:00 visible from the bar opening 07:00
    assert values[11] == 11.5


def test_visible_positions_rule() -> None:
    four = np.array([DAY0, DAY0 + 4 * HOUR_MS])
    base = DAY0 + HOUR_MS * np.arange(9)
    np.testing.assert_array_equal(visible_positions(four, "4h", base, "1h"), [-1, -1, -1, 0, 0, 0, 0, 1, 1])


def test_a_partial_higher_bar_is_never_seen_even_when_supplied() -> None:
    base = hourly(6)  # the 04:00-08:00 bar is still forming at 05:00
    supplied = pd.DataFrame(
        {"open": [0.0, 4.0], "high": [4.0, 6.0], "low": [-1.0, 3.0], "close": [3.5, 999.0], "volume": [4.0, 2.0]},
        index=pd.Index([DAY0, DAY0 + 4 * HOUR_MS], name="open_time"),
    )
    compiled = compile_strategy(StrategyConfig(name="mtf", timeframe="1h", when=["close@4h > 100"]))
    result = compiled.evaluate({"1h": base, "4h": supplied})
    assert not result.signal.any()
    assert result.terms[0].values["close@4h"][-1] == 3.5


def test_whole_condition_on_a_higher_timeframe() -> None:
    base = hourly(48)
    compiled = compile_strategy(StrategyConfig(name="mtf", timeframe="1h", when=["(close > open)@1d"]))
    passed = compiled.evaluate({"1h": base}).terms[0].passed
    # The first daily bar closes at 24:00 → first visible to the 1h bar opening 23:00.
    assert not passed[:23].any() and passed[23:].all()


def test_offsets_count_bars_of_their_own_timeframe() -> None:
    base = hourly(16)
    compiled = compile_strategy(StrategyConfig(name="mtf", timeframe="1h", when=["close[1]@4h > 0"]))
    values = compiled.evaluate({"1h": base}).terms[0].values["close[1]@4h"]
    assert np.isnan(values[:7]).all()
    assert values[7] == 3.5 and values[11] == 7.5  # one 4h bar before the last closed one


def test_resample_matches_pandas_and_drops_the_forming_bucket() -> None:
    base = hourly(30)
    four = resample_ohlcv(base, "4h")
    assert list(four.index) == [DAY0 + 4 * HOUR_MS * i for i in range(7)]  # 24:00-28:00 complete, 28:00 partial
    first = four.iloc[0]
    assert (first["open"], first["high"], first["low"], first["close"], first["volume"]) == (0, 4, -1, 3.5, 4)
    daily = resample_ohlcv(base, "1d", source_timeframe="1h")
    assert len(daily) == 1 and daily["volume"].iloc[0] == 24


def test_resample_keeps_buckets_with_exchange_gaps() -> None:
    base = hourly(8).drop(index=[DAY0 + HOUR_MS, DAY0 + 2 * HOUR_MS])
    four = resample_ohlcv(base, "4h", source_timeframe="1h")
    assert len(four) == 2
    assert four["volume"].tolist() == [2.0, 4.0]
    assert four["open"].iloc[0] == 0 and four["close"].iloc[0] == 3.5


def test_resample_rejects_incompatible_timeframes() -> None:
    with pytest.raises(ValueError, match="cannot resample"):
        resample_ohlcv(hourly(10), "15m", source_timeframe="1h")
    with pytest.raises(ValueError, match="lacks column"):
        resample_ohlcv(hourly(10).drop(columns="volume"), "4h")


@pytest.fixture(scope="module")
def eth(shared_data: Path) -> pd.DataFrame:
    return pd.read_csv(shared_data / "klines" / "1h" / "ETHUSDT-1h.csv.gz", index_col="open_time")


@pytest.mark.parametrize("timeframe", ["4h", "1d"])
def test_resample_equals_pandas_on_real_klines(eth: pd.DataFrame, timeframe: str) -> None:
    ours = resample_ohlcv(eth, timeframe, source_timeframe="1h")
    dated = eth.set_axis(pd.to_datetime(eth.index, unit="ms"))
    agg = dated.resample(timeframe.upper() if timeframe.endswith("d") else timeframe).agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    )
    agg = agg.dropna()
    agg.index = pd.DatetimeIndex(agg.index).as_unit("ms").asi8
    expected = agg.loc[ours.index]
    np.testing.assert_allclose(ours.to_numpy(), expected[list(ours.columns)].to_numpy(), rtol=1e-12)
    assert len(agg) - len(ours) <= 1  # at most the still-forming last bucket is dropped


def test_supplied_and_resampled_higher_frames_give_the_same_signal(eth: pd.DataFrame) -> None:
    compiled = compile_strategy(
        StrategyConfig(name="mtf", timeframe="1h", when=["close > ema(50)@4h", "rsi(14)@1d < 60"])
    )
    resampled = compiled.evaluate({"1h": eth})
    supplied = compiled.evaluate(
        {
            "1h": eth,
            "4h": resample_ohlcv(eth, "4h", source_timeframe="1h"),
            "1d": resample_ohlcv(eth, "1d", source_timeframe="1h"),
        }
    )
    np.testing.assert_array_equal(resampled.signal, supplied.signal)
    assert 100 < resampled.signal.sum() < len(eth) - 100


def test_frames_must_be_indexed_by_epoch_milliseconds() -> None:
    dated = hourly(8).set_axis(pd.date_range("2024-01-01", periods=8, freq="h"))
    compiled = compile_strategy(StrategyConfig(name="mtf", timeframe="1h", when=["close > 1"]))
    with pytest.raises(ValueError, match="indexed by open_time in epoch ms"):
        compiled.evaluate({"1h": dated})
