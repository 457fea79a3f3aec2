"""Compile a strategy config into a `CompiledStrategy`: parse, check, canonicalise, size the warm-up.

Everything that can be wrong with a strategy's text is found here, at load time, and reported as a
`StrategyError` naming the file, the strategy and the term. Evaluation later cannot fail on the text.

Canonicalisation fills in defaults and sources (`ema(200)` → `ema(close, 200)`, `rsi` → `rsi(close, 14)`,
`prev(x, 2)` → `x[2]`), so equal computations share one cache entry however they were written.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from typing import Literal, Protocol

from cryptoterm.domain.strategy.errors import ExpressionError, StrategyError, did_you_mean
from cryptoterm.domain.strategy.functions import ALIASES, FUNCTIONS, HELPERS, FunctionSpec, Kind
from cryptoterm.domain.strategy.nodes import (
    Arithmetic,
    AtTimeframe,
    Call,
    Compare,
    Logical,
    Negate,
    Node,
    Not,
    Number,
    Offset,
    RegimeIs,
    SeriesRef,
    format_node,
)
from cryptoterm.domain.strategy.parser import SERIES_NAMES, parse_expression
from cryptoterm.domain.timeframes import TIMEFRAMES, timeframe_ms

Section = Literal["when", "any", "not", "exit"]


class LevelsSpec(Protocol):
    """The shape of `config.schema.LevelsConfig` (the domain cannot import config, which sits above it)."""

    @property
    def entry(self) -> str: ...
    @property
    def stop(self) -> str: ...
    @property
    def targets(self) -> Sequence[str]: ...
    @property
    def entry_zone(self) -> str: ...


class StrategySpec(Protocol):
    """The shape of `config.schema.StrategyConfig`; any object with these attributes compiles."""

    @property
    def name(self) -> str: ...
    @property
    def timeframe(self) -> str: ...
    @property
    def direction(self) -> str: ...
    @property
    def when(self) -> Sequence[str]: ...
    @property
    def any(self) -> Sequence[str]: ...
    @property
    def not_(self) -> Sequence[str]: ...
    @property
    def levels(self) -> LevelsSpec | None: ...
    @property
    def exit(self) -> Sequence[str]: ...
    @property
    def params(self) -> Mapping[str, float]: ...
    @property
    def expires(self) -> str: ...
    @property
    def source(self) -> str: ...


#: Offsets beyond this many bars are almost certainly typos (and would need absurd history).
MAX_OFFSET = 5000

_EXPIRES = re.compile(r"^\s*(\d+)\s*([A-Za-z]+)\s*$")
_EXPIRES_UNITS = {
    "bar": 0,
    "bars": 0,
    "candle": 0,
    "candles": 0,
    "m": 60_000,
    "min": 60_000,
    "mins": 60_000,
    "minute": 60_000,
    "minutes": 60_000,
    "h": 3_600_000,
    "hour": 3_600_000,
    "hours": 3_600_000,
    "d": 86_400_000,
    "day": 86_400_000,
    "days": 86_400_000,
}


@dataclass(frozen=True, slots=True)
class Checked:
    """A checked, canonical node with its kind and the bars of history (on its timeframe) it needs."""

    node: Node
    kind: Kind
    warmup: int


@dataclass(frozen=True, slots=True)
class CompiledTerm:
    """One entry of `when`, `any`, `not` or `exit`, ready to evaluate; `values` are the numbers worth showing."""

    section: Section
    index: int
    text: str
    node: Node
    values: tuple[Node, ...]


class _Checker:
    """Type-checks one expression against the function table and the strategy's timeframe."""

    def __init__(self, base_tf: str) -> None:
        self.base_tf = base_tf
        self.timeframes: set[str] = {base_tf}
        self.uses_regime = False

    def check(self, node: Node, tf: str) -> Checked:
        match node:
            case Number():
                return Checked(node, "number", 0)
            case SeriesRef():
                return Checked(node, "number", 1)
            case Negate(operand=operand):
                inner = self.expect(operand, tf, "number", "-")
                return Checked(Negate(inner.node, node.column), "number", inner.warmup)
            case Arithmetic(op=op, left=left, right=right):
                a, b = self.expect(left, tf, "number", op), self.expect(right, tf, "number", op)
                return Checked(Arithmetic(op, a.node, b.node, node.column), "number", max(a.warmup, b.warmup))
            case Compare(op=op, left=left, right=right):
                a, b = self.expect(left, tf, "number", op), self.expect(right, tf, "number", op)
                return Checked(Compare(op, a.node, b.node, node.column), "boolean", max(a.warmup, b.warmup))
            case Logical(op=op, left=left, right=right):
                a, b = self.expect(left, tf, "boolean", op), self.expect(right, tf, "boolean", op)
                return Checked(Logical(op, a.node, b.node, node.column), "boolean", max(a.warmup, b.warmup))
            case Not(operand=operand):
                inner = self.expect(operand, tf, "boolean", "not")
                return Checked(Not(inner.node, node.column), "boolean", inner.warmup)
            case Offset(operand=operand, bars=bars):
                return self.offset(self.check(operand, tf), bars, node.column)
            case AtTimeframe(operand=operand, timeframe=higher):
                return self.at_timeframe(operand, higher, tf, node.column)
            case RegimeIs():
                if tf != self.base_tf:
                    raise ExpressionError(
                        f"regime is only known on the strategy's own timeframe ({self.base_tf}), not inside @{tf}",
                        node.column,
                    )
                self.uses_regime = True
                return Checked(node, "boolean", 0)
            case Call():
                return self.call(node, tf)
        raise AssertionError(f"unhandled node {node!r}")

    def expect(self, node: Node, tf: str, kind: Kind, where: str) -> Checked:
        checked = self.check(node, tf)
        if checked.kind != kind:
            text = format_node(checked.node)
            if kind == "number":
                message = f'"{text}" is a condition, but "{where}" needs a number'
            else:
                message = f'"{text}" is a number, but "{where}" needs a condition (e.g. {text} > 0)'
            raise ExpressionError(message, getattr(node, "column", 0))
        return checked

    def offset(self, inner: Checked, bars: int, column: int) -> Checked:
        if bars > MAX_OFFSET:
            raise ExpressionError(f"offset [{bars}] is too far back (at most {MAX_OFFSET} bars)", column)
        if bars == 0:
            return inner
        return Checked(Offset(inner.node, bars, column), inner.kind, inner.warmup + bars)

    def at_timeframe(self, operand: Node, higher: str, tf: str, column: int) -> Checked:
        if higher not in TIMEFRAMES:
            raise ExpressionError(
                f'unknown timeframe "@{higher}"{did_you_mean(higher, TIMEFRAMES)}; '
                f"timeframes are {', '.join(TIMEFRAMES)}",
                column,
            )
        higher_ms, tf_ms = timeframe_ms(higher), timeframe_ms(tf)
        if higher_ms < tf_ms or higher_ms % tf_ms:
            raise ExpressionError(
                f'"@{higher}" must be a multiple of the timeframe it is used on ({tf}); '
                "a term cannot look at shorter bars than the strategy's",
                column,
            )
        inner = self.check(operand, higher)
        if higher == tf:
            return inner
        self.timeframes.add(higher)
        ratio = higher_ms // tf_ms
        return Checked(AtTimeframe(inner.node, higher, column), inner.kind, inner.warmup * ratio + ratio)

    def call(self, node: Call, tf: str) -> Checked:
        name = ALIASES.get(node.name, node.name)
        if name in ("crosses_above", "crosses_below"):
            if len(node.args) != 2:
                raise ExpressionError(f"{name} takes 2 arguments ({name}(a, b)), got {len(node.args)}", node.column)
            a = self.expect(node.args[0], tf, "number", name)
            b = self.expect(node.args[1], tf, "number", name)
            return Checked(Call(name, (a.node, b.node), node.column), "boolean", max(a.warmup, b.warmup) + 1)
        if name == "prev":
            if len(node.args) not in (1, 2):
                raise ExpressionError(
                    f"prev takes 1 or 2 arguments (prev(x) or prev(x, n)), got {len(node.args)}", node.column
                )
            bars = 1
            if len(node.args) == 2:
                arg = node.args[1]
                if not isinstance(arg, Number) or not arg.value.is_integer() or arg.value < 0:
                    raise ExpressionError("prev: n must be a whole number of bars, e.g. prev(close, 3)", node.column)
                bars = int(arg.value)
            return self.offset(self.check(node.args[0], tf), bars, node.column)
        spec = FUNCTIONS.get(name)
        if spec is None:
            if name in SERIES_NAMES:
                raise ExpressionError(f'"{name}" is a price series, not a function; write it without ( )', node.column)
            known = [*FUNCTIONS, *ALIASES, *HELPERS]
            what = "indicator" if node.args or "." in name else "name"
            choices = known if what == "indicator" else [*known, *SERIES_NAMES]
            raise ExpressionError(f'unknown {what} "{node.name}"{did_you_mean(node.name, choices)}', node.column)
        return self.bind(spec, node, tf)

    def bind(self, spec: FunctionSpec, node: Call, tf: str) -> Checked:
        args = list(node.args)
        canonical: list[Node] = []
        warmup = 0
        if spec.source is not None:
            source: Node = SeriesRef(spec.source)
            if args and not isinstance(args[0], Number):
                source = args.pop(0)
            checked = self.expect(source, tf, "number", spec.name)
            canonical.append(checked.node)
            warmup = checked.warmup
        elif args and not isinstance(args[0], Number):
            raise ExpressionError(
                f'{spec.name} reads the bar itself and takes no source series ("{format_node(args[0])}"); '
                f"use {spec.usage}",
                node.column,
            )
        if len(args) > len(spec.params):
            raise ExpressionError(
                f"{spec.name} takes at most {len(spec.params)} number argument(s) ({spec.usage}), got {len(args)}",
                node.column,
            )
        constants: list[int] = []
        for param, arg in zip_longest(spec.params, args):
            if arg is None:
                if param.default is None:
                    raise ExpressionError(f"{spec.name} needs its {param.name} ({spec.usage})", node.column)
                value = float(param.default)
            elif not isinstance(arg, Number):
                raise ExpressionError(
                    f'{spec.name}: {param.name} must be a constant number, got "{format_node(arg)}" ({spec.usage})',
                    getattr(arg, "column", node.column),
                )
            else:
                value = arg.value
            if param.integer and (not value.is_integer() or value < 1):
                raise ExpressionError(
                    f"{spec.name}: {param.name} must be a whole number ≥ 1, got {value:g}", node.column
                )
            if not param.integer and not value > 0:
                raise ExpressionError(f"{spec.name}: {param.name} must be positive, got {value:g}", node.column)
            canonical.append(Number(value))
            constants.append(math.ceil(value))
        warmup += spec.warmup(tuple(constants))
        return Checked(Call(spec.name, tuple(canonical), node.column), spec.kind, warmup)


def display(node: Node) -> str:
    """`node` as a user would write it: canonical, but without a function's default source series."""
    return format_node(_strip_default_sources(node))


def _strip_default_sources(node: Node) -> Node:
    match node:
        case Call(name=name, args=args):
            spec = FUNCTIONS.get(name)
            stripped = tuple(_strip_default_sources(a) for a in args)
            if spec is not None and spec.source is not None and stripped[:1] == (SeriesRef(spec.source),):
                stripped = stripped[1:]
            return Call(name, stripped, node.column)
        case Negate(operand=operand):
            return Negate(_strip_default_sources(operand), node.column)
        case Arithmetic(op=op, left=left, right=right) | Compare(op=op, left=left, right=right):
            return type(node)(op, _strip_default_sources(left), _strip_default_sources(right), node.column)
        case Offset(operand=operand, bars=bars):
            return Offset(_strip_default_sources(operand), bars, node.column)
        case AtTimeframe(operand=operand, timeframe=tf):
            return AtTimeframe(_strip_default_sources(operand), tf, node.column)
    return node


def values_of(node: Node) -> list[Node]:
    """The numeric operands worth showing for a condition, as nodes evaluated on the base timeframe."""
    found: list[Node] = []
    match node:
        case Compare(left=left, right=right):
            found.extend(n for n in (left, right) if not isinstance(n, Number))
        case Call(name="crosses_above" | "crosses_below", args=args):
            found.extend(n for n in args if not isinstance(n, Number))
        case Logical(left=left, right=right):
            found.extend(values_of(left) + values_of(right))
        case Not(operand=operand):
            found.extend(values_of(operand))
        case Offset(operand=operand, bars=bars):
            found.extend(Offset(n, bars) for n in values_of(operand))
        case AtTimeframe(operand=operand, timeframe=tf):
            found.extend(AtTimeframe(n, tf) for n in values_of(operand))
    return list(dict.fromkeys(found))


def parse_expires(text: str, timeframe: str) -> int:
    """`"12 bars"` → 12; `"2d"` / `"48 hours"` → that span in bars of `timeframe` (rounded up)."""
    match = _EXPIRES.match(text)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _EXPIRES_UNITS:
        raise ExpressionError(f'"{text}" is not a duration; write e.g. "12 bars", "3 days" or "48h"')
    count = int(match.group(1))
    if count < 1:
        raise ExpressionError(f'"{text}": a setup must live at least 1 bar')
    unit_ms = _EXPIRES_UNITS[unit]
    return count if unit_ms == 0 else math.ceil(count * unit_ms / timeframe_ms(timeframe))


class StrategyCompiler:
    """Compiles the parts of one strategy, turning every ExpressionError into a located StrategyError."""

    def __init__(self, cfg: StrategySpec) -> None:
        self.cfg = cfg
        self.checker = _Checker(cfg.timeframe)

    def fail(self, where: str, error: ExpressionError, text: str | None) -> StrategyError:
        prefix = f"{self.cfg.source}: " if self.cfg.source else ""
        message = error.message
        if (
            text is not None
            and error.column
            and message.startswith(("expected", "unexpected", "empty", "comparisons", '"@"'))
        ):
            message = f"syntax error at column {error.column}: {message} in {text!r}"
        return StrategyError(f'{prefix}strategy "{self.cfg.name}", {where}: {message}')

    def expression(self, where: str, text: str, kind: Kind) -> Checked:
        try:
            node = parse_expression(text)
        except ExpressionError as error:
            raise self.fail(where, error, text) from None
        try:
            checked = self.checker.check(node, self.cfg.timeframe)
            if checked.kind != kind:
                shown = text.strip()
                if kind == "boolean":
                    message = f'"{shown}" is a number, not a condition (compare it, e.g. "{shown} > 0")'
                else:
                    message = f'"{shown}" is a condition, but a price level is needed'
                raise ExpressionError(message)
        except ExpressionError as error:
            raise self.fail(where, error, text) from None
        return checked

    def wrap(self, where: str, error: ExpressionError) -> StrategyError:
        return self.fail(where, error, None)
