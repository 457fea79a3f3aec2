"""OHLCV bars of the simulated market as arrays: one symbol's (bars,) or every symbol's (symbols, bars).

Kept apart from the history's generation so the compact storage and the generator can both build on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cryptoterm.domain.market import Candle

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Bars:
    """OHLCV arrays; price fields have shape (symbols, bars) or (bars,), `open_time` has shape (bars,)."""

    open_time: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    quote_volume: FloatArray
    trades: IntArray

    def __len__(self) -> int:
        return int(self.open_time.shape[0])

    def row(self, index: int) -> Bars:
        """One symbol's bars (for (symbols, bars) arrays)."""
        return Bars(
            self.open_time,
            self.open[index],
            self.high[index],
            self.low[index],
            self.close[index],
            self.volume[index],
            self.quote_volume[index],
            self.trades[index],
        )

    def window(self, lo: int, hi: int) -> Bars:
        """Bars lo..hi-1 along the time axis."""
        return Bars(
            self.open_time[lo:hi],
            self.open[..., lo:hi],
            self.high[..., lo:hi],
            self.low[..., lo:hi],
            self.close[..., lo:hi],
            self.volume[..., lo:hi],
            self.quote_volume[..., lo:hi],
            self.trades[..., lo:hi],
        )

    def candles(self) -> list[Candle]:
        """Closed `Candle`s of a one-symbol `Bars`."""
        return list(
            map(
                Candle,
                self.open_time.tolist(),
                self.open.tolist(),
                self.high.tolist(),
                self.low.tolist(),
                self.close.tolist(),
                self.volume.tolist(),
                self.quote_volume.tolist(),
                self.trades.tolist(),
            )
        )
