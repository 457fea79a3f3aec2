"""Strategy-language conditions as alerts: compiled by the strategy compiler, read at the bar that closed.

A condition alert is a one-term strategy, so it understands exactly what the scanner understands (`rsi(14) @4h
< 25`, `close crosses_above ema(50)`, `bullish_engulfing`) and fails with the compiler's own words. Its signal
array over the closed bars is computed as for a scan, and the alert reads its last element.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import pandas as pd

from cryptoterm.domain.strategy import CompiledStrategy, StrategyError, compile_strategy


@dataclass(frozen=True, slots=True)
class _Levels:
    """Levels nothing reads (an alert has no entry or stop), chosen to cost one bar of warm-up."""

    entry: str = "close"
    stop: str = "close"
    targets: tuple[str, ...] = ()
    entry_zone: str = ""


@dataclass(frozen=True, slots=True)
class _ConditionSpec:
    """The `StrategySpec` of a one-term strategy."""

    name: str
    timeframe: str
    when: tuple[str, ...]
    direction: str = "long"
    any: tuple[str, ...] = ()
    not_: tuple[str, ...] = ()
    levels: _Levels = field(default_factory=_Levels)
    exit: tuple[str, ...] = ()
    params: Mapping[str, float] = field(default_factory=dict)
    expires: str = "1 bar"
    source: str = ""


class ConditionReading(NamedTuple):
    """Whether the condition held at the last closed bar, and the values it compared there."""

    holds: bool
    values: dict[str, float]


def compile_condition(name: str, text: str, timeframe: str) -> CompiledStrategy:
    """Compile `text` on `timeframe`; `StrategyError` reads `alert "NAME", when: …` with the compiler's reason."""
    try:
        return compile_strategy(_ConditionSpec(name=name, timeframe=timeframe, when=(text,)))
    except StrategyError as exc:
        reason = str(exc).split(", when[0]: ", 1)[-1]
        raise StrategyError(f'alert "{name}", when: {reason}') from None


def read_condition(compiled: CompiledStrategy, frames: Mapping[str, pd.DataFrame]) -> ConditionReading:
    """Evaluate over the closed bars in `frames` (timeframe → frame indexed by open_time) and read the last."""
    base = frames.get(compiled.timeframe)
    if base is None or base.empty:
        return ConditionReading(False, {})
    evaluation = compiled.evaluate(frames)
    holds = bool(evaluation.signal[-1])
    values: dict[str, float] = {}
    for term in evaluation.terms:
        for label, series in term.values.items():
            value = float(series[-1])
            if math.isfinite(value):
                values[label] = value
    return ConditionReading(holds, values)


def bars_needed(compiled: CompiledStrategy) -> int:
    """Closed bars of the rule's timeframe the condition needs to be known (its warm-up, plus one)."""
    return compiled.warmup_bars + 1


def timeframes_needed(compiled: CompiledStrategy) -> Sequence[str]:
    return sorted(compiled.timeframes_needed)
