"""Strategy parameters: placeholders filled from `params`, errors naming the term or the parameter."""

from __future__ import annotations

import pytest

from cryptoterm.config.schema import LevelsConfig, StrategyConfig
from cryptoterm.domain.strategy import StrategyError, compile_strategy
from cryptoterm.domain.strategy.params import fill, placeholders, render


def test_placeholders_are_filled_with_integers_as_integers() -> None:
    assert fill("rsi({n}) < {level}", {"n": 14.0, "level": 30.5}) == "rsi(14) < 30.5"
    assert placeholders(["rsi({n})", "x > {k} and {n}"]) == {"n", "k"}
    assert render(2.0) == "2" and render(1.5) == "1.5"


def test_a_strategy_compiles_with_its_params_and_keeps_its_text() -> None:
    cfg = StrategyConfig(
        name="p", when=["rsi({n}) < {level}"], params={"n": 7, "level": 25},
        levels=LevelsConfig(stop="close - {k} * atr(14)"),
    )  # fmt: skip
    with pytest.raises(StrategyError, match=r'levels.stop: "\{k\}" has no value in params'):
        compile_strategy(cfg)
    compiled = compile_strategy(
        StrategyConfig(name="p", when=["rsi({n}) < {level}"], params={"n": 7, "level": 25, "k": 2},
                       levels=LevelsConfig(stop="close - {k} * atr(14)"))
    )  # fmt: skip
    assert compiled.terms[0].text == "rsi(7) < 25"
    assert compiled.config.when == ["rsi({n}) < {level}"]  # the definition as written
    assert compiled.warmup_bars < compile_strategy(StrategyConfig(name="q", when=["rsi(70) < 25"])).warmup_bars


def test_a_param_no_expression_uses_is_an_error() -> None:
    with pytest.raises(StrategyError, match='params: param "m" is not used by any expression'):
        compile_strategy(StrategyConfig(name="p", when=["rsi({n}) < 30"], params={"n": 14, "m": 3}))
