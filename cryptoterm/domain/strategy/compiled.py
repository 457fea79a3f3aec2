"""A compiled strategy: its conditions and levels, evaluated over whole candle series.

`compile_strategy(cfg)` checks everything up front; `CompiledStrategy.evaluate(frames, regime)` returns the
signal as a boolean array over every base bar (the scanner reads the last closed bar, a backtester the whole
array, so they can never disagree) plus each term's pass array and the values behind it for display.
Conditions combine as: every `when` term, and at least one `any` term (when there are any), and no `not` term.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from cryptoterm.domain.default_levels import DEFAULT_ENTRY, DEFAULT_STOP, DEFAULT_TARGETS
from cryptoterm.domain.indicators import BoolArray, FloatArray
from cryptoterm.domain.strategy.compiler import (
    CompiledTerm,
    LevelsSpec,
    Section,
    StrategyCompiler,
    StrategySpec,
    display,
    parse_expires,
    values_of,
)
from cryptoterm.domain.strategy.errors import ExpressionError, LevelsError
from cryptoterm.domain.strategy.evaluate import Evaluator
from cryptoterm.domain.strategy.frames import IntArray
from cryptoterm.domain.strategy.nodes import Node
from cryptoterm.domain.strategy.params import ParamError, check_params, fill
from cryptoterm.domain.timeframes import TIMEFRAMES

RegimeLabels = npt.NDArray[np.str_]


class TermResult(NamedTuple):
    """One condition over every base bar: where it passed and the numbers it compared (label → values)."""

    text: str
    passed: BoolArray
    values: dict[str, FloatArray]
    section: Section = "when"


class Evaluation(NamedTuple):
    """A strategy over every base bar: `signal[i]` is True where all conditions held at bar i's close.

    `open_time` is the base frame's index (epoch ms), so a UI can label any bar.
    """

    signal: BoolArray
    terms: list[TermResult]
    open_time: IntArray
    #: Where every `exit` term held at the bar's close (None when the strategy has none).
    exit_signal: BoolArray | None = None


class Levels(NamedTuple):
    """Prices for a setup at one bar. `entry_zone` is the far edge of the entry zone when configured."""

    entry: float
    stop: float
    targets: tuple[float, ...]
    entry_zone: float | None = None


class LevelSeries(NamedTuple):
    """Levels at every base bar (NaN while warming up), for a backtester."""

    entry: FloatArray
    stop: FloatArray
    targets: tuple[FloatArray, ...]
    entry_zone: FloatArray | None


@dataclass(frozen=True, eq=False)
class CompiledStrategy:
    """A checked strategy; build it with `compile_strategy`."""

    name: str
    config: StrategySpec
    timeframe: str
    direction: str
    timeframes_needed: frozenset[str]
    warmup_bars: int
    expires_bars: int
    uses_regime: bool
    terms: tuple[CompiledTerm, ...]
    #: None for a strategy without levels (it exits on its `exit` terms; a backtest enters at the next open).
    entry: Node | None
    stop: Node | None
    targets: tuple[float | Node, ...]
    entry_zone: Node | None
    #: Terms that close a position at the next bar's open once they all hold.
    exit_terms: tuple[CompiledTerm, ...] = ()

    @property
    def has_levels(self) -> bool:
        """Whether the strategy names an entry and a stop (a setup needs both)."""
        return self.entry is not None and self.stop is not None

    def evaluator(self, frames: Mapping[str, pd.DataFrame], regime: RegimeLabels | None = None) -> Evaluator:
        """An evaluator over `frames`; share it between strategies of the same timeframe on one symbol."""
        return Evaluator(frames, self.timeframe, regime)

    def evaluate(
        self,
        frames: Mapping[str, pd.DataFrame],
        regime: RegimeLabels | None = None,
        *,
        evaluator: Evaluator | None = None,
    ) -> Evaluation:
        """The signal and every term over all bars of `frames[self.timeframe]`.

        `frames` maps timeframe → DataFrame indexed by open_time (ms) with open/high/low/close/volume;
        higher timeframes that are not supplied are resampled from the base frame. `regime` gives a label
        per base bar (see `regime.align`) and is required when the strategy tests the regime. Pass an
        `evaluator` (built on the same frames and regime) to share indicators between strategies and with
        `levels_at`; `frames` and `regime` are then ignored.
        """
        ev = evaluator or self.evaluator(frames, regime)
        if ev.base_tf != self.timeframe:
            raise ValueError(f"evaluator is for {ev.base_tf} bars but strategy {self.name!r} runs on {self.timeframe}")
        base = ev.bars(self.timeframe)
        size = len(base)
        signal = np.ones(size, dtype=np.bool_)
        any_hit = np.zeros(size, dtype=np.bool_)
        results: list[TermResult] = []
        for term in self.terms:
            truth = ev.truth(term.node, self.timeframe)
            passed = truth.passed if term.section != "not" else (~truth.value & truth.known)
            values = {display(node): ev.number(node, self.timeframe) for node in term.values}
            results.append(TermResult(term.text, passed, values, term.section))
            if term.section == "any":
                any_hit |= passed
            else:
                signal &= passed
        if any(term.section == "any" for term in self.terms):
            signal &= any_hit
        exit_signal: BoolArray | None = None
        if self.exit_terms:
            exit_signal = np.ones(size, dtype=np.bool_)
            for term in self.exit_terms:
                passed = ev.truth(term.node, self.timeframe).passed
                values = {display(node): ev.number(node, self.timeframe) for node in term.values}
                results.append(TermResult(term.text, passed, values, term.section))
                exit_signal &= passed
        return Evaluation(signal, results, base.index, exit_signal)

    def levels_series(self, frames: Mapping[str, pd.DataFrame], *, evaluator: Evaluator | None = None) -> LevelSeries:
        """Entry, stop, targets (and zone edge) at every base bar; R targets are entry + k·(entry − stop)."""
        if self.entry is None or self.stop is None:
            raise LevelsError(f'strategy "{self.name}" has no levels (it closes on its exit terms)')
        ev = evaluator or self.evaluator(frames)
        entry = ev.number(self.entry, self.timeframe)
        stop = ev.number(self.stop, self.timeframe)
        targets = tuple(
            entry + target * (entry - stop) if isinstance(target, float) else ev.number(target, self.timeframe)
            for target in self.targets
        )
        zone = None if self.entry_zone is None else ev.number(self.entry_zone, self.timeframe)
        return LevelSeries(entry, stop, targets, zone)

    def levels_at(
        self, frames: Mapping[str, pd.DataFrame], index: int, *, evaluator: Evaluator | None = None
    ) -> Levels:
        """Levels at base bar `index` (negative counts from the end); see `levels_at_bar`."""
        series = self.levels_series(frames, evaluator=evaluator)
        return levels_at_bar(series, index, strategy=self.name, direction=self.direction, warmup=self.warmup_bars)


def levels_at_bar(series: LevelSeries, index: int, *, strategy: str, direction: str, warmup: int) -> Levels:
    """The levels of `series` at bar `index` (negative counts from the end), checked.

    Raises LevelsError when they are not known yet (warm-up) or make no sense for the direction (a long's stop
    at or above its entry, a target on the wrong side of the entry). The scanner's last bar, its lookback and
    the backtester all read levels through here, so they refuse the same bars with the same words.
    """
    size = series.entry.size
    if not -size <= index < size:
        raise LevelsError(f'strategy "{strategy}": bar {index} is outside the {size} bars given')
    entry, stop = float(series.entry[index]), float(series.stop[index])
    targets = tuple(float(t[index]) for t in series.targets)
    zone = None if series.entry_zone is None else float(series.entry_zone[index])
    if not all(np.isfinite([entry, stop, *targets, *([] if zone is None else [zone])])):
        raise LevelsError(
            f'strategy "{strategy}": levels are not known at bar {index} '
            f"(entry={entry:g} stop={stop:g}; indicators need about {warmup} bars)"
        )
    sign = 1.0 if direction == "long" else -1.0
    side = "below" if sign > 0 else "above"
    if not sign * (entry - stop) > 0:
        raise LevelsError(f'strategy "{strategy}": stop {stop:g} is not {side} entry {entry:g} for a {direction}')
    for k, target in enumerate(targets):
        if not sign * (target - entry) > 0:
            raise LevelsError(
                f'strategy "{strategy}": target {k + 1} ({target:g}) is not '
                f"{'above' if sign > 0 else 'below'} entry {entry:g} for a {direction}"
            )
    return Levels(entry, stop, targets, zone)


def compile_strategy(cfg: StrategySpec) -> CompiledStrategy:
    """Check and compile one strategy config; raises StrategyError naming file, strategy and term."""
    compiler = StrategyCompiler(cfg)
    if cfg.timeframe not in TIMEFRAMES:
        raise compiler.wrap(
            "timeframe",
            ExpressionError(f'"{cfg.timeframe}" is not a timeframe; timeframes are {", ".join(TIMEFRAMES)}'),
        )
    if cfg.direction not in ("long", "short"):
        raise compiler.wrap("direction", ExpressionError(f'"{cfg.direction}" must be "long" or "short"'))
    values = dict(cfg.params)

    def filled(where: str, text: str) -> str:
        try:
            return fill(text, values)
        except ParamError as error:
            raise compiler.wrap(where, ExpressionError(str(error))) from None

    def filled_all(section: str, texts: Sequence[str]) -> tuple[str, ...]:
        return tuple(filled(f"{section}[{i}]", text) for i, text in enumerate(texts))

    every_text = [*cfg.when, *cfg.any, *cfg.not_, *cfg.exit]
    if cfg.levels is not None:
        every_text += [cfg.levels.entry, cfg.levels.stop, *cfg.levels.targets, cfg.levels.entry_zone]
    try:
        check_params(every_text, values)
    except ParamError as error:
        raise compiler.wrap("params", ExpressionError(str(error))) from None
    sections: tuple[tuple[Section, tuple[str, ...]], ...] = (
        ("when", filled_all("when", cfg.when)),
        ("any", filled_all("any", cfg.any)),
        ("not", filled_all("not", cfg.not_)),
    )
    if not any(texts for _, texts in sections):
        raise compiler.wrap("when", ExpressionError("no conditions (when, any and not are all empty)"))
    terms: list[CompiledTerm] = []
    warmup = 1
    for section, texts in sections:
        for i, text in enumerate(texts):
            checked = compiler.expression(f"{section}[{i}]", text, "boolean")
            terms.append(CompiledTerm(section, i, text, checked.node, tuple(values_of(checked.node))))
            warmup = max(warmup, checked.warmup)
    exit_terms: list[CompiledTerm] = []
    for i, text in enumerate(filled_all("exit", cfg.exit)):
        checked = compiler.expression(f"exit[{i}]", text, "boolean")
        exit_terms.append(CompiledTerm("exit", i, text, checked.node, tuple(values_of(checked.node))))
        warmup = max(warmup, checked.warmup)
    levels: LevelsSpec | None = cfg.levels
    if levels is None and not cfg.exit:
        levels = _DefaultLevels()
    if levels is not None:
        levels = _FilledLevels(
            filled("levels.entry", levels.entry),
            filled("levels.stop", levels.stop),
            tuple(filled(f"levels.targets[{i}]", t) for i, t in enumerate(levels.targets)),
            filled("levels.entry_zone", levels.entry_zone),
        )
    entry_node: Node | None = None
    stop_node: Node | None = None
    targets: list[float | Node] = []
    zone: Node | None = None
    if levels is not None:
        entry = compiler.expression("levels.entry", levels.entry, "number")
        stop = compiler.expression("levels.stop", levels.stop, "number")
        entry_node, stop_node = entry.node, stop.node
        warmup = max(warmup, entry.warmup, stop.warmup)
        for i, text in enumerate(levels.targets):
            r_multiple = _r_multiple(text)
            if r_multiple is None and _WORD_AFTER_NUMBER.match(text):
                raise compiler.wrap(
                    f"levels.targets[{i}]",
                    ExpressionError(f'"{text}" is not a target; write an R multiple ("2R") or a price expression'),
                )
            if r_multiple is not None:
                if not r_multiple > 0:
                    raise compiler.wrap(
                        f"levels.targets[{i}]", ExpressionError(f'"{text}": R multiple must be above 0')
                    )
                targets.append(r_multiple)
                continue
            target = compiler.expression(f"levels.targets[{i}]", text, "number")
            targets.append(target.node)
            warmup = max(warmup, target.warmup)
        if levels.entry_zone.strip():
            checked_zone = compiler.expression("levels.entry_zone", levels.entry_zone, "number")
            zone = checked_zone.node
            warmup = max(warmup, checked_zone.warmup)
    try:
        expires = parse_expires(cfg.expires, cfg.timeframe)
    except ExpressionError as error:
        raise compiler.wrap("expires", error) from None
    return CompiledStrategy(
        name=cfg.name,
        config=cfg,
        timeframe=cfg.timeframe,
        direction=cfg.direction,
        timeframes_needed=frozenset(compiler.checker.timeframes),
        warmup_bars=warmup,
        expires_bars=expires,
        uses_regime=compiler.checker.uses_regime,
        terms=tuple(terms),
        entry=entry_node,
        stop=stop_node,
        targets=tuple(targets),
        entry_zone=zone,
        exit_terms=tuple(exit_terms),
    )


@dataclass(frozen=True, slots=True)
class _FilledLevels:
    """A strategy's levels with its parameters filled in."""

    entry: str
    stop: str
    targets: tuple[str, ...]
    entry_zone: str


class _DefaultLevels:
    """The levels of a strategy that names none and has no exit terms."""

    entry = DEFAULT_ENTRY
    stop = DEFAULT_STOP
    targets = DEFAULT_TARGETS
    entry_zone = ""


_WORD_AFTER_NUMBER = re.compile(r"^\s*[\d.]+\s*[A-Za-z]+\s*$")


def _r_multiple(text: str) -> float | None:
    """2.5 for "2.5R", None when `text` is not an R multiple (then it is an expression)."""
    stripped = text.strip()
    if len(stripped) >= 2 and stripped[-1] in "rR":
        try:
            return float(stripped[:-1])
        except ValueError:
            return None
    return None
