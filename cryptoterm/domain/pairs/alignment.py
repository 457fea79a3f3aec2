"""A universe's closes on common bars: one log-close matrix (bars × symbols) and a report of what was dropped.

Pair statistics compare two series bar by bar, so every symbol must have every bar. A bar one symbol lacks is
dropped for all of them, never forward-filled: a filled close is a bar with zero return, which flatters
correlation and fakes mean reversion. What is dropped and why is returned, not hidden:

1. bars with a close that is not a positive finite number (they are not prices; counted per symbol);
2. symbols whose median quote volume per bar is below `min_quote_volume` ("illiquid": the spread of a thin
   market is mostly its bid / ask bounce);
3. symbols with fewer than `min_bars` bars ("short history");
4. while the bars common to every remaining symbol are fewer than `min_bars`, the symbol whose removal regains
   the most common bars ("no common bars": a coin listed late or halted for weeks would otherwise cut the whole
   universe's window down to its own);
5. the bars some remaining symbol lacks (the report lists them and how many each symbol lacked).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from cryptoterm.domain.pairs.arrays import FloatArray, IntArray

DropReason = Literal["illiquid", "short history", "no common bars"]


@dataclass(frozen=True, slots=True)
class SymbolBars:
    """One symbol's candles as arrays of equal length: open times (epoch ms), closes, quote volumes."""

    symbol: str
    open_time: IntArray
    close: FloatArray
    quote_volume: FloatArray

    def __post_init__(self) -> None:
        lengths = {len(self.open_time), len(self.close), len(self.quote_volume)}
        if len(lengths) != 1:
            raise ValueError(
                f"{self.symbol}: open_time, close and quote_volume differ in length "
                f"({len(self.open_time)}, {len(self.close)}, {len(self.quote_volume)})"
            )


@dataclass(frozen=True, slots=True)
class DroppedSymbol:
    """A symbol left out of the universe, the rule that dropped it and the numbers behind it."""

    symbol: str
    reason: DropReason
    detail: str


@dataclass(frozen=True, slots=True)
class AlignmentReport:
    """Everything the alignment left out.

    `invalid_closes`: per symbol, bars dropped for a close that is not a positive finite number.
    `dropped_times`: open times some kept symbol lacked, so dropped for every symbol.
    `missing_by_symbol`: per kept symbol, how many of `dropped_times` it lacked (symbols lacking none omitted).
    """

    dropped_symbols: tuple[DroppedSymbol, ...]
    invalid_closes: tuple[tuple[str, int], ...]
    dropped_times: IntArray
    missing_by_symbol: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class AlignedCloses:
    """Log closes on the bars every kept symbol has: `log_close[t, s]` is symbol s at `open_time[t]`."""

    symbols: tuple[str, ...]
    open_time: IntArray
    log_close: FloatArray
    report: AlignmentReport


def _clean(bars: SymbolBars) -> tuple[IntArray, FloatArray, FloatArray, int]:
    """Sorted bars with valid closes (the last of duplicate open times wins), and how many closes were invalid."""
    times = np.asarray(bars.open_time, dtype=np.int64)
    close = np.asarray(bars.close, dtype=np.float64)
    volume = np.asarray(bars.quote_volume, dtype=np.float64)
    valid = np.isfinite(close) & (close > 0)
    invalid = int(np.count_nonzero(~valid))
    times, close, volume = times[valid], close[valid], volume[valid]
    order = np.argsort(times, kind="stable")
    times, close, volume = times[order], close[order], volume[order]
    last = np.ones(len(times), dtype=bool)
    last[:-1] = times[1:] != times[:-1]
    return times[last], close[last], volume[last], invalid


def align_closes(universe: Sequence[SymbolBars], min_bars: int, min_quote_volume: float = 0.0) -> AlignedCloses:
    """Align `universe` on common bars after the liquidity and history filters (see the module docstring)."""
    if min_bars < 2:
        raise ValueError(f"min_bars must be at least 2, got {min_bars!r}")
    names = [bars.symbol for bars in universe]
    if len(set(names)) != len(names):
        duplicated = sorted({name for name in names if names.count(name) > 1})
        raise ValueError(f"symbols listed twice: {', '.join(duplicated)}")
    dropped: list[DroppedSymbol] = []
    invalid: list[tuple[str, int]] = []
    kept: list[tuple[str, IntArray, FloatArray]] = []
    for bars in universe:
        times, close, volume, bad = _clean(bars)
        if bad:
            invalid.append((bars.symbol, bad))
        median_volume = float(np.median(volume)) if len(volume) else 0.0
        if median_volume < min_quote_volume:
            detail = f"median quote volume {median_volume:,.0f} a bar < {min_quote_volume:,.0f}"
            dropped.append(DroppedSymbol(bars.symbol, "illiquid", detail))
        elif len(times) < min_bars:
            dropped.append(DroppedSymbol(bars.symbol, "short history", f"{len(times)} bars < {min_bars}"))
        else:
            kept.append((bars.symbol, times, close))

    union = np.unique(np.concatenate([times for _, times, _ in kept])) if kept else np.zeros(0, dtype=np.int64)
    present = np.zeros((len(union), len(kept)), dtype=bool)
    for column, (_, times, _) in enumerate(kept):
        present[np.searchsorted(union, times), column] = True
    active = np.ones(len(kept), dtype=bool)
    while active.any():
        common = present[:, active].all(axis=1)
        if int(common.sum()) >= min_bars:
            break
        missing = ~present & active[None, :]
        alone = missing.sum(axis=1) == 1
        regained = (missing & alone[:, None]).sum(axis=0)
        # Most bars regained first; among equals the symbol with the fewest bars of its own, then by name.
        candidates = np.flatnonzero(active)
        worst = int(min(candidates, key=lambda c: (-int(regained[c]), int(present[:, c].sum()), kept[c][0])))
        detail = f"with it the universe shares {int(common.sum())} bars < {min_bars}"
        dropped.append(DroppedSymbol(kept[worst][0], "no common bars", detail))
        active[worst] = False

    columns = np.flatnonzero(active)
    if columns.size == 0:
        report = AlignmentReport(tuple(dropped), tuple(invalid), np.zeros(0, dtype=np.int64), ())
        return AlignedCloses((), np.zeros(0, dtype=np.int64), np.zeros((0, 0)), report)
    in_use = present[:, columns].any(axis=1)
    common = present[:, columns].all(axis=1)
    log_close = np.empty((int(common.sum()), columns.size))
    for out, column in enumerate(columns.tolist()):
        _, times, close = kept[column]
        log_close[:, out] = np.log(close[np.isin(times, union[common], assume_unique=True)])
    lacking = ~present[in_use & ~common][:, columns]
    missing_by_symbol = tuple(
        (kept[column][0], int(count)) for column, count in zip(columns, lacking.sum(axis=0), strict=True) if count
    )
    report = AlignmentReport(
        dropped_symbols=tuple(dropped),
        invalid_closes=tuple(invalid),
        dropped_times=union[in_use & ~common],
        missing_by_symbol=missing_by_symbol,
    )
    return AlignedCloses(tuple(kept[c][0] for c in columns), union[common], log_close, report)
