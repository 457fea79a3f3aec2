"""Candle frames for evaluation: resampling to higher timeframes and lookahead-free alignment.

Frames are pandas DataFrames indexed by open_time (epoch ms, UTC) with columns open, high, low, close, volume.
A higher-timeframe value reaches a base bar only once the higher bar has CLOSED by the base bar's close:
`higher.open_time + higher_tf <= base.open_time + base_tf`. So the 1h bar opening 02:00 (closing 03:00) still
sees the 4h bar of the previous day's 20:00, while the 1h bar opening 03:00 (closing 04:00) sees 00:00-04:00.
That one rule makes a backtest over the whole array see exactly what a live scan saw at each bar.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
import pandas as pd

from cryptoterm.domain.indicators import BoolArray, FloatArray
from cryptoterm.domain.timeframes import timeframe_ms

IntArray = npt.NDArray[np.int64]
OHLCV = ("open", "high", "low", "close", "volume")


def frame_index(frame: pd.DataFrame) -> IntArray:
    """The open times of `frame` as int64 epoch ms (a datetime index would silently be in other units)."""
    values = frame.index.to_numpy()
    if values.size and not np.issubdtype(values.dtype, np.integer):
        raise ValueError(f"frames must be indexed by open_time in epoch ms (integers), got {values.dtype} index")
    return np.ascontiguousarray(values, dtype=np.int64)


def _check_frame(frame: pd.DataFrame, what: str) -> None:
    missing = [c for c in OHLCV if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: frame lacks column(s) {', '.join(missing)} (needs {', '.join(OHLCV)})")


def resample_ohlcv(frame: pd.DataFrame, timeframe: str, *, source_timeframe: str | None = None) -> pd.DataFrame:
    """Aggregate `frame` into UTC-aligned `timeframe` bars (open first, high max, low min, close last, volume sum).

    A trailing bucket whose last source bar does not reach the bucket's end is still forming and is dropped.
    Buckets with missing bars inside (exchange outages) are kept: their period is over. `source_timeframe`
    defaults to the smallest spacing between rows.
    """
    _check_frame(frame, f"resample to {timeframe}")
    step = timeframe_ms(timeframe)
    index = frame_index(frame)
    if index.size == 0:
        return frame.loc[:, list(OHLCV)].iloc[0:0]
    if source_timeframe is not None:
        source_step = timeframe_ms(source_timeframe)
    else:
        source_step = int(np.diff(index).min()) if index.size > 1 else step
    if step % source_step:
        raise ValueError(f"cannot resample {source_step} ms bars into {timeframe} bars")
    buckets = index - index % step
    starts = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]])
    ends = np.r_[starts[1:], index.size] - 1
    columns = {name: frame[name].to_numpy(np.float64) for name in OHLCV}
    data = {
        "open": columns["open"][starts],
        "high": np.maximum.reduceat(columns["high"], starts),
        "low": np.minimum.reduceat(columns["low"], starts),
        "close": columns["close"][ends],
        "volume": np.add.reduceat(columns["volume"], starts),
    }
    out = pd.DataFrame(data, index=pd.Index(buckets[starts], name="open_time"))
    if index[-1] + source_step < buckets[-1] + step:
        out = out.iloc[:-1]
    return out


def aggregate_complete(frame: pd.DataFrame, source_timeframe: str, timeframe: str) -> pd.DataFrame:
    """Exact `timeframe` candles from `source_timeframe` ones, keeping only complete buckets.

    The exchange's own higher-timeframe bar is the aggregate of every lower bar in its period, so a derived bar
    is exact only when none is missing: a bucket with a hole (an outage) or still forming is left out rather
    than made up. Sums `volume`, and `quote_volume` / `trades` when the frame has them.
    """
    _check_frame(frame, f"derive {timeframe}")
    source_step, step = timeframe_ms(source_timeframe), timeframe_ms(timeframe)
    if step <= source_step or step % source_step:
        raise ValueError(f"cannot derive {timeframe} bars from {source_timeframe} bars")
    index = frame_index(frame)
    summed = [c for c in ("volume", "quote_volume", "trades") if c in frame.columns]
    columns = [*OHLCV, *(c for c in summed if c != "volume")]
    if index.size == 0:
        return frame.loc[:, columns].iloc[0:0]
    buckets = index - index % step
    starts = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]])
    counts = np.diff(np.r_[starts, index.size])
    ends = starts + counts - 1
    values = {name: frame[name].to_numpy(np.float64) for name in columns}
    data = {
        "open": values["open"][starts],
        "high": np.maximum.reduceat(values["high"], starts),
        "low": np.minimum.reduceat(values["low"], starts),
        "close": values["close"][ends],
        **{name: np.add.reduceat(values[name], starts) for name in summed},
    }
    out = pd.DataFrame(data, index=pd.Index(buckets[starts], name="open_time"), columns=columns)
    complete = counts == step // source_step
    if "trades" in out.columns:
        out["trades"] = out["trades"].astype(np.int64)
    kept: pd.DataFrame = out.loc[complete]
    return kept


def visible_positions(higher_index: IntArray, higher_tf: str, base_index: IntArray, base_tf: str) -> IntArray:
    """For each base bar, the position of the last higher bar closed by the base bar's close, or -1."""
    closes = higher_index + timeframe_ms(higher_tf)
    base_closes = base_index + timeframe_ms(base_tf)
    positions: IntArray = np.searchsorted(closes, base_closes, side="right").astype(np.int64) - 1
    return positions


def align_float(values: FloatArray, positions: IntArray) -> FloatArray:
    """`values` seen through `positions` (NaN where no higher bar has closed yet)."""
    out = values[np.maximum(positions, 0)]
    result: FloatArray = np.where(positions >= 0, out, np.nan)
    return result


def align_bool(values: BoolArray, positions: IntArray) -> BoolArray:
    """Boolean `values` seen through `positions` (False where no higher bar has closed yet)."""
    result: BoolArray = values[np.maximum(positions, 0)] & (positions >= 0)
    return result


@dataclass(frozen=True, eq=False)
class Bars:
    """One timeframe's candles as float64 arrays, plus the derived price series the language names."""

    timeframe: str
    index: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, timeframe: str) -> Bars:
        _check_frame(frame, f"{timeframe} frame")
        # One pandas call, then contiguous rows (selecting columns by list costs more than the conversion).
        columns = frame if tuple(frame.columns) == OHLCV else frame[list(OHLCV)]
        block = columns.to_numpy(np.float64).T.copy()
        return cls(timeframe, frame_index(frame), block[0], block[1], block[2], block[3], block[4])

    def __len__(self) -> int:
        return int(self.index.size)

    @cached_property
    def hl2(self) -> FloatArray:
        result: FloatArray = (self.high + self.low) / 2.0
        return result

    @cached_property
    def hlc3(self) -> FloatArray:
        result: FloatArray = (self.high + self.low + self.close) / 3.0
        return result

    @cached_property
    def ohlc4(self) -> FloatArray:
        result: FloatArray = (self.open + self.high + self.low + self.close) / 4.0
        return result

    def series(self, name: str) -> FloatArray:
        """A price series by its language name (open high low close volume hl2 hlc3 ohlc4)."""
        value = getattr(self, name)
        assert isinstance(value, np.ndarray)
        return value
