"""The allowed range of each numeric config key, read from the schema's own constraints.

The bounds are written once, as `msgspec.Meta(ge=…, le=…)` on the schema field; msgspec enforces them at load.
msgspec's own message names only the bound that was crossed (`Expected int <= 20`), so the loader looks the
field up here to phrase the whole range (`expected an integer from 1 to 20, got 999`), and the test of
`config.example.toml` uses the same wording to check that every range is documented beside its key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import msgspec

from cryptoterm.config.schema import AppConfig

#: Bounds at or above this are written in exponent form (1e12), smaller whole numbers in full.
_EXPONENT_FROM: Final = 1e9


@dataclass(frozen=True, slots=True)
class NumericRange:
    """The closed range `[low, high]` of one numeric key; `integer` says whether fractions are allowed."""

    low: float
    high: float
    integer: bool

    @property
    def text(self) -> str:
        """`1 to 20` — how the range is written in errors and in config.example.toml."""
        return f"{format_bound(self.low)} to {format_bound(self.high)}"

    @property
    def kind(self) -> str:
        return "an integer" if self.integer else "a number"


def format_bound(value: float) -> str:
    """A bound as a person writes it: `0.1`, `3600`, `1e12`."""
    if float(value).is_integer():
        if abs(value) >= _EXPONENT_FROM and float(f"{value:.0e}") == value:
            return f"{value:.0e}".replace("e+", "e")
        return str(int(value))
    return f"{value:g}"


def numeric_range(path: list[str | int], root: type[msgspec.Struct] = AppConfig) -> NumericRange | None:
    """The range of the numeric key at `path` (keys and list indexes, as in the TOML), or None if it has none."""
    node: object = msgspec.inspect.type_info(root)
    for part in path:
        if isinstance(node, msgspec.inspect.ListType):
            if not isinstance(part, int):
                return None
            node = node.item_type
            continue
        if isinstance(part, int) or not isinstance(node, msgspec.inspect.StructType):
            return None
        match = [f for f in node.fields if f.encode_name == part]
        if not match:
            return None
        node = match[0].type
    return range_of_type(node)


def range_of_type(info: object) -> NumericRange | None:
    """The closed range of an `IntType` / `FloatType` that has both bounds, else None."""
    if not isinstance(info, msgspec.inspect.IntType | msgspec.inspect.FloatType):
        return None
    if info.ge is None or info.le is None:
        return None
    return NumericRange(info.ge, info.le, isinstance(info, msgspec.inspect.IntType))
