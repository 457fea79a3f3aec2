"""Simulated 1m history as OHLCV arrays, and exact aggregation to higher timeframes.

Bars come from the model's minute paths without simulating trades: the close is the path's level, the open
the previous close, and the high / low are drawn from the exact distribution of a Brownian bridge's maximum
and minimum between the two (for a bridge from 0 to r with variance s², P(max > m) = exp(-2 m (m - r) / s²),
so max = (r + sqrt(r² + 2 s² E)) / 2 with E ~ Exp(1)). That keeps history generation a handful of
whole-array operations, yet the wicks have the size the live trade paths give.

Prices are anchored so that the last close is each symbol's listed price: the live stream starts there.
The model runs in blocks of two days: arrays of that size stay in the CPU caches, which makes the whole
history about twice as fast as one 60-day block, and the temporaries stay small.

Only the most recent days are kept at 1m (`[demo] minute_days`); the older ones are kept as their exact 15m
aggregates. Sixty days of 1m bars for twenty symbols are 48 MB held for the demo's whole life, yet only the 1m
and 5m charts and scans read minutes that old — every timeframe from 15m up (the 15m chart's 1,500 bars, the
daily EMAs of the strategies) is a whole number of 15m bars, so the coarse tier answers those exactly. The bars
are generated exactly as before (same draws in the same order), then split: the 1m tier equals the last days of
an all-1m history bit for bit, and the 15m tier equals its aggregate (candles built from it have the same prices
and trade counts, and volumes that differ only in the last bits of a float sum taken in another order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cryptoterm.adapters.sim.bars import Bars, FloatArray
from cryptoterm.adapters.sim.model import MinuteBlock, ModelParams, ModelState, SymbolTable, simulate
from cryptoterm.adapters.sim.packed_bars import PackedBars, mean_price_quote, tick_dtype
from cryptoterm.domain.timeframes import MINUTE_MS


def round_to_tick(prices: FloatArray, ticks: FloatArray, decimals: list[int]) -> FloatArray:
    """Round each row to its symbol's tick, then to the tick's decimals so prints carry no float noise."""
    out = np.rint(prices / ticks[:, None]) * ticks[:, None]
    for i, places in enumerate(decimals):
        out[i] = np.round(out[i], places)
    return out


def bars_from_block(
    block: MinuteBlock,
    offsets: FloatArray,
    ticks: FloatArray,
    decimals: list[int],
    rng: np.random.Generator,
) -> Bars:
    """1m bars of every symbol for the block, prices in quote currency rounded to ticks."""
    level = block.level + offsets[:, None]
    prev = np.concatenate([block.start_level[:, None] + offsets[:, None], level[:, :-1]], axis=1)
    r = block.log_return
    two_var = 2.0 * block.sigma**2
    shape = r.shape
    up = 0.5 * (r + np.sqrt(r * r + two_var * rng.standard_exponential(shape, dtype=np.float32)))
    down = 0.5 * (r - np.sqrt(r * r + two_var * rng.standard_exponential(shape, dtype=np.float32)))
    close = round_to_tick(np.exp(level), ticks, decimals)
    open_ = round_to_tick(np.exp(prev), ticks, decimals)
    high = np.maximum(round_to_tick(np.exp(prev + up), ticks, decimals), np.maximum(open_, close))
    low = np.minimum(round_to_tick(np.exp(prev + down), ticks, decimals), np.minimum(open_, close))
    quote = mean_price_quote(block.volume, open_, high, low, close)
    return Bars(block.open_time, open_, high, low, close, block.volume, quote, block.trades)


#: The older tier's bar size: every timeframe from 15m up is a whole number of these (see the module docstring).
COARSE_MS = 15 * MINUTE_MS

#: Minutes per model call while generating history (see the module docstring).
HISTORY_BLOCK_MINUTES = 2 * 1440


@dataclass(frozen=True, slots=True)
class History:
    """Generated history: the recent 1m bars, the 15m bars before them, the model state after them, the log
    offsets that anchor prices, and the regime code of every minute."""

    bars: PackedBars
    #: 15m bars of every symbol before the first 1m bar (none when the whole history is 1m).
    coarse: Bars
    state: ModelState
    offsets: FloatArray
    regimes: npt.NDArray[np.int8]


def generate_history(
    table: SymbolTable,
    params: ModelParams,
    state: ModelState,
    minutes: int,
    rng: np.random.Generator,
    trades_per_second: float,
    *,
    coarse_minutes: int = 0,
) -> History:
    """Simulate `minutes` of 1m bars from `state`, anchored so the last close is each symbol's listed price; the
    first `coarse_minutes` (whole 15m buckets from a 15m boundary) are kept as 15m bars."""
    if coarse_minutes < 0 or coarse_minutes > minutes or (coarse_minutes * MINUTE_MS) % COARSE_MS:
        raise ValueError(f"coarse_minutes must be whole 15m buckets within the history, got {coarse_minutes}")
    blocks: list[MinuteBlock] = []
    done = 0
    while done < minutes:
        block, state = simulate(
            table, params, state, min(HISTORY_BLOCK_MINUTES, minutes - done), rng, trades_per_second
        )
        blocks.append(block)
        done += block.minutes
    offsets: FloatArray = np.log([spec.price for spec in table.specs]) - state.level
    ticks = np.array([spec.tick for spec in table.specs])
    decimals = [spec.price_decimals for spec in table.specs]
    open_time = (state.next_minute - minutes + np.arange(minutes, dtype=np.int64)) * MINUTE_MS
    highest = np.exp(np.max([block.level.max(axis=1) for block in blocks], axis=0) + offsets)
    out = PackedBars.empty(open_time[coarse_minutes:], ticks, decimals, tick_dtype(highest[:, None], ticks))
    coarse_parts: list[Bars] = [empty_bars(len(table.specs))]
    lo = 0
    for block in blocks:
        bars = bars_from_block(block, offsets, ticks, decimals, rng)
        split = max(0, min(block.minutes, coarse_minutes - lo))
        if split:
            coarse_parts.append(aggregate(bars.window(0, split), COARSE_MS))
        if split < block.minutes:
            out.put(lo + split - coarse_minutes, bars.window(split, block.minutes))
        lo += block.minutes
    regimes = np.concatenate([block.regime for block in blocks])
    return History(out, concat(coarse_parts), state, offsets, regimes)


def empty_bars(symbols: int) -> Bars:
    """No bars of `symbols` symbols (the start of a concatenation)."""
    prices = np.empty((symbols, 0))
    counts = np.empty((symbols, 0), dtype=np.int64)
    return Bars(np.empty(0, dtype=np.int64), prices, prices, prices, prices, prices, prices, counts)


def concat(parts: list[Bars]) -> Bars:
    """Join bars along time (all parts have the same symbols)."""
    if len(parts) == 1:
        return parts[0]
    return Bars(
        np.concatenate([p.open_time for p in parts]),
        np.concatenate([p.open for p in parts], axis=-1),
        np.concatenate([p.high for p in parts], axis=-1),
        np.concatenate([p.low for p in parts], axis=-1),
        np.concatenate([p.close for p in parts], axis=-1),
        np.concatenate([p.volume for p in parts], axis=-1),
        np.concatenate([p.quote_volume for p in parts], axis=-1),
        np.concatenate([p.trades for p in parts], axis=-1),
    )


def aggregate(bars: Bars, timeframe_ms: int) -> Bars:
    """Exact higher-timeframe bars: open = first, high = max, low = min, close = last, volumes and trades summed.

    Buckets are epoch-aligned (as Binance's); a bucket is present when at least one 1m bar falls in it.
    Works on one symbol or on (symbols, bars) arrays at once.
    """
    if len(bars) == 0:
        return bars
    bucket = bars.open_time - bars.open_time % timeframe_ms
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    ends = np.r_[starts[1:], len(bars)] - 1
    return Bars(
        bucket[starts],
        bars.open[..., starts],
        np.maximum.reduceat(bars.high, starts, axis=-1),
        np.minimum.reduceat(bars.low, starts, axis=-1),
        bars.close[..., ends],
        np.add.reduceat(bars.volume, starts, axis=-1),
        np.add.reduceat(bars.quote_volume, starts, axis=-1),
        np.add.reduceat(bars.trades, starts, axis=-1),
    )


class BarBuffer:
    """Growing (symbols, bars) storage for the live stream's completed 1m bars.

    Capacity doubles as needed, so appending a minute is O(1) amortised and reading is a view, not a
    concatenation of thousands of one-minute arrays.
    """

    def __init__(self, symbols: int, capacity: int = 1024) -> None:
        self._n = 0
        self._time = np.zeros(capacity, dtype=np.int64)
        self._prices = np.zeros((6, symbols, capacity))  # open, high, low, close, volume, quote volume
        self._trades = np.zeros((symbols, capacity), dtype=np.int64)

    def __len__(self) -> int:
        return self._n

    def append(self, bar: Bars) -> None:
        """Add one minute (arrays of shape (symbols, 1))."""
        if self._n == self._time.shape[0]:
            grow = self._time.shape[0]
            self._time = np.concatenate([self._time, np.zeros(grow, dtype=np.int64)])
            self._prices = np.concatenate([self._prices, np.zeros((*self._prices.shape[:2], grow))], axis=2)
            self._trades = np.concatenate([self._trades, np.zeros((self._trades.shape[0], grow), np.int64)], axis=1)
        k = self._n
        self._time[k] = bar.open_time[0]
        for field, values in enumerate((bar.open, bar.high, bar.low, bar.close, bar.volume, bar.quote_volume)):
            self._prices[field, :, k] = values[:, 0]
        self._trades[:, k] = bar.trades[:, 0]
        self._n += 1

    def view(self) -> Bars:
        n = self._n
        p = self._prices[:, :, :n]
        return Bars(self._time[:n], p[0], p[1], p[2], p[3], p[4], p[5], self._trades[:, :n])
