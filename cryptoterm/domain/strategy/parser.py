"""Recursive-descent parser for strategy expressions (user text is never handed to `eval`).

Grammar, loosest binding first::

    expr        := and_expr ("or" and_expr)*
    and_expr    := not_expr ("and" not_expr)*
    not_expr    := "not" not_expr | comparison
    comparison  := "regime" ("==" | "!=") LABEL
                 | "regime" ["not"] "in" "(" LABEL ("," LABEL)* ")"
                 | sum [(< | <= | > | >= | == | != | crosses_above | crosses_below) sum]
    sum         := product (("+" | "-") product)*
    product     := unary (("*" | "/") unary)*
    unary       := "-" unary | postfix
    postfix     := primary ("[" INT "]" | "@" TIMEFRAME)*
    primary     := NUMBER | "(" expr ")" | NAME ["." NAME] ["(" [expr ("," expr)*] ")"]

So `rsi(14) < 30 and close > ema(200) @4h` reads as `(rsi(14) < 30) and (close > (ema(200) @4h))`:
a suffix binds like an index, to the operand just before it. To evaluate a whole comparison on another
timeframe, parenthesise it: `(close > ema(200)) @4h`. Multi-output indicators use a dotted name:
`macd.hist(12, 26, 9)`, `bb.upper(20, 2)`, `adx.plus_di(14)`, `stoch.d(14, 3)`. Regime labels are
bull, bear, range and high-vol. Names are checked against the function table by the compiler, which can
suggest the closest one; this module only knows the shape of the language.

Nesting is limited to `MAX_DEPTH` levels, both while parsing (parentheses, call arguments, `-`, `not`) and in
the finished tree (where a long chain such as `a + b + c + …` nests too). Every later stage — checking,
evaluating, printing — walks the tree recursively, so a bound here is what keeps a pathological term (110
parentheses, 1,000 minus signs) a one-line error instead of a RecursionError deep inside a scan.
"""

from __future__ import annotations

from cryptoterm.domain.regime_labels import LABELS
from cryptoterm.domain.strategy.errors import ExpressionError, did_you_mean
from cryptoterm.domain.strategy.lexer import Token, tokenize
from cryptoterm.domain.strategy.nodes import (
    Arithmetic,
    AtTimeframe,
    Call,
    Compare,
    Logical,
    Negate,
    Node,
    Not,
    Number,
    Offset,
    RegimeIs,
    SeriesRef,
)

#: Price series a bare name can refer to.
SERIES_NAMES = ("open", "high", "low", "close", "volume", "hl2", "hlc3", "ohlc4")
#: Labels `regime` can be compared with (`high_vol` is accepted for `high-vol`).
REGIME_LABELS = LABELS
KEYWORDS = ("and", "or", "not", "in")
COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")
CROSSES = ("crosses_above", "crosses_below")
#: Deepest nesting an expression may have; real strategies stay under 10. Parsing one level costs about ten
#: Python frames, so this also keeps the parser far below the interpreter's recursion limit.
MAX_DEPTH = 32


def _too_deep(column: int) -> ExpressionError:
    return ExpressionError(
        f"expression nests more than {MAX_DEPTH} levels deep at column {column} (parentheses, calls, "
        '"-", "not" or a long chain of operators); simplify it or split it into several terms',
        column,
    )


def _describe(token: Token) -> str:
    return "end of expression" if token.kind == "end" else f'"{token.text}"'


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0
        self.depth = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def at(self, kind: str, text: str | None = None) -> bool:
        token = self.token
        return token.kind == kind and (text is None or token.text == text)

    def expect(self, kind: str, text: str, what: str) -> Token:
        if not self.at(kind, text):
            raise ExpressionError(f"expected {what} but found {_describe(self.token)}", self.token.column)
        return self.advance()

    def parse(self) -> Node:
        if self.at("end"):
            raise ExpressionError("empty expression", 1)
        node = self.or_expr()
        if not self.at("end"):
            token = self.token
            hint = ' (join conditions with "and" / "or")' if token.kind in ("name", "number") else ""
            raise ExpressionError(f"unexpected {_describe(token)}{hint}", token.column)
        too_deep = _deeper_than(node, MAX_DEPTH)
        if too_deep is not None:
            raise _too_deep(too_deep)
        return node

    def enter(self, column: int) -> None:
        """One level deeper into the expression; refuses to go past `MAX_DEPTH` (see the module docstring)."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _too_deep(column)

    def nested(self, column: int) -> Node:
        """A whole sub-expression one level down: inside parentheses or a call's arguments."""
        self.enter(column)
        node = self.or_expr()
        self.depth -= 1
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.at("name", "or"):
            column = self.advance().column
            node = Logical("or", node, self.and_expr(), column)
        return node

    def and_expr(self) -> Node:
        node = self.not_expr()
        while self.at("name", "and"):
            column = self.advance().column
            node = Logical("and", node, self.not_expr(), column)
        return node

    def not_expr(self) -> Node:
        if self.at("name", "not"):
            column = self.advance().column
            self.enter(column)
            operand = self.not_expr()
            self.depth -= 1
            return Not(operand, column)
        return self.comparison()

    def comparison(self) -> Node:
        if self.at("name", "regime"):
            return self.regime()
        left = self.sum()
        token = self.token
        if token.kind == "op" and token.text in COMPARISONS:
            self.advance()
            node: Node = Compare(token.text, left, self.sum(), token.column)
        elif token.kind == "name" and token.text in CROSSES:
            self.advance()
            node = Call(token.text, (left, self.sum()), token.column)
        else:
            return left
        after = self.token
        if (after.kind == "op" and after.text in COMPARISONS) or (after.kind == "name" and after.text in CROSSES):
            raise ExpressionError('comparisons cannot be chained; join them with "and" (a < b and b < c)', after.column)
        return node

    def regime(self) -> Node:
        column = self.advance().column
        token = self.token
        if token.kind == "op" and token.text in ("==", "!="):
            self.advance()
            return RegimeIs((self.label(),), token.text == "!=", column)
        negate = False
        if self.at("name", "not"):
            self.advance()
            negate = True
        if not self.at("name", "in"):
            raise ExpressionError(
                f'expected "==", "!=" or "in" after "regime" but found {_describe(self.token)} '
                "(e.g. regime in (bull, range))",
                self.token.column,
            )
        self.advance()
        self.expect("op", "(", '"(" and a list of regimes')
        labels = [self.label()]
        while self.at("op", ","):
            self.advance()
            labels.append(self.label())
        self.expect("op", ")", '")" after the regimes')
        return RegimeIs(tuple(dict.fromkeys(labels)), negate, column)

    def label(self) -> str:
        token = self.token
        if token.kind != "name":
            raise ExpressionError(
                f"expected a regime ({', '.join(REGIME_LABELS)}) but found {_describe(token)}", token.column
            )
        self.advance()
        words = [token.text]
        while self.at("op", "-") and self.tokens[self.pos + 1].kind == "name":
            self.advance()
            words.append(self.advance().text)
        label = "-".join(words).replace("_", "-")
        if label not in REGIME_LABELS:
            raise ExpressionError(
                f'unknown regime "{label}"{did_you_mean(label, REGIME_LABELS)}; regimes are {", ".join(REGIME_LABELS)}',
                token.column,
            )
        return label

    def sum(self) -> Node:
        node = self.product()
        while self.token.kind == "op" and self.token.text in ("+", "-"):
            token = self.advance()
            node = Arithmetic(token.text, node, self.product(), token.column)
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.token.kind == "op" and self.token.text in ("*", "/"):
            token = self.advance()
            node = Arithmetic(token.text, node, self.unary(), token.column)
        return node

    def unary(self) -> Node:
        if self.at("op", "-"):
            column = self.advance().column
            self.enter(column)
            operand = self.unary()
            self.depth -= 1
            if isinstance(operand, Number):
                return Number(-operand.value, column)
            return Negate(operand, column)
        return self.postfix()

    def postfix(self) -> Node:
        node = self.primary()
        while True:
            if self.at("op", "["):
                column = self.advance().column
                token = self.token
                if token.kind != "number" or not token.text.isdigit():
                    raise ExpressionError(
                        f"expected a whole number of bars in [ ] but found {_describe(token)}", token.column
                    )
                self.advance()
                self.expect("op", "]", '"]"')
                node = Offset(node, int(token.text), column)
            elif self.at("timeframe"):
                token = self.advance()
                node = AtTimeframe(node, token.text, token.column)
            else:
                return node

    def primary(self) -> Node:
        token = self.token
        if token.kind == "number":
            self.advance()
            return Number(float(token.text), token.column)
        if token.kind == "op" and token.text == "(":
            self.advance()
            node = self.nested(token.column)
            self.expect("op", ")", '")"')
            return node
        if token.kind != "name":
            raise ExpressionError(f"expected a value but found {_describe(token)}", token.column)
        crossing_call = token.text in CROSSES and self.tokens[self.pos + 1].text == "("
        if token.text in KEYWORDS or (token.text in CROSSES and not crossing_call):
            raise ExpressionError(f'expected a value before "{token.text}"', token.column)
        if token.text == "regime":
            raise ExpressionError(
                'regime can only be tested: "regime == bull" or "regime in (bull, range)"', token.column
            )
        self.advance()
        name = token.text
        if self.at("op", "."):
            self.advance()
            part = self.token
            if part.kind != "name":
                raise ExpressionError(
                    f'expected an output name after "{name}." but found {_describe(part)}', part.column
                )
            self.advance()
            name = f"{name}.{part.text}"
        if self.at("op", "("):
            self.advance()
            args: list[Node] = []
            if not self.at("op", ")"):
                args.append(self.nested(token.column))
                while self.at("op", ","):
                    self.advance()
                    args.append(self.nested(token.column))
            self.expect("op", ")", f'"," or ")" in the arguments of {name}')
            return Call(name, tuple(args), token.column)
        if name in SERIES_NAMES:
            return SeriesRef(name, token.column)
        return Call(name, (), token.column)


def _children(node: Node) -> tuple[Node, ...]:
    match node:
        case Call(args=args):
            return args
        case Negate(operand=operand) | Not(operand=operand) | Offset(operand=operand) | AtTimeframe(operand=operand):
            return (operand,)
        case Arithmetic(left=left, right=right) | Compare(left=left, right=right) | Logical(left=left, right=right):
            return (left, right)
    return ()


def _deeper_than(root: Node, limit: int) -> int | None:
    """The column of a node more than `limit` levels below `root`, or None. Iterative: the tree may be deep."""
    stack: list[tuple[Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return node.column
        stack.extend((child, depth + 1) for child in _children(node))
    return None


def parse_expression(text: str) -> Node:
    """Parse one expression; raises ExpressionError with a 1-based column on a syntax error."""
    return _Parser(text).parse()
