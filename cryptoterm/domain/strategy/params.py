"""Strategy parameters: `{name}` placeholders in a strategy's expressions, filled from its `params` table.

    params = { n = 14, k = 2.0 }
    when = ["rsi({n}) < 30", "close < bb.lower(20, {k})"]

Live scans use the defaults; a backtest sweep fills the same placeholders with every point of a grid, so the
strategy that is swept is exactly the one that runs (no second copy of the rules). A placeholder without a
value, or a parameter no expression uses, is an error naming it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ParamError(ValueError):
    """A placeholder without a value or a value for no placeholder; the message names it."""


def placeholders(texts: Iterable[str]) -> set[str]:
    """Every `{name}` used in `texts`."""
    return {m.group(1) for text in texts for m in _PLACEHOLDER.finditer(text)}


def render(value: float) -> str:
    """A parameter as it appears in an expression: integers without a decimal point (`rsi(14)`, not 14.0)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def fill(text: str, values: Mapping[str, float]) -> str:
    """`text` with each `{name}` replaced by its value; ParamError for a name without one."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            known = ", ".join(sorted(values)) or "none are defined"
            raise ParamError(f'"{{{name}}}" has no value in params (defined: {known})')
        if not math.isfinite(values[name]):
            raise ParamError(f"param {name} must be a finite number, got {values[name]}")
        return render(values[name])

    return _PLACEHOLDER.sub(replace, text)


def check_params(texts: Iterable[str], values: Mapping[str, float]) -> None:
    """ParamError when a parameter is given that no expression uses (a typo in a sweep)."""
    used = placeholders(texts)
    unused = sorted(set(values) - used)
    if unused:
        raise ParamError(f'param "{unused[0]}" is not used by any expression ({{{unused[0]}}} appears nowhere)')
