"""The function table of the strategy language: every indicator, pattern and helper a strategy may call.

Each entry says what it returns (a number series or a true/false series), whether it reads a source series
(`ema(200)` reads close, `ema(hl2, 50)` reads hl2, `highest(20)` reads high), its constant parameters with
defaults, how to compute it from `Bars`, and how many bars of history it needs before its values are settled.
Recursive averages (EMA, Wilder) never fully forget their start, so their warm-up is a convergence horizon:
after it the seed's weight is below e^-6 (0.25 %): 3·n bars for an EMA, 6·n for Wilder's smoothing.

Multi-output indicators are families (`macd`, `macd.signal`, `macd.hist`) sharing one computation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from cryptoterm.domain import indicators as ind
from cryptoterm.domain.indicators import BoolArray, FloatArray
from cryptoterm.domain.strategy.frames import Bars

Kind = Literal["number", "boolean"]
Outputs = tuple[FloatArray, ...] | tuple[BoolArray, ...]
Compute = Callable[[Bars, FloatArray, tuple[float, ...]], Outputs]


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    default: float | None = None
    integer: bool = True


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    name: str
    family: str
    output: int
    kind: Kind
    source: str | None
    params: tuple[Param, ...]
    compute: Compute
    warmup: Callable[[tuple[int, ...]], int]

    @property
    def usage(self) -> str:
        """How to call it, e.g. `ema(period)` or `ema(source, period)`."""
        names = [p.name if p.default is None else f"{p.name}={p.default:g}" for p in self.params]
        plain = f"{self.name}({', '.join(names)})" if names or self.kind == "number" else self.name
        if self.source is None:
            return plain
        return f"{plain} or {self.name}({', '.join(['source', *names])})"


def _p(values: tuple[float, ...], i: int) -> int:
    return int(values[i])


def _macd(b: Bars, src: FloatArray, p: tuple[float, ...]) -> Outputs:
    return tuple(ind.macd(src, _p(p, 0), _p(p, 1), _p(p, 2)))


def _bb(b: Bars, src: FloatArray, p: tuple[float, ...]) -> Outputs:
    bands = ind.bollinger(src, _p(p, 0), p[1])
    return (bands.mid, bands.upper, bands.lower, bands.width)


def _adx(b: Bars, src: FloatArray, p: tuple[float, ...]) -> Outputs:
    return tuple(ind.adx(b.high, b.low, b.close, _p(p, 0)))


def _stoch(b: Bars, src: FloatArray, p: tuple[float, ...]) -> Outputs:
    return tuple(ind.stochastic(b.high, b.low, b.close, _p(p, 0), _p(p, 1)))


def _pattern(kernel: Callable[[FloatArray, FloatArray, FloatArray, FloatArray], BoolArray]) -> Compute:
    def compute(b: Bars, src: FloatArray, p: tuple[float, ...]) -> Outputs:
        return (kernel(b.open, b.high, b.low, b.close),)

    return compute


def _build() -> dict[str, FunctionSpec]:
    table: dict[str, FunctionSpec] = {}

    def add(
        names: tuple[str, ...],
        kind: Kind,
        source: str | None,
        params: tuple[Param, ...],
        compute: Compute,
        warmup: Callable[[tuple[int, ...]], int],
    ) -> None:
        family = names[0]
        for output, name in enumerate(names):
            table[name] = FunctionSpec(name, family, output, kind, source, params, compute, warmup)

    period = Param("period")
    add(("sma",), "number", "close", (period,), lambda b, s, p: (ind.sma(s, _p(p, 0)),), lambda p: p[0])
    add(("ema",), "number", "close", (period,), lambda b, s, p: (ind.ema(s, _p(p, 0)),), lambda p: 3 * p[0])
    add(
        ("volume_sma",),
        "number",
        "volume",
        (period,),
        lambda b, s, p: (ind.volume_sma(s, _p(p, 0)),),
        lambda p: p[0],
    )
    add(
        ("rsi",),
        "number",
        "close",
        (Param("period", 14),),
        lambda b, s, p: (ind.rsi(s, _p(p, 0)),),
        lambda p: 6 * p[0],
    )
    add(
        ("macd", "macd.signal", "macd.hist"),
        "number",
        "close",
        (Param("fast", 12), Param("slow", 26), Param("signal", 9)),
        _macd,
        lambda p: 3 * (max(p[0], p[1]) + p[2]),
    )
    add(
        ("bb.mid", "bb.upper", "bb.lower", "bb.width"),
        "number",
        "close",
        (Param("period", 20), Param("deviations", 2.0, integer=False)),
        _bb,
        lambda p: p[0],
    )
    add(
        ("atr",),
        "number",
        None,
        (Param("period", 14),),
        lambda b, s, p: (ind.atr(b.high, b.low, b.close, _p(p, 0)),),
        lambda p: 6 * p[0],
    )
    add(("adx", "adx.plus_di", "adx.minus_di"), "number", None, (Param("period", 14),), _adx, lambda p: 8 * p[0])
    add(
        ("stoch.k", "stoch.d"),
        "number",
        None,
        (Param("period", 14), Param("smooth", 3)),
        _stoch,
        lambda p: p[0] + p[1],
    )
    add(
        ("vwap",),
        "number",
        None,
        (Param("period", 14),),
        lambda b, s, p: (ind.vwap(b.high, b.low, b.close, b.volume, _p(p, 0)),),
        lambda p: p[0],
    )
    add(("obv",), "number", None, (), lambda b, s, p: (ind.obv(b.close, b.volume),), lambda p: 1)
    add(("highest",), "number", "high", (period,), lambda b, s, p: (ind.highest(s, _p(p, 0)),), lambda p: p[0])
    add(("lowest",), "number", "low", (period,), lambda b, s, p: (ind.lowest(s, _p(p, 0)),), lambda p: p[0])
    add(("bullish_engulfing",), "boolean", None, (), _pattern(ind.bullish_engulfing), lambda p: 2)
    add(("bearish_engulfing",), "boolean", None, (), _pattern(ind.bearish_engulfing), lambda p: 2)
    add(("hammer",), "boolean", None, (), _pattern(ind.hammer), lambda p: 1)
    add(("shooting_star",), "boolean", None, (), _pattern(ind.shooting_star), lambda p: 1)
    add(("doji",), "boolean", None, (), _pattern(ind.doji), lambda p: 1)
    return table


#: Every callable name, canonical spelling → spec.
FUNCTIONS: dict[str, FunctionSpec] = _build()
#: Other spellings accepted for the same function.
ALIASES: dict[str, str] = {
    "macd.line": "macd",
    "bb": "bb.mid",
    "bollinger": "bb.mid",
    "bollinger.upper": "bb.upper",
    "bollinger.mid": "bb.mid",
    "bollinger.lower": "bb.lower",
    "bollinger.width": "bb.width",
    "stoch": "stoch.k",
    "adx.adx": "adx",
}
#: Helpers with their own evaluation rules (not in FUNCTIONS): crossing tests and `prev(x, n)`.
HELPERS = ("crosses_above", "crosses_below", "prev")
