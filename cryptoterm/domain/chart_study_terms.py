"""Chart studies as terms: which indicators a candle chart can draw, parsed from the strategy language.

A study is one term of the grammar strategies use (`cryptoterm.domain.strategy.parser`), restricted to what a
chart can draw: moving averages and bands over the price (`ema`, `sma`, `bb`), and the lower panels `volume`,
`rsi(n)` and `macd(fast, slow, signal)`. Parameters default as in the strategy language (`rsi` is `rsi(14)`).
Kept free of numpy: the config is checked with it before anything else loads (the values are in
`chart_studies`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from cryptoterm.domain.strategy.errors import ExpressionError
from cryptoterm.domain.strategy.nodes import Call, Number, SeriesRef
from cryptoterm.domain.strategy.parser import parse_expression

Panel = Literal["price", "volume", "rsi", "macd"]

#: Study name → (panel, parameter names, defaults; None: required). Aliases map to these names.
_STUDIES: dict[str, tuple[Panel, tuple[str, ...], tuple[float | None, ...]]] = {
    "ema": ("price", ("period",), (None,)),
    "sma": ("price", ("period",), (None,)),
    "bb": ("price", ("period", "deviations"), (20, 2.0)),
    "rsi": ("rsi", ("period",), (14,)),
    "macd": ("macd", ("fast", "slow", "signal"), (12, 26, 9)),
}
_ALIASES = {"bollinger": "bb"}
#: Longest period a study may use: far beyond any chart's width, small enough to keep warm-up fetches cheap.
MAX_PERIOD = 1000
MAX_DEVIATIONS = 10.0
KNOWN = "ema(n), sma(n), bb(n, k), volume, rsi(n), macd(fast, slow, signal)"


class StudyError(ValueError):
    """A study term the chart cannot draw; the message says what was wrong and what is allowed."""


@dataclass(frozen=True, slots=True)
class Study:
    """One parsed study: its canonical text (`ema(21)`, `bb(20, 2)`), name, panel and parameters."""

    text: str
    name: str
    panel: Panel
    params: tuple[float, ...]

    @property
    def warmup(self) -> int:
        """Bars before the first shown one that settle its values (recursive averages: 3 spans, Wilder: 6)."""
        p = [int(v) for v in self.params]
        if self.name == "ema":
            return 3 * p[0]
        if self.name == "rsi":
            return 6 * p[0]
        if self.name == "macd":
            return 3 * (max(p[0], p[1]) + p[2])
        if self.name in ("sma", "bb"):
            return p[0]
        return 0


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def parse_study(text: str) -> Study:
    """Parse one study term; raises StudyError naming what is wrong (unknown name, bad parameter)."""
    try:
        node = parse_expression(text)
    except ExpressionError as exc:
        raise StudyError(f"{text!r} is not a study ({exc}); known: {KNOWN}") from None
    if isinstance(node, SeriesRef) and node.name == "volume":
        return Study("volume", "volume", "volume", ())
    if isinstance(node, SeriesRef) and node.name in _STUDIES:
        node = Call(node.name, ())
    name = _ALIASES.get(node.name, node.name) if isinstance(node, Call | SeriesRef) else ""
    if not isinstance(node, Call) or name not in _STUDIES:
        raise StudyError(f"{text!r} is not a chart study; known: {KNOWN}")
    panel, names, defaults = _STUDIES[name]
    if len(node.args) > len(names):
        raise StudyError(f"{text!r}: {name} takes at most {len(names)} parameters ({', '.join(names)})")
    values: list[float] = []
    for i, (param, default) in enumerate(zip(names, defaults, strict=True)):
        if i < len(node.args):
            arg = node.args[i]
            if not isinstance(arg, Number):
                raise StudyError(f"{text!r}: {param} must be a number")
            values.append(float(arg.value))
        elif default is None:
            raise StudyError(f"{text!r}: {name} needs its {param}, e.g. {name}(21)")
        else:
            values.append(float(default))
    for param, value in zip(names, values, strict=True):
        if param == "deviations":
            if not (0.0 < value <= MAX_DEVIATIONS):
                raise StudyError(f"{text!r}: deviations must be above 0 and at most {MAX_DEVIATIONS:g}")
        elif not (math.isfinite(value) and value.is_integer() and 1 <= value <= MAX_PERIOD):
            raise StudyError(f"{text!r}: {param} must be a whole number from 1 to {MAX_PERIOD}")
    if name == "macd" and values[0] >= values[1]:
        raise StudyError(f"{text!r}: macd's fast period must be shorter than its slow one")
    canonical = f"{name}({', '.join(_number(v) for v in values)})"
    return Study(canonical, name, panel, tuple(values))


def parse_studies(texts: list[str]) -> list[Study]:
    """Parse a configured list; the error names the entry (`studies[2]`) and duplicates are refused."""
    studies: list[Study] = []
    for i, text in enumerate(texts):
        try:
            study = parse_study(text)
        except StudyError as exc:
            raise StudyError(f"studies[{i}]: {exc}") from None
        if any(s.text == study.text for s in studies):
            raise StudyError(f"studies[{i}]: {text!r} is listed twice")
        studies.append(study)
    return studies


def study_label(study: Study) -> str:
    """ "EMA 21", "BB 20,2", "RSI 14", "MACD 12/26/9", "Vol": how the chart's title names it."""
    p = [_number(v) for v in study.params]
    if study.name == "volume":
        return "Vol"
    if study.name == "bb":
        return f"BB {','.join(p)}"
    if study.name == "macd":
        return f"MACD {'/'.join(p)}"
    return f"{study.name.upper()} {p[0]}"
