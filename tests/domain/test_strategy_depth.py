"""Nesting depth of strategy expressions: pathological terms are a one-line error naming the strategy and term,
never a RecursionError; the deepest allowed term still compiles, evaluates and prints."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from cryptoterm.config.schema import LevelsConfig, StrategyConfig
from cryptoterm.domain.strategy import StrategyError, compile_strategy
from cryptoterm.domain.strategy.errors import ExpressionError
from cryptoterm.domain.strategy.nodes import format_node
from cryptoterm.domain.strategy.parser import MAX_DEPTH, parse_expression
from cryptoterm.domain.timeframes import HOUR_MS

PATHOLOGICAL = {
    "110 parentheses": "(" * 110 + "close" + ")" * 110 + " > 1",
    "1,000 unary minus": "-" * 1000 + "close < 1",
    "1,000 unary minus on a number": "close > " + "-" * 1000 + "5",
    "500 nots": "not " * 500 + "close > 1",
    "2,000-term sum": " + ".join(["close"] * 2000) + " > 1",
    "200 nested calls": "ema(" * 200 + "close" + ", 2)" * 200 + " > 1",
    "300 offsets": "close" + "[1]" * 300 + " > 1",
    "100 conditions in one term": " and ".join(["close > 1"] * 100),
}


#: Frames an expression at the depth limit may use, a third of the interpreter's default limit of 1000.
STACK_BUDGET = 340


def _frames_in_use() -> int:
    frame, count = sys._getframe(), 0
    while frame is not None:
        frame, count = frame.f_back, count + 1  # type: ignore[assignment]
    return count


def _strategy(*when: str) -> StrategyConfig:
    return StrategyConfig(
        name="x",
        timeframe="1h",
        when=list(when),
        levels=LevelsConfig(entry="close", stop="low", targets=["2R"]),
        source="config.toml",
    )


@pytest.mark.parametrize("text", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_too_deep_expressions_are_an_expression_error(text: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    assert f"nests more than {MAX_DEPTH} levels deep" in info.value.message
    assert info.value.column > 0


@pytest.mark.parametrize("text", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_a_too_deep_term_names_the_file_strategy_and_term(text: str) -> None:
    with pytest.raises(StrategyError) as info:
        compile_strategy(_strategy("close > 0", text))
    message = str(info.value)
    assert message.startswith(f'config.toml: strategy "x", when[1]: expression nests more than {MAX_DEPTH} levels')
    assert "\n" not in message
    assert len(message) < 300  # the term itself (thousands of characters) is not echoed


def test_too_deep_levels_expressions_are_reported_too() -> None:
    cfg = StrategyConfig(
        name="x",
        when=["close > 0"],
        levels=LevelsConfig(entry="-" * 200 + "close", stop="low"),
        source="config.toml",
    )
    with pytest.raises(StrategyError, match=r'strategy "x", levels.entry: expression nests more than'):
        compile_strategy(cfg)


def test_the_deepest_allowed_term_compiles_evaluates_and_prints_with_little_stack() -> None:
    """At the limit every stage (parse, check, evaluate, print) works, even with most of the stack used up."""
    parens = "(" * (MAX_DEPTH - 2) + "close + 1" + ")" * (MAX_DEPTH - 2)
    chain = " + ".join(["close"] * (MAX_DEPTH - 1))
    closes = np.linspace(100.0, 120.0, 50)
    data = pd.DataFrame(
        {"open": closes, "high": closes + 1, "low": closes - 1, "close": closes, "volume": np.full(50, 10.0)},
        index=pd.Index(HOUR_MS * np.arange(50), name="open_time"),
    )
    limit = sys.getrecursionlimit()
    # A scan runs with frames of its own below it (threads, the event loop, Textual): leave it most of the stack.
    sys.setrecursionlimit(_frames_in_use() + STACK_BUDGET)
    try:
        compiled = compile_strategy(_strategy(f"{parens} > 100", f"{chain} > 0", "-" * (MAX_DEPTH - 2) + "close > 0"))
        result = compiled.evaluate({"1h": data})
        texts = [format_node(t.node) for t in compiled.terms]
    finally:
        sys.setrecursionlimit(limit)
    assert [bool(t.passed[-1]) for t in result.terms] == [True, True, True]
    assert texts[0] == "close + 1 > 100"
