"""One symbol's trades before capital: when each enters and exits, at which price, and why.

A symbol holds one position at a time, and when it enters or exits never depends on the account (the account
only decides how much, and whether a trade is taken when `max_positions` are open): so the trades of each
symbol are planned here from its arrays alone, and the portfolio sizes them afterwards. Prices here are
before slippage and fees.

`plans_from_walk` reads the scanner's own setups (the `levels` fill); `plans_next_open` is the market-order
fill. Both keep an index of the bar of every fill, so the portfolio can order fills across symbols in time.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from cryptoterm.domain.indicators import BoolArray, FloatArray
from cryptoterm.domain.setup_walk import OhlcvArrays, WalkResult
from cryptoterm.domain.strategy import LevelSeries
from cryptoterm.domain.strategy.frames import IntArray

ExitReason = Literal["target", "stop", "exit", "end"]
#: When in a bar a fill happens: at the open (market orders) or inside it (levels reached by the range).
AT_OPEN, INTRABAR = 0, 1


@dataclass(frozen=True, slots=True)
class Plan:
    """One planned trade. `exit_index` is the bar of the exit fill (the last bar for a trade open at the end).

    `entry_phase` / `exit_phase` say whether the fill is at that bar's open or inside it. `stop` is NaN when
    the trade has none (then it has no R multiple and cannot be sized by risk).
    """

    signal_index: int
    entry_index: int
    entry_price: float
    entry_phase: int
    exit_index: int
    exit_price: float
    exit_phase: int
    reason: ExitReason
    stop: float
    side: int  # +1 long, -1 short

    @property
    def is_open(self) -> bool:
        return self.reason == "end"


REASONS: tuple[ExitReason, ...] = ("target", "stop", "exit", "end")
REASON_CODE: dict[ExitReason, int] = {r: i for i, r in enumerate(REASONS)}
_INT_COLUMNS = ("signal_index", "entry_index", "entry_phase", "exit_index", "exit_phase", "reason", "side")
_FLOAT_COLUMNS = ("entry_price", "exit_price", "stop")


@dataclass(frozen=True, slots=True)
class PlanTable:
    """Plans as columns (`reason` indexes `REASONS`): what the planners return and the portfolio reads, so a
    backtest of a million bars never builds an object per trade. `rows()` gives `Plan` objects."""

    signal_index: npt.NDArray[np.int64]
    entry_index: npt.NDArray[np.int64]
    entry_phase: npt.NDArray[np.int64]
    exit_index: npt.NDArray[np.int64]
    exit_phase: npt.NDArray[np.int64]
    reason: npt.NDArray[np.int64]
    side: npt.NDArray[np.int64]
    entry_price: FloatArray
    exit_price: FloatArray
    stop: FloatArray

    def __len__(self) -> int:
        return int(self.entry_index.size)

    @property
    def is_open(self) -> BoolArray:
        out: BoolArray = self.reason == REASON_CODE["end"]
        return out

    def rows(self) -> list[Plan]:
        columns = [getattr(self, name).tolist() for name in Plan.__dataclass_fields__ if name != "reason"]
        reasons = [REASONS[c] for c in self.reason.tolist()]
        names = [name for name in Plan.__dataclass_fields__ if name != "reason"]
        return [
            Plan(reason=r, **dict(zip(names, values, strict=True)))
            for r, *values in zip(reasons, *columns, strict=True)
        ]

    @classmethod
    def of(cls, plans: Sequence[Plan]) -> PlanTable:
        """The table of `plans` (tests and hand-made plans)."""
        ints = {
            n: np.array([REASON_CODE[p.reason] if n == "reason" else getattr(p, n) for p in plans], dtype=np.int64)
            for n in _INT_COLUMNS
        }
        floats = {n: np.array([getattr(p, n) for p in plans], dtype=np.float64) for n in _FLOAT_COLUMNS}
        return cls(**ints, **floats)  # type: ignore[arg-type]

    @classmethod
    def from_lists(cls, columns: dict[str, list[float] | list[int]]) -> PlanTable:
        ints = {n: np.asarray(columns[n], dtype=np.int64) for n in _INT_COLUMNS}
        floats = {n: np.asarray(columns[n], dtype=np.float64) for n in _FLOAT_COLUMNS}
        return cls(**ints, **floats)  # type: ignore[arg-type]


def _collector() -> dict[str, list[float] | list[int]]:
    return {n: [] for n in (*_INT_COLUMNS, *_FLOAT_COLUMNS)}


def _add(
    rows: dict[str, list[float] | list[int]],
    signal: int,
    entry: int,
    entry_price: float,
    entry_phase: int,
    exit_bar: int,
    exit_price: float,
    exit_phase: int,
    reason: ExitReason,
    stop: float,
    side: int,
) -> None:
    for name, value in (
        ("signal_index", signal), ("entry_index", entry), ("entry_price", entry_price), ("entry_phase", entry_phase),
        ("exit_index", exit_bar), ("exit_price", exit_price), ("exit_phase", exit_phase),
        ("reason", REASON_CODE[reason]), ("stop", stop), ("side", side),
    ):  # fmt: skip
        rows[name].append(value)  # type: ignore[arg-type]


def plans_from_walk(walk: WalkResult, bars: OhlcvArrays) -> PlanTable:
    """The trades of the scanner's setups: every setup that triggered, from its entry to its close.

    A setup triggers inside a bar (its range crossed the entry) and closes inside a bar (stop, target) or at
    a bar's open (exit terms); one still triggered after the last bar is open at the end.
    """
    times = bars.open_time
    step = _step(times)
    out = _collector()
    for walked in walk.setups:
        final = walked.final
        triggered = next((t for t in walked.transitions if t.to_state == "triggered"), None)
        if triggered is None:
            continue
        side = 1 if final.direction == "long" else -1
        entry_index = int(np.searchsorted(times, triggered.ts - step, side="left"))  # stamped at its bar's close
        signal_index = int(np.searchsorted(times, final.bar_time, side="left"))
        if final.state == "triggered":  # still open after the last bar
            last = len(bars) - 1
            _add(out, signal_index, entry_index, final.entry, INTRABAR, last, float(bars.close[last]), INTRABAR,
                 "end", final.stop, side)  # fmt: skip
            continue
        exit_index = int(np.searchsorted(times, final.last_bar if final.last_bar is not None else times[-1]))
        reason: ExitReason = {"closed_target": "target", "closed_stop": "stop", "closed_exit": "exit"}[final.state]  # type: ignore[assignment]
        phase = AT_OPEN if reason == "exit" else INTRABAR
        exit_price = float(final.exit_price if final.exit_price is not None else bars.close[exit_index])
        _add(out, signal_index, entry_index, final.entry, INTRABAR, exit_index, exit_price, phase, reason,
             final.stop, side)  # fmt: skip
    return PlanTable.from_lists(out)


def _step(times: IntArray) -> int:
    return int(np.min(np.diff(times))) if times.size > 1 else 0


def plans_next_open(
    bars: OhlcvArrays,
    signal: BoolArray,
    exit_signal: BoolArray | None,
    levels: LevelSeries | None,
    side: int,
) -> PlanTable:
    """Market-order trades: a signal on bar j enters at the open of j + 1 (see `rules.BacktestRules`).

    Exits, whichever comes first: exit terms holding at bar k ≥ the entry bar close at the open of k + 1;
    with `levels`, the stop or first target of the signal bar's levels reached inside a bar from the entry
    bar on (stop first when a bar reaches both; a bar opening through the stop fills at its open). After an
    exit the next signal is taken from the bar whose close follows the exit.
    """
    if levels is None:
        return _signal_in_signal_out(bars, signal, exit_signal, side)
    n = len(bars)
    # Plain lists and bisect: a few lookups per trade, where numpy's per-call overhead would dominate.
    fired = np.flatnonzero(np.asarray(signal, dtype=np.bool_)[: max(0, n - 1)]).tolist()
    exits = np.flatnonzero(np.asarray(exit_signal, dtype=np.bool_)).tolist() if exit_signal is not None else None
    opens = bars.open.tolist()
    stops = levels.stop.tolist() if levels is not None else None
    targets = levels.targets[0].tolist() if levels is not None and levels.targets else None
    out = _collector()
    nan = float("nan")
    earliest = 0  # the first bar whose signal may enter
    while True:
        k = bisect_left(fired, earliest)
        if k >= len(fired):
            return PlanTable.from_lists(out)
        j = fired[k]
        e = j + 1
        entry = opens[e]
        stop = stops[j] if stops is not None else nan
        target = targets[j] if targets is not None else nan
        # Exit terms: the first bar from the entry bar on where they hold; the fill is the next open.
        exit_bar = n  # none
        if exits is not None:
            pos = bisect_left(exits, e)
            if pos < len(exits):
                exit_bar = exits[pos] + 1
        # Levels: the first bar from the entry bar (up to the exit-terms fill, which comes at an open first).
        level_bar, level_price, level_reason = n, nan, "stop"
        if math.isfinite(stop) or math.isfinite(target):
            found = _first_level_hit(bars, e, min(exit_bar, n), stop, target, side)
            if found is not None:
                level_bar, level_price, level_reason = found
        if exit_bar < n and exit_bar <= level_bar:
            _add(out, j, e, entry, AT_OPEN, exit_bar, opens[exit_bar], AT_OPEN, "exit", stop, side)
            earliest = exit_bar  # the signal on the bar that opened with the exit is the next one allowed
        elif level_bar < n:
            reason: ExitReason = "stop" if level_reason == "stop" else "target"
            _add(out, j, e, entry, AT_OPEN, level_bar, level_price, INTRABAR, reason, stop, side)
            earliest = level_bar
        else:
            last = n - 1
            _add(out, j, e, entry, AT_OPEN, last, float(bars.close[last]), INTRABAR, "end", stop, side)
            return PlanTable.from_lists(out)


def _signal_in_signal_out(bars: OhlcvArrays, signal: BoolArray, exit_signal: BoolArray | None, side: int) -> PlanTable:
    """`plans_next_open` without levels, with no loop: out of a position, the first entry signal enters; in
    one, the first exit signal strictly after the entry's signal bar exits; the next entry signal must come
    strictly after that exit signal's bar. So the trades are where a two-state machine over the signal bars
    changes state: an entry-only bar sets "in", an exit-only bar sets "out", a bar with both flips the state
    (in: it exits and its own entry is too early; out: it enters and its own exit is too early). The state
    after each signal bar is the last set value, flipped once per flip bar since (a cumulative count).
    Signals on the last bar are left out: an entry there has no next open, an exit there none either."""
    n = len(bars)
    usable = max(0, n - 1)
    codes = np.asarray(signal[:usable], dtype=np.int8)
    if exit_signal is not None:
        codes = codes + 2 * np.asarray(exit_signal[:usable], dtype=np.int8)
    at = np.flatnonzero(codes)
    code = codes[at]
    is_set = code != 3
    position = np.arange(at.size)
    last_set = np.maximum.accumulate(np.where(is_set, position, -1)) if at.size else position
    flips = np.cumsum(code == 3)
    set_in = np.where(last_set >= 0, code[np.maximum(last_set, 0)] == 1, False)
    flips_since = flips - np.where(last_set >= 0, flips[np.maximum(last_set, 0)], 0)
    state = set_in ^ (flips_since % 2 == 1)
    before = np.r_[False, state[:-1]]
    entries_at = at[state & ~before]
    exits_at = at[~state & before] + 1  # the exit fills at the next open
    still_open = np.zeros(entries_at.size, dtype=np.bool_)
    if entries_at.size > exits_at.size:  # no exit before the data ends: open at the end
        still_open[-1] = True
        exits_at = np.r_[exits_at, -1]
    signal_index = entries_at.astype(np.int64)
    last = n - 1
    exit_index = np.where(still_open, last, exits_at).astype(np.int64)
    entry_index = signal_index + 1
    count = signal_index.size
    return PlanTable(
        signal_index=signal_index,
        entry_index=entry_index,
        entry_phase=np.full(count, AT_OPEN, dtype=np.int64),
        exit_index=exit_index,
        exit_phase=np.where(still_open, INTRABAR, AT_OPEN).astype(np.int64),
        reason=np.where(still_open, REASON_CODE["end"], REASON_CODE["exit"]).astype(np.int64),
        side=np.full(count, side, dtype=np.int64),
        entry_price=bars.open[entry_index],
        exit_price=np.where(still_open, bars.close[last] if n else np.nan, bars.open[exit_index]),
        stop=np.full(count, np.nan),
    )


def _first_level_hit(
    bars: OhlcvArrays, start: int, end: int, stop: float, target: float, side: int
) -> tuple[int, float, str] | None:
    """First bar in [start, end) whose range reaches the stop or the target: (bar, fill price, "stop"/"target").

    Searched in growing windows, so a trade that ends quickly costs little and a long one costs O(its bars).
    """
    if side > 0:
        stop_hit: Callable[[slice], BoolArray] = lambda w: bars.low[w] <= stop  # noqa: E731
        target_hit: Callable[[slice], BoolArray] = lambda w: bars.high[w] >= target  # noqa: E731
    else:
        stop_hit = lambda w: bars.high[w] >= stop  # noqa: E731
        target_hit = lambda w: bars.low[w] <= target  # noqa: E731
    lo, width = start, 64
    while lo < end:
        hi = min(end, lo + width)
        window = slice(lo, hi)
        hits = np.zeros(hi - lo, dtype=np.bool_)
        stops = stop_hit(window) if np.isfinite(stop) else hits
        targets = target_hit(window) if np.isfinite(target) else hits
        either = stops | targets
        if either.any():
            i = int(np.argmax(either))
            bar = lo + i
            if stops[i]:  # conservative: a bar reaching both is a stop
                opened: FloatArray = bars.open
                fill = min(stop, float(opened[bar])) if side > 0 else max(stop, float(opened[bar]))
                return bar, fill, "stop"
            return bar, target, "target"
        lo, width = hi, width * 4
    return None
