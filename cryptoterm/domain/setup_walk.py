"""The bar-by-bar setup walk: a strategy's signal array → setups → their lives through the bars that follow.

One function serves the scanner's newest bar, its lookback over bars closed while nothing was running, and a
backtest over all of history, so live, cron and backtest cannot disagree about which signal opened a setup and
what became of it. Everything comes in as arrays (OHLCV, the signal, the level series, the terms that explain
a signal) and goes out as immutable setups with their transitions; nothing here reads a store or a clock.

Rules, the same as live:

* One setup at a time per strategy, symbol and direction: a signal while a setup is open is skipped. Setups a
  store already holds (opened by any earlier run) occupy their bars from the signal bar until the bar they
  closed on, or for good while open, so a second review of the same bars opens nothing (`occupied`).
* A setup closed by bar j frees bar j: a signal on that same bar may open the next one (live, the tracker
  closes it on the bar's close, and the scan of that bar then sees no open duplicate).
* A setup is walked with `domain.setups.advance`, stamping each transition with the close time of its bar; the
  strategy's condition on each bar (the signal array itself) is the "still true" check that may invalidate a
  setup before its entry.
* Exit terms: once they all hold at a bar's close, a triggered setup closes at the next bar's open.
* Levels come from the level series at the signal bar through `levels_at_bar`; a bar whose levels cannot make a
  setup is reported, never raised, so one bad bar does not hide the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from cryptoterm.domain.indicators import BoolArray, FloatArray
from cryptoterm.domain.market import Candle
from cryptoterm.domain.setups import ConditionResult, Direction, Setup, SetupError, Transition, advance, build_setup
from cryptoterm.domain.strategy import LevelSeries, LevelsError, TermResult, levels_at_bar
from cryptoterm.domain.strategy.frames import IntArray
from cryptoterm.domain.timeframes import timeframe_ms

#: Bars a stored setup occupies: (signal bar open time, open time of the bar it closed on; None while open).
Occupancy = tuple[int, int | None]


@dataclass(frozen=True, slots=True)
class OhlcvArrays:
    """A base series as arrays, oldest first (`open_time` in epoch ms)."""

    open_time: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray

    def __len__(self) -> int:
        return int(self.open_time.size)

    def candle(self, index: int) -> Candle:
        return Candle(
            int(self.open_time[index]),
            float(self.open[index]),
            float(self.high[index]),
            float(self.low[index]),
            float(self.close[index]),
            float(self.volume[index]),
        )


@dataclass(frozen=True, slots=True)
class SetupRules:
    """What turns a signal into a sized setup: who it belongs to, its expiry and the account's risk."""

    strategy: str
    symbol: str
    timeframe: str
    direction: Direction
    expires_bars: int
    equity: float
    risk_pct: float
    #: Bars the strategy's indicators need (named in the "levels are not known" message).
    warmup_bars: int = 1


class WalkedSetup(NamedTuple):
    """A setup as opened on its signal bar, as it stands after the walk, and the transitions in between."""

    first: Setup
    final: Setup
    transitions: tuple[Transition, ...]


@dataclass(frozen=True, slots=True)
class WalkResult:
    """What a walk found: the setups, the signals a stored setup already held, the bars whose levels failed."""

    setups: tuple[WalkedSetup, ...]
    occupied_signals: tuple[int, ...] = ()
    level_errors: tuple[tuple[int, str], ...] = ()


def conditions_at(terms: Sequence[TermResult], index: int) -> tuple[ConditionResult, ...]:
    """Each entry condition's result and the values behind it at bar `index`, as a setup records them."""
    out = []
    for term in terms:
        if term.section == "exit":
            continue
        shown = ", ".join(f"{label}={_number(values[index])}" for label, values in term.values.items())
        out.append(ConditionResult(term.text, bool(term.passed[index]), shown))
    return tuple(out)


def _number(value: float) -> str:
    return f"{float(value):.6g}"


def _occupied(bar_time: int, occupied: Sequence[Occupancy]) -> bool:
    return any(start <= bar_time and (end is None or bar_time < end) for start, end in occupied)


def open_setup(
    bars: OhlcvArrays,
    levels: LevelSeries,
    terms: Sequence[TermResult],
    rules: SetupRules,
    index: int,
    now_ms: int,
) -> Setup:
    """The setup a signal on bar `index` opens (created when that bar closed, or at `now_ms` if earlier).

    Raises LevelsError / SetupError when the bar's levels cannot make a setup.
    """
    found = levels_at_bar(levels, index, strategy=rules.strategy, direction=rules.direction, warmup=rules.warmup_bars)
    bar_time = int(bars.open_time[index])
    zone = None
    if found.entry_zone is not None:
        low, high = sorted((found.entry, found.entry_zone))
        zone = (low, high)
    return build_setup(
        strategy=rules.strategy,
        symbol=rules.symbol,
        timeframe=rules.timeframe,
        direction=rules.direction,
        entry=found.entry,
        stop=found.stop,
        targets=found.targets,
        bar_time=bar_time,
        created_ms=min(bar_time + timeframe_ms(rules.timeframe), now_ms),
        expires_bars=max(1, rules.expires_bars),
        equity=rules.equity,
        risk_pct=rules.risk_pct,
        entry_zone=zone,
        conditions=conditions_at(terms, index),
    )


def walk_setups(
    bars: OhlcvArrays,
    signal: BoolArray,
    levels: LevelSeries,
    terms: Sequence[TermResult],
    rules: SetupRules,
    *,
    start: int,
    now_ms: int,
    occupied: Sequence[Occupancy] = (),
    exit_signal: BoolArray | None = None,
) -> WalkResult:
    """Open a setup on each signal from bar `start` on and walk it through the later bars (module docstring).

    `signal`, `levels`, `terms` and `exit_signal` (where the strategy's exit terms all held; a triggered setup
    then closes at the next bar's open) are over the same bars as `bars`. A setup still open after the last bar
    is returned in its current state.
    """
    size = len(bars)
    if signal.size != size or levels.entry.size != size:
        raise ValueError(f"signal ({signal.size}) and levels ({levels.entry.size}) must cover the {size} bars")
    step = timeframe_ms(rules.timeframe)
    fired = np.asarray(signal, dtype=np.bool_)
    exits = np.zeros(size, dtype=np.bool_) if exit_signal is None else np.asarray(exit_signal, dtype=np.bool_)
    found: list[WalkedSetup] = []
    held: list[int] = []
    failed: list[tuple[int, str]] = []
    current: WalkedSetup | None = None
    for j in range(max(0, start), size):
        bar_time = int(bars.open_time[j])
        if current is not None:
            first, setup, made = current
            exit_due = j > 0 and bool(exits[j - 1])
            setup, more = advance(setup, bars.candle(j), bar_time + step, bool(fired[j]), exit_due)
            current = WalkedSetup(first, setup, made + tuple(more))
            if not setup.is_open:
                found.append(current)
                current = None
        if current is not None or not fired[j]:
            continue
        if _occupied(bar_time, occupied):
            held.append(j)
            continue
        try:
            first = open_setup(bars, levels, terms, rules, j, now_ms)
        except (LevelsError, SetupError) as exc:
            failed.append((j, f"{type(exc).__name__}: {exc}"))
            continue
        current = WalkedSetup(first, first, ())
    if current is not None:
        found.append(current)
    return WalkResult(tuple(found), tuple(held), tuple(failed))
