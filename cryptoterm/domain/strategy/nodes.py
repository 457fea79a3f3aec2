"""The expression tree: small frozen nodes, hashable so equal sub-expressions are computed once per scan.

Source columns are kept for error messages but excluded from equality, so `ema(200)` written twice is one
cache entry. `format_node` prints a node back in canonical form (used as the label of values shown in the UI).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Number:
    value: float
    column: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class SeriesRef:
    """A price series of the bar: open high low close volume hl2 hlc3 ohlc4."""

    name: str
    column: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Call:
    """An indicator, pattern or helper: `ema(200)`, `macd.hist(12, 26, 9)`, `hammer`, `crosses_above(a, b)`."""

    name: str
    args: tuple[Node, ...]
    column: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Negate:
    operand: Node
    column: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Arithmetic:
    op: str  # + - * /
    left: Node
    right: Node
    column: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Compare:
    op: str  # < <= > >= == !=
    left: Node
    right: Node
    column: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Logical:
    op: str  # and / or
    left: Node
    right: Node
    column: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node
    column: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Offset:
    """`x[n]`: the value of `x` n bars ago, counted in the timeframe `x` is computed on."""

    operand: Node
    bars: int
    column: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class AtTimeframe:
    """`x @4h`: `x` computed on 4h bars and seen by each base bar only once the 4h bar has closed."""

    operand: Node
    timeframe: str
    column: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class RegimeIs:
    """`regime in (bull, range)`, `regime == bull`, `regime != bear`."""

    labels: tuple[str, ...]
    negate: bool = False
    column: int = field(default=0, compare=False)


Node = Number | SeriesRef | Call | Negate | Arithmetic | Compare | Logical | Not | Offset | AtTimeframe | RegimeIs

_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6, "neg": 7, "postfix": 8}


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def format_node(node: Node, parent: int = 0) -> str:
    """Canonical text of `node`, parenthesised only where precedence requires it."""
    text: str
    level: int
    match node:
        case Number(value=value):
            return _number(value)
        case SeriesRef(name=name):
            return name
        case Call(name=name, args=args):
            return f"{name}({', '.join(format_node(a) for a in args)})" if args else name
        case RegimeIs(labels=labels, negate=negate):
            if len(labels) == 1:
                return f"regime {'!=' if negate else '=='} {labels[0]}"
            return f"regime {'not in' if negate else 'in'} ({', '.join(labels)})"
        case Negate(operand=operand):
            level, text = _PRECEDENCE["neg"], f"-{format_node(operand, _PRECEDENCE['neg'])}"
        case Arithmetic(op=op, left=left, right=right):
            level = _PRECEDENCE[op]
            text = f"{format_node(left, level)} {op} {format_node(right, level + 1)}"
        case Compare(op=op, left=left, right=right):
            level = _PRECEDENCE["cmp"]
            text = f"{format_node(left, level + 1)} {op} {format_node(right, level + 1)}"
        case Logical(op=op, left=left, right=right):
            level = _PRECEDENCE[op]
            text = f"{format_node(left, level)} {op} {format_node(right, level + 1)}"
        case Not(operand=operand):
            level, text = _PRECEDENCE["not"], f"not {format_node(operand, _PRECEDENCE['not'])}"
        case Offset(operand=operand, bars=bars):
            level, text = _PRECEDENCE["postfix"], f"{format_node(operand, _PRECEDENCE['postfix'])}[{bars}]"
        case AtTimeframe(operand=operand, timeframe=timeframe):
            level = _PRECEDENCE["postfix"]
            text = f"{format_node(operand, _PRECEDENCE['postfix'])}@{timeframe}"
    return f"({text})" if level < parent else text
