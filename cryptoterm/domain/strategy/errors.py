"""Errors raised while compiling strategies, phrased for the person editing the TOML file.

A `StrategyError` names the file, the strategy and the term, and suggests the closest valid name:
`strategies.toml: strategy "rsi-pullback", when[1]: unknown indicator "emma" (did you mean "ema"?)`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ExpressionError(Exception):
    """A problem inside one expression; `column` is 1-based (0 when the whole expression is at fault)."""

    def __init__(self, message: str, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.column = column


class StrategyError(ValueError):
    """A strategy that cannot be compiled; the message is complete and ready to show."""


class LevelsError(ValueError):
    """Entry / stop / targets that make no sense at a particular bar (e.g. a long's stop above its entry)."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """` (did you mean "x"?)` for the closest choice, or "" when nothing is close."""
    matches = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.6)
    return f' (did you mean "{matches[0]}"?)' if matches else ""
