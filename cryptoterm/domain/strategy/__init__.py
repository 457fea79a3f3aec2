"""The strategy language: conditions and levels written in config, compiled once, evaluated over whole series.

    compiled = compile_strategy(cfg)                 # StrategyError on any mistake, at load time
    result = compiled.evaluate({"1h": frame_1h}, regime=labels_per_1h_bar)
    result.signal[-1]                                # did the last closed bar fire?
    compiled.levels_at({"1h": frame_1h}, -1)         # Levels(entry, stop, targets)

The grammar is documented in `cryptoterm.domain.strategy.parser`; the callable names in `functions`.
"""

from __future__ import annotations

from cryptoterm.domain.strategy.compiled import (
    CompiledStrategy,
    Evaluation,
    Levels,
    LevelSeries,
    TermResult,
    compile_strategy,
)
from cryptoterm.domain.strategy.compiler import StrategySpec, parse_expires
from cryptoterm.domain.strategy.errors import LevelsError, StrategyError
from cryptoterm.domain.strategy.evaluate import Evaluator, Truth
from cryptoterm.domain.strategy.frames import align_bool, align_float, resample_ohlcv, visible_positions
from cryptoterm.domain.strategy.functions import FUNCTIONS
from cryptoterm.domain.strategy.parser import parse_expression

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
    "align_bool",
    "align_float",
    "compile_strategy",
    "parse_expires",
    "parse_expression",
    "resample_ohlcv",
    "visible_positions",
]
