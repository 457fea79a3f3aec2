"""The strategy language: conditions and levels written in config, compiled once, evaluated over whole series.

    compiled = compile_strategy(cfg)                 # StrategyError on any mistake, at load time
    result = compiled.evaluate({"1h": frame_1h}, regime=labels_per_1h_bar)
    result.signal[-1]                                # did the last closed bar fire?
    compiled.levels_at({"1h": frame_1h}, -1)         # Levels(entry, stop, targets)

The grammar is documented in `cryptoterm.domain.strategy.parser`; the callable names in `functions`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptoterm.domain.strategy.compiled import (
        CompiledStrategy,
        Evaluation,
        Levels,
        LevelSeries,
        TermResult,
        compile_strategy,
        levels_at_bar,
    )
    from cryptoterm.domain.strategy.compiler import StrategySpec, parse_expires
    from cryptoterm.domain.strategy.errors import LevelsError, StrategyError
    from cryptoterm.domain.strategy.evaluate import Evaluator, Truth
    from cryptoterm.domain.strategy.frames import (
        aggregate_complete,
        align_bool,
        align_float,
        resample_ohlcv,
        visible_positions,
    )
    from cryptoterm.domain.strategy.functions import FUNCTIONS
    from cryptoterm.domain.strategy.parser import parse_expression

#: Where each name lives. Resolved on first use (PEP 562): the parser alone (the config's chart studies) must
#: not pull in the compiler and its pandas frames, which cost a third of a second before anything is on screen.
_HOMES = {
    "CompiledStrategy": "compiled",
    "Evaluation": "compiled",
    "Levels": "compiled",
    "LevelSeries": "compiled",
    "TermResult": "compiled",
    "compile_strategy": "compiled",
    "levels_at_bar": "compiled",
    "StrategySpec": "compiler",
    "parse_expires": "compiler",
    "LevelsError": "errors",
    "StrategyError": "errors",
    "Evaluator": "evaluate",
    "Truth": "evaluate",
    "aggregate_complete": "frames",
    "align_bool": "frames",
    "align_float": "frames",
    "resample_ohlcv": "frames",
    "visible_positions": "frames",
    "FUNCTIONS": "functions",
    "parse_expression": "parser",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "FUNCTIONS",
    "CompiledStrategy",
    "Evaluation",
    "Evaluator",
    "LevelSeries",
    "Levels",
    "LevelsError",
    "StrategyError",
    "StrategySpec",
    "TermResult",
    "Truth",
    "aggregate_complete",
    "align_bool",
    "align_float",
    "compile_strategy",
    "levels_at_bar",
    "parse_expires",
    "parse_expression",
    "resample_ohlcv",
    "visible_positions",
]
