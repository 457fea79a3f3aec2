"""Tokenizer for strategy expressions.

Produces (kind, text, column) tokens; columns are 1-based so error messages can point at the character.
A timeframe suffix is lexed as one token (`@4h` → TIMEFRAME "4h") so `4h` never reads as a number.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from cryptoterm.domain.strategy.errors import ExpressionError

TokenKind = Literal["number", "name", "op", "timeframe", "end"]


class Token(NamedTuple):
    kind: TokenKind
    text: str
    column: int


_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TIMEFRAME = re.compile(r"@\s*([0-9]*[A-Za-z]*)")
_OPERATORS = ("<=", ">=", "==", "!=", "<", ">", "+", "-", "*", "/", "(", ")", "[", "]", ",", ".")


def tokenize(text: str) -> list[Token]:
    """Split `text` into tokens, ending with an "end" token; raises ExpressionError on a stray character."""
    tokens: list[Token] = []
    pos = 0
    size = len(text)
    while pos < size:
        char = text[pos]
        if char.isspace():
            pos += 1
            continue
        column = pos + 1
        if char.isdigit() or (char == "." and pos + 1 < size and text[pos + 1].isdigit()):
            match = _NUMBER.match(text, pos)
            assert match is not None
            end = match.end()
            if end < size and (text[end].isalpha() or text[end] == "_"):
                word = _NAME.match(text, end)
                assert word is not None
                unit = word.group() in ("m", "h", "d", "w")
                hint = f'; a timeframe is written "@{text[pos : word.end()]}"' if unit else ""
                raise ExpressionError(
                    f'unexpected "{text[pos : word.end()]}" (a number cannot run into a name{hint})', column
                )
            tokens.append(Token("number", match.group(), column))
            pos = end
            continue
        if char.isalpha() or char == "_":
            match = _NAME.match(text, pos)
            assert match is not None
            tokens.append(Token("name", match.group(), column))
            pos = match.end()
            continue
        if char == "@":
            match = _TIMEFRAME.match(text, pos)
            assert match is not None
            if not match.group(1):
                raise ExpressionError('"@" must be followed by a timeframe such as "@4h"', column)
            tokens.append(Token("timeframe", match.group(1), column))
            pos = match.end()
            continue
        for op in _OPERATORS:
            if text.startswith(op, pos):
                tokens.append(Token("op", op, column))
                pos += len(op)
                break
        else:
            hint = ' (use "==" to compare)' if char == "=" else ""
            hint = ' (use "and")' if char == "&" else hint
            hint = ' (use "or")' if char == "|" else hint
            raise ExpressionError(f'unexpected character "{char}"{hint}', column)
    tokens.append(Token("end", "", size + 1))
    return tokens
