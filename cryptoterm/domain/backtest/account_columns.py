"""The account's working columns: every plan on the common bar axis, what is held at each bar close as
difference arrays, and the trade table built from the plans taken. Shared by the vectorised path and the fill loop
so both produce results the same way."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cryptoterm.domain.backtest.trades import TradeTable
from cryptoterm.domain.indicators import BoolArray, FloatArray
from cryptoterm.domain.strategy.frames import IntArray


@dataclass(slots=True)
class PlanColumns:
    """All plans of all symbols as columns, each plan's bars placed on the common axis."""

    names: tuple[str, ...]
    symbol: npt.NDArray[np.int64]
    entry_at: npt.NDArray[np.int64]
    exit_at: npt.NDArray[np.int64]
    entry_phase: npt.NDArray[np.int64]
    exit_phase: npt.NDArray[np.int64]
    entry_price: FloatArray
    exit_price: FloatArray
    side: npt.NDArray[np.int64]
    stop: FloatArray
    reason: npt.NDArray[np.int64]
    is_open: BoolArray
    signal_time: IntArray
    entry_time: IntArray
    exit_time: IntArray


def steps(at_start: np.ndarray, at_stop: np.ndarray, amount: np.ndarray, size: int) -> FloatArray:
    """A difference array of `size + 1` slots: `amount` added at each start and taken away at each stop
    (its cumulative sum is what is held at each bar). One bincount over both ends."""
    summed = np.bincount(
        np.concatenate([at_start, at_stop]), weights=np.concatenate([amount, -amount]), minlength=size + 1
    )
    out: FloatArray = np.asarray(summed[: size + 1], dtype=np.float64)  # weighted counts are floats already
    return out


@dataclass(frozen=True, slots=True)
class Held:
    """What is held at each bar close, as difference arrays (summed by cumsum): per symbol the net quantity
    (long minus short) and, when it has shorts, their constant part of the value (2 × quantity × entry fill).
    `open_count` (how many positions are open) is built only when asked: one symbol's longs do not need it."""

    positions: dict[int, tuple[FloatArray, FloatArray | None]]
    start: npt.NDArray[np.int64]
    stop: npt.NDArray[np.int64]
    size: int

    def open_count(self) -> FloatArray:
        return steps(self.start, self.stop, np.ones(self.start.size), self.size)


def held_steps(
    symbol: npt.NDArray[np.int64],
    side: npt.NDArray[np.int64],
    qty: FloatArray,
    fill: FloatArray,
    start: npt.NDArray[np.int64],
    stop: npt.NDArray[np.int64],
    size: int,
) -> Held:
    held = stop > start
    positions: dict[int, tuple[FloatArray, FloatArray | None]] = {}
    one_symbol = bool(held.all()) and (symbol.size == 0 or bool(np.all(symbol == symbol[0])))
    for si in np.unique(symbol[held]).tolist():
        mine = held if one_symbol else held & (symbol == si)
        signed = qty[mine] * side[mine]
        shorts = mine & (side < 0)
        const = steps(start[shorts], stop[shorts], 2.0 * qty[shorts] * fill[shorts], size) if shorts.any() else None
        positions[int(si)] = (steps(start[mine], stop[mine], signed, size), const)
    return Held(positions, start[held], stop[held], size)


def trade_table(
    table: PlanColumns,
    chosen: npt.NDArray[np.int64],
    entry_fill: FloatArray,
    exit_fill: FloatArray,
    qty: FloatArray,
    fees: FloatArray,
    pnl: FloatArray,
    reserved: FloatArray,
) -> TradeTable:
    order = np.lexsort((table.symbol[chosen], table.entry_time[chosen], table.entry_at[chosen]))
    pick = chosen[order]
    return TradeTable(
        symbols=table.names,
        symbol=table.symbol[pick],
        side=table.side[pick],
        signal_time=table.signal_time[pick],
        entry_time=table.entry_time[pick],
        exit_time=table.exit_time[pick],
        entry_fill=np.asarray(entry_fill, dtype=np.float64)[order],
        exit_fill=np.asarray(exit_fill, dtype=np.float64)[order],
        qty=np.asarray(qty, dtype=np.float64)[order],
        fees=np.asarray(fees, dtype=np.float64)[order],
        pnl=np.asarray(pnl, dtype=np.float64)[order],
        reserved=np.asarray(reserved, dtype=np.float64)[order],
        stop=table.stop[pick],
        reason=table.reason[pick],
        open=table.is_open[pick],
    )
