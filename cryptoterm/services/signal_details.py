"""What a setup records about the signal that opened it: direction, entry zone, and each condition's result
and values at the signal bar (shown on the setup detail screen and in notifications)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from cryptoterm.domain.setups import ConditionResult, Direction


def signal_direction(value: str) -> Direction:
    if value == "long":
        return "long"
    if value == "short":
        return "short"
    raise ValueError(f"direction must be long or short, got {value!r}")


def entry_zone_of(levels: Any) -> tuple[float, float] | None:
    """The strategy's entry zone: between the entry and `Levels.entry_zone` (its far edge), when given."""
    edge = getattr(levels, "entry_zone", None)
    if edge is None:
        return None
    if isinstance(edge, Sequence):
        low, high = (float(v) for v in edge)
    else:
        low, high = sorted((float(levels.entry), float(edge)))
    if not (math.isfinite(low) and math.isfinite(high)):
        return None
    return (low, high)


def scalar_at(value: Any, index: int) -> Any:
    if isinstance(value, np.ndarray):
        return value[index].item() if value.ndim else value.item()
    return value


def format_values(values: Any, index: int) -> str:
    if values is None:
        return ""
    items: Iterable[tuple[Any, Any]]
    if isinstance(values, Mapping):
        items = values.items()
    elif isinstance(values, Sequence) and not isinstance(values, str):
        items = (pair if isinstance(pair, tuple) and len(pair) == 2 else ("", pair) for pair in values)
    else:
        return str(values)
    shown = []
    for name, value in items:
        scalar = scalar_at(value, index)
        text = f"{scalar:.6g}" if isinstance(scalar, float) else str(scalar)
        shown.append(f"{name}={text}" if name else text)
    return ", ".join(shown)


def conditions_at(terms: Sequence[Any], index: int) -> list[ConditionResult]:
    out = []
    for term in terms:
        passed = scalar_at(getattr(term, "passed", False), index)
        out.append(ConditionResult(str(term.text), bool(passed), format_values(getattr(term, "values", None), index)))
    return out
