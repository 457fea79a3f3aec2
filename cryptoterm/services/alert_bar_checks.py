"""The bar-close checks of alert rules: the bars a rule reads, copied when its bar closes, then evaluated.

A z-score rule reads the pair's hedge from the newest stored screen that tested SYMBOL ~ OTHER (the hedge and
window statistics the screener's watched pair uses), looked up in the thread; without one it fits OLS on the
last `ZSCORE_BARS` bars both legs share.

Copying happens on the event loop at the moment the bar closes, so the check sees exactly the bars up to that
one even when it runs later in the worker thread while a fast replay keeps closing bars; evaluating (pandas, the
strategy evaluator, an OLS fit) happens in the thread.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import numpy as np
import pandas as pd

from cryptoterm.domain.alerts import AlertRule
from cryptoterm.domain.alerts.checks import PairHedge, hedged_zscore, in_band, pair_zscore, percent_change, volume_ratio
from cryptoterm.domain.alerts.conditions import bars_needed, compile_condition, read_condition
from cryptoterm.domain.alerts.triggers import ChangeTrigger, ConditionTrigger, VolumeSpikeTrigger, ZScoreTrigger
from cryptoterm.domain.market import BarClosed, Candle
from cryptoterm.domain.strategy import CompiledStrategy
from cryptoterm.domain.timeframes import timeframe_ms

#: Bars of the rule's timeframe a pair z-score is fitted on.
ZSCORE_BARS = 500
_COLUMNS = ["open", "high", "low", "close", "volume"]


class CandleView(Protocol):
    def candles(self, symbol: str, timeframe: str, limit: int) -> list[Candle]: ...


class ConditionCache:
    """Conditions compiled once per (name, text, timeframe), shared by the loop and the worker thread."""

    def __init__(self) -> None:
        self._compiled: dict[tuple[str, str, str], CompiledStrategy] = {}
        self._lock = threading.Lock()

    def get(self, rule: AlertRule) -> CompiledStrategy:
        assert isinstance(rule.trigger, ConditionTrigger)
        key = (rule.name, rule.trigger.text, rule.timeframe)
        with self._lock:
            compiled = self._compiled.get(key)
            if compiled is None:
                compiled = self._compiled[key] = compile_condition(rule.name, rule.trigger.text, rule.timeframe)
            return compiled


HedgeLookup = Callable[[str, str], PairHedge | None]


@dataclass(frozen=True, slots=True)
class BarCheck:
    """One rule's inputs at one bar close: closed bars per (symbol, timeframe), all opened no later than it."""

    rule: AlertRule
    event: BarClosed
    close_ms: int
    bars: Mapping[tuple[str, str], tuple[Candle, ...]]
    compiled: CompiledStrategy | None = None
    #: Looks up the newest stored screen's hedge of (y, x), for z-score rules (None: refit on the bars).
    hedges: HedgeLookup | None = None


class BarReading(NamedTuple):
    holds: bool
    value: float | None
    values: dict[str, float]


def copy_inputs(
    rule: AlertRule,
    event: BarClosed,
    view: CandleView,
    conditions: ConditionCache,
    hedges: HedgeLookup | None = None,
) -> BarCheck:
    """The bars `rule` reads at this close (call on the event loop, right when the bar closed)."""
    trigger = rule.trigger
    close_ms = event.candle.open_time + timeframe_ms(event.timeframe)
    bars: dict[tuple[str, str], tuple[Candle, ...]] = {}
    compiled: CompiledStrategy | None = None

    def take(symbol: str, timeframe: str, limit: int) -> None:
        step = timeframe_ms(timeframe)
        bars[symbol, timeframe] = tuple(
            c for c in view.candles(symbol, timeframe, limit + 1) if c.closed and c.open_time + step <= close_ms
        )[-limit:]

    if isinstance(trigger, ChangeTrigger):
        take(rule.symbol, "1m", trigger.window_ms // 60_000 + 2)
    elif isinstance(trigger, VolumeSpikeTrigger):
        take(rule.symbol, rule.timeframe, trigger.bars + 1)
    elif isinstance(trigger, ZScoreTrigger):
        take(rule.symbol, rule.timeframe, ZSCORE_BARS)
        take(trigger.other, rule.timeframe, ZSCORE_BARS)
    elif isinstance(trigger, ConditionTrigger):
        compiled = conditions.get(rule)
        base_ms = timeframe_ms(rule.timeframe)
        for timeframe in compiled.timeframes_needed:
            ratio = max(1, timeframe_ms(timeframe) // base_ms)
            take(rule.symbol, timeframe, bars_needed(compiled) // ratio + 2)
    return BarCheck(rule, event, close_ms, bars, compiled, hedges if isinstance(trigger, ZScoreTrigger) else None)


def _frame(candles: tuple[Candle, ...]) -> pd.DataFrame:
    index = pd.Index(np.array([c.open_time for c in candles], dtype=np.int64), name="open_time")
    data = np.array([[c.open, c.high, c.low, c.close, c.volume] for c in candles], dtype=np.float64).reshape(-1, 5)
    return pd.DataFrame(data, index=index, columns=_COLUMNS)


def read_bar_check(check: BarCheck) -> BarReading:
    """Evaluate one copied check (in the worker thread)."""
    rule, trigger = check.rule, check.rule.trigger
    if isinstance(trigger, ChangeTrigger):
        candles = check.bars[rule.symbol, "1m"]
        times = np.array([c.open_time for c in candles], dtype=np.int64)
        closes = np.array([c.close for c in candles], dtype=np.float64)
        change = percent_change(times, closes, trigger.window_ms)
        return BarReading(in_band(trigger.op, change, trigger.percent), _finite(change), _named("change_pct", change))
    if isinstance(trigger, VolumeSpikeTrigger):
        volumes = np.array([c.volume for c in check.bars[rule.symbol, rule.timeframe]], dtype=np.float64)
        ratio = volume_ratio(volumes, trigger.bars)
        holds = math.isfinite(ratio) and ratio >= trigger.factor
        return BarReading(holds, _finite(ratio), _named("volume_ratio", ratio))
    if isinstance(trigger, ZScoreTrigger):
        y = check.bars[rule.symbol, rule.timeframe]
        x = check.bars[trigger.other, rule.timeframe]
        hedge = check.hedges(rule.symbol, trigger.other) if check.hedges is not None else None
        if hedge is not None:  # the screen's hedge, as the watched pair shows it: the last bar both legs have
            closes_x = {c.open_time: c.close for c in x}
            both = [(c.close, closes_x[c.open_time]) for c in y if c.open_time in closes_x]
            z = hedged_zscore(both[-1][0], both[-1][1], hedge) if both else math.nan
            return BarReading(in_band(trigger.op, z, trigger.band), _finite(z), _named("zscore", z))
        z = pair_zscore(
            np.array([c.open_time for c in y], dtype=np.int64),
            np.array([c.close for c in y], dtype=np.float64),
            np.array([c.open_time for c in x], dtype=np.int64),
            np.array([c.close for c in x], dtype=np.float64),
        )
        return BarReading(in_band(trigger.op, z, trigger.band), _finite(z), _named("zscore", z))
    if isinstance(trigger, ConditionTrigger):
        assert check.compiled is not None
        frames = {tf: _frame(candles) for (_, tf), candles in check.bars.items() if candles}
        if rule.timeframe not in frames or frames[rule.timeframe].index[-1] != check.event.candle.open_time:
            return BarReading(False, None, {})
        reading = read_condition(check.compiled, frames)
        first = next(iter(reading.values.values()), None)
        return BarReading(reading.holds, first, reading.values)
    return BarReading(False, None, {})


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _named(name: str, value: float) -> dict[str, float]:
    return {name: value} if math.isfinite(value) else {}
