"""Evaluation of compiled expression trees over whole candle series.

A numeric expression yields a float array (NaN while warming up). A condition yields a `Truth`: its value and
whether that value is known. Logic is three-valued (Kleene): `unknown and false` is false, `unknown or true`
is true, `not unknown` is unknown. A condition passes only where it is known and true, so warm-up bars never
fire, and `not x` passes exactly where `x` is known and false.

Every (sub-expression, timeframe) pair is computed once per evaluation, so `ema(200)` used by three terms and
by the stop level costs one EMA.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from cryptoterm.domain.indicators import BoolArray, FloatArray
from cryptoterm.domain.regime import UNKNOWN
from cryptoterm.domain.strategy.frames import (
    Bars,
    IntArray,
    align_bool,
    align_float,
    resample_ohlcv,
    visible_positions,
)
from cryptoterm.domain.strategy.functions import FUNCTIONS, Outputs
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
)


class Truth(NamedTuple):
    """A condition over bars: `value` where `known`; `passed` is what a signal uses."""

    value: BoolArray
    known: BoolArray

    @property
    def passed(self) -> BoolArray:
        result: BoolArray = self.value & self.known
        return result


Value = FloatArray | Truth


def _shift_float(values: FloatArray, bars: int) -> FloatArray:
    out = np.full(values.shape, np.nan)
    if bars < values.size:
        out[bars:] = values[: values.size - bars]
    return out


def _shift_bool(values: BoolArray, bars: int) -> BoolArray:
    out = np.zeros(values.shape, dtype=np.bool_)
    if bars < values.size:
        out[bars:] = values[: values.size - bars]
    return out


def _known(*arrays: FloatArray) -> BoolArray:
    known = ~np.isnan(arrays[0])
    for array in arrays[1:]:
        known &= ~np.isnan(array)
    return known


_COMPARE = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}


class Evaluator:
    """Evaluates compiled nodes over one symbol's frames, caching every (sub-expression, timeframe) result.

    One evaluator may serve every strategy whose timeframe is `base_tf` on the same frames: indicators they
    share (rsi(14), atr(14), …) are then computed once per symbol instead of once per strategy. Higher
    timeframes missing from `frames` are resampled from the base frame on first use. `regime` holds one
    label per base bar.
    """

    def __init__(
        self,
        frames: Mapping[str, pd.DataFrame],
        base_tf: str,
        regime: npt.NDArray[np.str_] | None = None,
    ) -> None:
        if base_tf not in frames:
            have = ", ".join(sorted(frames)) or "none"
            raise ValueError(f"no {base_tf} frame given (the strategy's timeframe); frames given: {have}")
        self.frames = frames
        self.base_tf = base_tf
        self.regime = regime
        self._bars: dict[str, Bars] = {}
        self._cache: dict[tuple[Node, str], Value] = {}
        self._families: dict[tuple[str, Node | None, tuple[float, ...], str], Outputs] = {}
        self._positions: dict[tuple[str, str], IntArray] = {}

    def bars(self, tf: str) -> Bars:
        """Candles of `tf` as arrays: the supplied frame, or the base frame resampled."""
        found = self._bars.get(tf)
        if found is None:
            frame = self.frames.get(tf)
            if frame is None:
                frame = resample_ohlcv(self.frames[self.base_tf], tf, source_timeframe=self.base_tf)
            found = Bars.from_frame(frame, tf)
            self._bars[tf] = found
        return found

    def number(self, node: Node, tf: str) -> FloatArray:
        value = self.value(node, tf)
        assert not isinstance(value, Truth), "compiler guarantees a number here"
        return value

    def truth(self, node: Node, tf: str) -> Truth:
        value = self.value(node, tf)
        assert isinstance(value, Truth), "compiler guarantees a condition here"
        return value

    def value(self, node: Node, tf: str) -> Value:
        key = (node, tf)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._compute(node, tf)
            self._cache[key] = cached
        return cached

    def positions(self, higher_tf: str, tf: str) -> IntArray:
        key = (higher_tf, tf)
        found = self._positions.get(key)
        if found is None:
            found = visible_positions(self.bars(higher_tf).index, higher_tf, self.bars(tf).index, tf)
            self._positions[key] = found
        return found

    def _compute(self, node: Node, tf: str) -> Value:
        bars = self.bars(tf)
        match node:
            case Number(value=value):
                return np.full(len(bars), value)
            case SeriesRef(name=name):
                return bars.series(name)
            case Negate(operand=operand):
                result: FloatArray = -self.number(operand, tf)
                return result
            case Arithmetic(op=op, left=left, right=right):
                return self._arithmetic(op, self.number(left, tf), self.number(right, tf))
            case Compare(op=op, left=left, right=right):
                a, b = self.number(left, tf), self.number(right, tf)
                return Truth(_COMPARE[op](a, b), _known(a, b))
            case Logical(op=op, left=left, right=right):
                x, y = self.truth(left, tf), self.truth(right, tf)
                if op == "and":
                    known = (x.known & y.known) | (x.known & ~x.value) | (y.known & ~y.value)
                    return Truth(x.value & y.value, known)
                known = (x.known & y.known) | x.passed | y.passed
                return Truth(x.passed | y.passed, known)
            case Not(operand=operand):
                inner = self.truth(operand, tf)
                return Truth(~inner.value, inner.known)
            case Offset(operand=operand, bars=shift):
                inner_value = self.value(operand, tf)
                if isinstance(inner_value, Truth):
                    return Truth(_shift_bool(inner_value.value, shift), _shift_bool(inner_value.known, shift))
                return _shift_float(inner_value, shift)
            case AtTimeframe(operand=operand, timeframe=higher):
                positions = self.positions(higher, tf)
                inner_value = self.value(operand, higher)
                if isinstance(inner_value, Truth):
                    return Truth(align_bool(inner_value.value, positions), align_bool(inner_value.known, positions))
                return align_float(inner_value, positions)
            case RegimeIs(labels=labels, negate=negate):
                return self._regime(labels, negate, len(bars))
            case Call(name=name, args=args):
                return self._call(name, args, tf)
        raise AssertionError(f"unhandled node {node!r}")

    @staticmethod
    def _arithmetic(op: str, a: FloatArray, b: FloatArray) -> FloatArray:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if op == "+":
                result: FloatArray = a + b
            elif op == "-":
                result = a - b
            elif op == "*":
                result = a * b
            else:
                result = a / b
                result[~np.isfinite(result)] = np.nan
        return result

    def _regime(self, labels: tuple[str, ...], negate: bool, size: int) -> Truth:
        if self.regime is None:
            raise ValueError("this strategy tests the market regime but no regime labels were given")
        regime = np.asarray(self.regime)
        if regime.shape != (size,):
            raise ValueError(f"{regime.size} regime labels for {size} bars of {self.base_tf}")
        hit = np.isin(regime, labels)
        return Truth(~hit if negate else hit, regime != UNKNOWN)

    def _call(self, name: str, args: tuple[Node, ...], tf: str) -> Value:
        if name in ("crosses_above", "crosses_below"):
            a, b = self.number(args[0], tf), self.number(args[1], tf)
            pa, pb = _shift_float(a, 1), _shift_float(b, 1)
            if name == "crosses_above":
                return Truth((a > b) & (pa <= pb), _known(a, b, pa, pb))
            return Truth((a < b) & (pa >= pb), _known(a, b, pa, pb))
        spec = FUNCTIONS[name]
        source: Node | None = None
        params = args
        if spec.source is not None:
            source, params = args[0], args[1:]
        constants = tuple(p.value for p in params if isinstance(p, Number))
        key = (spec.family, source, constants, tf)
        outputs = self._families.get(key)
        if outputs is None:
            bars = self.bars(tf)
            source_values = bars.close if source is None else self.number(source, tf)
            outputs = spec.compute(bars, source_values, constants)
            self._families[key] = outputs
        result = outputs[spec.output]
        if spec.kind == "boolean":
            flags = np.asarray(result, dtype=np.bool_)
            known = np.ones(flags.shape, dtype=np.bool_)
            known[: spec.warmup(()) - 1] = False
            return Truth(flags, known)
        return np.asarray(result, dtype=np.float64)
