"""Grammar of the strategy language: precedence, every construct, and syntax errors with columns."""

from __future__ import annotations

import pytest

from cryptoterm.domain.strategy.errors import ExpressionError
from cryptoterm.domain.strategy.nodes import (
    Arithmetic,
    AtTimeframe,
    Call,
    Compare,
    Logical,
    Negate,
    Not,
    Number,
    Offset,
    RegimeIs,
    SeriesRef,
    format_node,
)
from cryptoterm.domain.strategy.parser import parse_expression


def test_arithmetic_precedence_and_left_associativity() -> None:
    node = parse_expression("1 + 2 * 3 - 4 / 2")
    assert node == Arithmetic(
        "-",
        Arithmetic("+", Number(1), Arithmetic("*", Number(2), Number(3))),
        Arithmetic("/", Number(4), Number(2)),
    )
    assert parse_expression("(1 + 2) * 3") == Arithmetic("*", Arithmetic("+", Number(1), Number(2)), Number(3))


def test_logic_precedence_not_over_and_over_or() -> None:
    node = parse_expression("not a > 1 or b > 2 and c > 3")
    a, b, c = (
        Compare(">", SeriesRef(n) if n == "close" else Call(n, ()), Number(v))
        for n, v in (("a", 1), ("b", 2), ("c", 3))
    )
    assert node == Logical("or", Not(a), Logical("and", b, c))


def test_unary_minus_folds_literals_and_negates_expressions() -> None:
    assert parse_expression("-2.5") == Number(-2.5)
    assert parse_expression("- close * 2") == Arithmetic("*", Negate(SeriesRef("close")), Number(2))
    assert parse_expression("1 - -1") == Arithmetic("-", Number(1), Number(-1))


@pytest.mark.parametrize(("text", "value"), [("1e6", 1e6), ("2.5", 2.5), (".5", 0.5), ("5e-3", 0.005), ("3E+2", 300)])
def test_number_literals(text: str, value: float) -> None:
    assert parse_expression(text) == Number(value)


def test_calls_dotted_outputs_series_and_bare_patterns() -> None:
    assert parse_expression("macd.hist(12, 26, 9)") == Call("macd.hist", (Number(12), Number(26), Number(9)))
    assert parse_expression("sma(volume, 20)") == Call("sma", (SeriesRef("volume"), Number(20)))
    assert parse_expression("obv()") == Call("obv", ())
    assert parse_expression("hammer") == Call("hammer", ())
    for name in ("open", "high", "low", "close", "volume", "hl2", "hlc3", "ohlc4"):
        assert parse_expression(name) == SeriesRef(name)


def test_offset_and_timeframe_suffix_bind_to_the_operand_before_them() -> None:
    node = parse_expression("close > highest(high, 20)[1]")
    assert node == Compare(">", SeriesRef("close"), Offset(Call("highest", (SeriesRef("high"), Number(20))), 1))
    node = parse_expression("close > ema(200) @4h")
    assert node == Compare(">", SeriesRef("close"), AtTimeframe(Call("ema", (Number(200),)), "4h"))
    node = parse_expression("(close > ema(200)) @1d")
    assert node == AtTimeframe(Compare(">", SeriesRef("close"), Call("ema", (Number(200),))), "1d")
    assert parse_expression("close[2]@4h") == AtTimeframe(Offset(SeriesRef("close"), 2), "4h")


def test_crosses_infix_is_the_same_as_the_call() -> None:
    infix = parse_expression("ema(9) crosses_above ema(21)")
    assert infix == parse_expression("crosses_above(ema(9), ema(21))")
    assert infix == Call("crosses_above", (Call("ema", (Number(9),)), Call("ema", (Number(21),))))


def test_regime_tests() -> None:
    assert parse_expression("regime in (bull, range)") == RegimeIs(("bull", "range"))
    assert parse_expression("regime == bull") == RegimeIs(("bull",))
    assert parse_expression("regime != bear") == RegimeIs(("bear",), negate=True)
    assert parse_expression("regime not in (high-vol, bear)") == RegimeIs(("high-vol", "bear"), negate=True)
    assert parse_expression("regime == high_vol") == RegimeIs(("high-vol",))


@pytest.mark.parametrize(
    "text",
    [
        "rsi(14) < 30 and close > ema(200)@4h",
        "regime in (bull, range) or not hammer",
        "volume > 2 * sma(volume, 20)",
        "-(close - open) / (high - low) >= 0.5",
        "(close > ema(50))@1d and close[1] < open[1]",
        "crosses_below(macd(12, 26, 9), macd.signal(12, 26, 9))",
    ],
)
def test_format_round_trips(text: str) -> None:
    node = parse_expression(text)
    assert parse_expression(format_node(node)) == node


def test_equal_subexpressions_are_equal_nodes_whatever_their_position() -> None:
    node = parse_expression("ema(200) > 1 and close > ema(200)")
    assert isinstance(node, Logical) and isinstance(node.left, Compare) and isinstance(node.right, Compare)
    assert node.left.left == node.right.right
    assert hash(node.left.left) == hash(node.right.right)


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("rsi(14 < 30", 12, 'expected "," or ")"'),
        ("close > > 3", 9, "expected a value"),
        ("a < b < c", 7, "cannot be chained"),
        ("close = 3", 7, 'use "=="'),
        ("close > 3 &", 11, 'use "and"'),
        ("close @", 7, '"@" must be followed by a timeframe'),
        ("close > ema(200) 4h", 18, 'a timeframe is written "@4h"'),
        ("rsi(14) < 30 close", 14, 'join conditions with "and"'),
        ("", 1, "empty expression"),
        ("close[x]", 7, "whole number of bars"),
        ("regime bull", 8, 'expected "==", "!=" or "in"'),
        ("regime == bulll", 11, 'unknown regime "bulll" (did you mean "bull"?)'),
        ("(close > 1", 11, 'expected ")"'),
        ("and close", 1, 'expected a value before "and"'),
        ("close > regime", 9, "regime can only be tested"),
        ("macd.(1)", 6, "expected an output name"),
    ],
)
def test_syntax_errors_point_at_the_column(text: str, column: int, fragment: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    assert fragment in info.value.message
    assert info.value.column == column
