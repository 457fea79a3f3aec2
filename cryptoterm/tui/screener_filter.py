"""The screener's filter line: thresholds on the statistics, typed as `p<0.05 padj<0.1 hl<100 hurst<0.5 corr>0.6`.

Each term is a statistic, a comparison and a number; every term must hold. NaN never passes a threshold (a
pair that could not be tested is not a candidate). Errors name the term and list the statistics.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from cryptoterm.domain.pairs import PairResult

#: Statistic names of the filter line and what they read.
STATISTICS: dict[str, tuple[str, Callable[[PairResult], float]]] = {
    "p": ("Engle-Granger p, y on x", lambda r: r.eg_p),
    "prev": ("Engle-Granger p, x on y", lambda r: r.eg_p_rev),
    "both": ("the larger p of the two directions", lambda r: max(r.eg_p, r.eg_p_rev)),
    "padj": ("Benjamini-Hochberg adjusted p", lambda r: r.p_adj),
    "bonf": ("Bonferroni adjusted p", lambda r: r.p_bonferroni),
    "halves": ("the larger p of the two half windows", lambda r: max(r.eg_p_first_half, r.eg_p_second_half)),
    "hl": ("half-life in bars", lambda r: r.half_life),
    "hurst": ("Hurst exponent of the spread", lambda r: r.hurst),
    "corr": ("correlation of returns", lambda r: r.corr),
    "z": ("|z-score| of the last bar", lambda r: abs(r.zscore)),
    "crossings": ("mean crossings of the spread", lambda r: float(r.crossings)),
}
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
}
_TERM = re.compile(r"^([a-z]+)(<=|>=|<|>)([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)$")


class FilterError(ValueError):
    """A filter line that cannot be read; the message names the term."""


@dataclass(frozen=True, slots=True)
class Threshold:
    name: str
    op: str
    value: float

    def passes(self, result: PairResult) -> bool:
        actual = STATISTICS[self.name][1](result)
        return not math.isnan(actual) and _OPERATORS[self.op](actual, self.value)

    def __str__(self) -> str:
        return f"{self.name}{self.op}{self.value:g}"


@dataclass(frozen=True, slots=True)
class PairFilter:
    """Every threshold must hold; no thresholds pass every pair."""

    thresholds: tuple[Threshold, ...] = ()

    def passes(self, result: PairResult) -> bool:
        return all(t.passes(result) for t in self.thresholds)

    def __str__(self) -> str:
        return " ".join(str(t) for t in self.thresholds)


def parse_filter(text: str) -> PairFilter:
    """`PairFilter` from a filter line (blank: no filter); `FilterError` names the first bad term."""
    thresholds = []
    for term in text.replace(",", " ").lower().split():
        match = _TERM.match(term)
        if match is None:
            raise FilterError(f"{term!r}: expected a statistic, <, <=, > or >= and a number, e.g. p<0.05")
        name, op, number = match.groups()
        if name not in STATISTICS:
            raise FilterError(f"{term!r}: unknown statistic {name!r}; one of {', '.join(STATISTICS)}")
        thresholds.append(Threshold(name, op, float(number)))
    return PairFilter(tuple(thresholds))
