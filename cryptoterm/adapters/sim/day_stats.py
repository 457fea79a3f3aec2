"""Rolling 24 h high, low, volume and quote volume of every simulated symbol at once: the closed 1m bars of the
day plus the trades of the forming minute so far (what an exchange's 24 h ticker counts)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cryptoterm.adapters.sim.bars import Bars
from cryptoterm.adapters.sim.trades import MinuteTrades

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class DayStats:
    """One value per symbol (index order of the market's specs)."""

    open: FloatArray
    high: FloatArray
    low: FloatArray
    volume: FloatArray
    quote_volume: FloatArray


def day_stats(day: Bars, minute: MinuteTrades | None, traded: int) -> DayStats:
    """`day` holds the closed 1m bars of the last 24 h (symbols × bars); the first `traded` trades of `minute`
    are the forming minute's so far."""
    high = day.high.max(axis=1)
    low = day.low.min(axis=1)
    volume = day.volume.sum(axis=1)
    quote = day.quote_volume.sum(axis=1)
    if minute is not None and traded:
        sym = minute.sym[:traded]
        price = minute.price[:traded]
        qty = minute.qty[:traded]
        np.maximum.at(high, sym, price)
        np.minimum.at(low, sym, price)
        np.add.at(volume, sym, qty)
        np.add.at(quote, sym, price * qty)
    return DayStats(day.open[:, 0].astype(np.float64), high, low, volume, quote)
