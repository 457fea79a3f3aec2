"""The demo's 1m history kept compact: prices as whole ticks, the quote volume derived, trade counts in 32 bits.

Sixty days of 1m bars for twenty symbols are 1.7 million bars; as seven float64 fields that is 97 MB held for the
whole life of the demo, a third of its memory. Every simulated price is a whole number of ticks (the model rounds
to the tick, then to the tick's decimals), so the tick count reproduces it exactly; the quote volume is the
volume times the bar's mean price, computed the same way it was generated. That leaves 28 bytes a bar instead of
56, and every decoded bar is bit-for-bit the bar that was generated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cryptoterm.adapters.sim.bars import Bars, FloatArray, IntArray

TickArray = npt.NDArray[np.signedinteger[npt.NBitBase]]
#: Price fields stored as ticks, in this order.
PRICE_FIELDS = ("open", "high", "low", "close")


def tick_dtype(prices: FloatArray, ticks: FloatArray) -> type[np.int32] | type[np.int64]:
    """int32 while every price fits in it with room to wander (a symbol that rallies tenfold still fits), else
    int64: the saving is never bought with an overflow."""
    most = float(np.max(prices / ticks[:, None])) if prices.size else 0.0
    return np.int32 if most * 10 < np.iinfo(np.int32).max else np.int64


def mean_price_quote(
    volume: FloatArray, open_: FloatArray, high: FloatArray, low: FloatArray, close: FloatArray
) -> FloatArray:
    """A bar's quote volume as the history makes it: its volume at the mean of its four prices."""
    result: FloatArray = volume * (open_ + high + low + close) * 0.25
    return result


@dataclass(frozen=True, slots=True)
class PackedBars:
    """(symbols, bars) 1m history; reads decode to float `Bars` (fresh arrays, never views of the storage)."""

    open_time: IntArray
    #: open, high, low, close in whole ticks: shape (4, symbols, bars).
    price_ticks: TickArray
    volume: FloatArray
    trades_count: npt.NDArray[np.int32]
    tick: FloatArray
    decimals: tuple[int, ...]

    @classmethod
    def empty(
        cls, open_time: IntArray, tick: FloatArray, decimals: list[int], dtype: type[np.int32] | type[np.int64]
    ) -> PackedBars:
        symbols, bars = len(decimals), open_time.shape[0]
        return cls(
            open_time,
            np.empty((4, symbols, bars), dtype=dtype),
            np.empty((symbols, bars)),
            np.empty((symbols, bars), dtype=np.int32),
            tick,
            tuple(decimals),
        )

    def put(self, lo: int, bars: Bars) -> None:
        """Store (symbols, n) bars at columns lo..lo+n-1."""
        hi = lo + bars.close.shape[-1]
        step = self.tick[:, None]
        for field, name in enumerate(PRICE_FIELDS):
            self.price_ticks[field, :, lo:hi] = np.rint(getattr(bars, name) / step)
        self.volume[:, lo:hi] = bars.volume
        self.trades_count[:, lo:hi] = bars.trades

    def __len__(self) -> int:
        return int(self.open_time.shape[0])

    @property
    def nbytes(self) -> int:
        return int(self.open_time.nbytes + self.price_ticks.nbytes + self.volume.nbytes + self.trades_count.nbytes)

    def _prices(self, field: int, rows: slice | int, lo: int, hi: int) -> FloatArray:
        ticks = self.price_ticks[field, rows, lo:hi].astype(np.float64)
        if isinstance(rows, int):
            one: FloatArray = np.round(ticks * self.tick[rows], self.decimals[rows])
            return one
        out: FloatArray = ticks * self.tick[rows, None]
        for k, places in enumerate(self.decimals[rows]):
            out[k] = np.round(out[k], places)
        return out

    def _decode(self, rows: slice | int, lo: int, hi: int) -> Bars:
        open_, high, low, close = (self._prices(f, rows, lo, hi) for f in range(len(PRICE_FIELDS)))
        volume = self.volume[rows, lo:hi].copy()
        return Bars(
            self.open_time[lo:hi].copy(),
            open_,
            high,
            low,
            close,
            volume,
            mean_price_quote(volume, open_, high, low, close),
            self.trades_count[rows, lo:hi].astype(np.int64),
        )

    def row(self, index: int) -> Bars:
        """One symbol's bars, decoded."""
        return self._decode(index, 0, len(self))

    def window(self, lo: int, hi: int) -> Bars:
        """Bars lo..hi-1 of every symbol, decoded."""
        return self._decode(slice(None), lo, hi)

    def unpack(self) -> Bars:
        """Everything, decoded (for inspection: a full copy of the history as floats)."""
        return self.window(0, len(self))

    # Whole fields of every symbol, decoded: the `Bars` reads that inspection and the model's start need.
    @property
    def open(self) -> FloatArray:
        return self._prices(0, slice(None), 0, len(self))

    @property
    def high(self) -> FloatArray:
        return self._prices(1, slice(None), 0, len(self))

    @property
    def low(self) -> FloatArray:
        return self._prices(2, slice(None), 0, len(self))

    @property
    def close(self) -> FloatArray:
        return self._prices(3, slice(None), 0, len(self))

    @property
    def quote_volume(self) -> FloatArray:
        return self.unpack().quote_volume

    @property
    def trades(self) -> IntArray:
        return self.trades_count.astype(np.int64)
