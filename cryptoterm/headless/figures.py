"""Numbers as the headless commands print them: percentages, ratios, and JSON without NaN or infinity."""

from __future__ import annotations

import math


def pct(value: float) -> str:
    """`12.34 %` for 0.1234; `—` when not a number."""
    return f"{value * 100:.2f} %" if math.isfinite(value) else "—"


def num(value: float) -> str:
    """Two decimals, `∞` for infinity, `—` when not a number."""
    if math.isinf(value):
        return "∞"
    return f"{value:.2f}" if math.isfinite(value) else "—"


def finite(value: object) -> object:
    """`value` with every non-finite float replaced by None, recursively (JSON has no NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    return value
