"""The backtest form as values, and the order it makes: what to backtest, on what, how — checked before anything
runs, so every mistake is one line naming the field and the value, never a failed run.

The checks are the backtest command's own: the `[backtest]` ranges (the form's numbers override its keys as
the flags do), the sweep grammar of `--sweep` (`7,14,21` or `START:STOP:STEP`), and the strategy compiled with
the first and last grid points under the chosen fill and sizing (`check_grid`). Symbols are checked against the
store's catalog (a symbol with no candles of the strategy's timeframe, or of a lower one it derives from, is
refused); no symbols means the strategy's universe, resolved from the store as the scanner would.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import msgspec

from cryptoterm.config.schema import AppConfig, BacktestConfig, StrategyConfig
from cryptoterm.domain.backtest.rules import BacktestRules
from cryptoterm.domain.timeframes import TIMEFRAMES, timeframe_ms

#: Largest grid the form starts (the command line has no limit; a screen should not queue a day of work).
MAX_POINTS = 10_000
_DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M")
#: (field, label) of the numeric rule fields, in form order.
NUMBER_FIELDS: tuple[tuple[str, str], ...] = (
    ("fee_bps", "fee bps"),
    ("slippage_bps", "slippage bps"),
    ("risk_pct", "risk %"),
    ("size_pct", "size %"),
    ("size_quote", "size quote"),
    ("initial_equity", "equity"),
    ("max_positions", "max positions"),
)


class FormError(ValueError):
    """One line naming the field and what is wrong with its value."""


@dataclass(frozen=True, slots=True)
class Catalog:
    """What the store holds for backtests: symbols by stored timeframe, and each strategy's universe."""

    exchange: str
    stored: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    universes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def known(self, timeframe: str) -> tuple[str, ...]:
        """Symbols a backtest on `timeframe` can read: stored on it, or on a lower timeframe it is derived from."""
        step = timeframe_ms(timeframe)
        usable = [tf for tf in TIMEFRAMES if timeframe_ms(tf) <= step and step % timeframe_ms(tf) == 0]
        return tuple(sorted({s for tf in usable for s in self.stored.get(tf, ())}))


@dataclass(frozen=True, slots=True)
class FormValues:
    """Every field of the form as typed (numbers are text until checked)."""

    strategy: str
    symbols: str = ""
    since: str = ""
    until: str = ""
    fill: str = "levels"
    sizing: str = "risk"
    numbers: Mapping[str, str] = field(default_factory=dict)
    rank: str = "sharpe"
    params: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def initial(cls, config: AppConfig, strategy: str = "") -> FormValues:
        """The config's `[backtest]` and the strategy's own params (the first strategy when none is named)."""
        names = [s.name for s in config.strategy]
        chosen = strategy if strategy in names else (names[0] if names else "")
        return cls(strategy=chosen, fill=config.backtest.fill, sizing=config.backtest.sizing).for_strategy(
            config, chosen
        )

    def for_strategy(self, config: AppConfig, strategy: str) -> FormValues:
        """These values with `strategy` chosen: its params replace the previous strategy's."""
        found = next((s for s in config.strategy if s.name == strategy), None)
        params = {k: f"{v:g}" for k, v in (found.params if found is not None else {}).items()}
        numbers = {key: _number_text(getattr(config.backtest, key)) for key, _ in NUMBER_FIELDS}
        return replace(self, strategy=strategy, params=params, numbers={**numbers, **self.numbers})


@dataclass(frozen=True, slots=True)
class BacktestOrder:
    """A checked request: one backtest (`sweep` empty) or a sweep over `sweep`'s grid ranked by `rank`."""

    strategy: StrategyConfig
    symbols: tuple[str, ...]
    since_ms: int | None
    until_ms: int | None
    rules: BacktestRules
    sweep: dict[str, list[float]] = field(default_factory=dict)
    rank: str = "sharpe"

    @property
    def points(self) -> int:
        return math.prod(len(v) for v in self.sweep.values()) if self.sweep else 1


def _number_text(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def parse_when(text: str, name: str) -> int | None:
    """Epoch ms (UTC) of a date, a date and time, or epoch ms; None when empty."""
    value = text.strip()
    if not value:
        return None
    if value.isdigit():
        return int(value)
    for fmt in _DATE_FORMATS:
        try:
            return int(datetime.strptime(value, fmt).replace(tzinfo=UTC).timestamp() * 1000)
        except ValueError:
            continue
    raise FormError(f"{name}: bad date {text!r} (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM, UTC)")


def parse_rules(config: AppConfig, values: FormValues) -> BacktestRules:
    """`[backtest]` with the form's fill, sizing and numbers over it, checked against the same ranges."""
    given: dict[str, object] = {"fill": values.fill, "sizing": values.sizing}
    labels = dict(NUMBER_FIELDS)
    for key, text in values.numbers.items():
        if not text.strip():
            continue
        try:
            number = float(text)
        except ValueError:
            raise FormError(f"{labels.get(key, key)}: expected a number, got {text.strip()!r}") from None
        if key == "max_positions":
            if not number.is_integer():
                raise FormError(f"{labels[key]}: expected a whole number, got {text.strip()!r}")
            given[key] = int(number)
        else:
            given[key] = number
    try:
        merged = msgspec.convert({**msgspec.to_builtins(config.backtest), **given}, BacktestConfig)
    except msgspec.ValidationError as exc:
        key = str(exc).rsplit("$.", 1)[-1].rstrip("`")
        raise FormError(f"{labels.get(key, key)}: {str(exc).split(' - at ')[0]}") from None
    return BacktestRules(**msgspec.to_builtins(merged))


def parse_params(values: FormValues) -> tuple[dict[str, float], dict[str, list[float]]]:
    """(fixed params, swept params): a number is fixed; `a,b,c` or `start:stop:step` is swept."""
    from cryptoterm.services.sweeps import parse_sweep

    fixed: dict[str, float] = {}
    swept: dict[str, list[float]] = {}
    for name, text in values.params.items():
        value = text.strip()
        if not value:
            raise FormError(f"param {name}: give a value, or a sweep (7,14,21 or 5:20:5)")
        if "," not in value and ":" not in value:
            try:
                fixed[name] = float(value)
            except ValueError:
                raise FormError(
                    f"param {name}: expected a number or a sweep (7,14,21 or 5:20:5), got {value!r}"
                ) from None
            continue
        try:
            points = parse_sweep([f"{name}={value}"])[name]
        except ValueError as exc:
            raise FormError(str(exc).replace("--sweep ", "param ", 1)) from None
        if len(points) == 1:
            fixed[name] = points[0]
        else:
            swept[name] = points
    return fixed, swept


def parse_symbols(text: str, strategy: StrategyConfig, catalog: Catalog) -> tuple[str, ...]:
    """The symbols typed (upper-cased, deduplicated), each checked against the store; none: the universe."""
    chosen = tuple(dict.fromkeys(s.strip().upper() for s in text.replace(" ", ",").split(",") if s.strip()))
    known = catalog.known(strategy.timeframe)
    shown = ", ".join(known[:6]) + (f" +{len(known) - 6}" if len(known) > 6 else "") if known else "none"
    if not chosen:
        universe = catalog.universes.get(strategy.name, ())
        if not universe:
            raise FormError(
                f"symbols: the universe of {strategy.name} has no stored {strategy.timeframe} candles on "
                f"{catalog.exchange}; give symbols (stored: {shown})"
            )
        return universe
    for symbol in chosen:
        if symbol not in known:
            raise FormError(
                f"symbols: unknown symbol {symbol!r} (no {strategy.timeframe} candles stored on {catalog.exchange};"
                f" stored: {shown})"
            )
    return chosen


def parse_order(config: AppConfig, values: FormValues, catalog: Catalog) -> BacktestOrder:
    """The checked order, or FormError with one line naming the field (module docstring)."""
    from cryptoterm.services.backtester import BacktestError
    from cryptoterm.services.sweeps import RANKS, check_grid, grid

    strategies = {s.name: s for s in config.strategy}
    base = strategies.get(values.strategy)
    if base is None:
        names = ", ".join(sorted(strategies)) or "none are configured"
        raise FormError(f"strategy: unknown strategy {values.strategy!r}; valid names: {names}")
    if values.rank not in RANKS:
        raise FormError(f"rank: expected one of {', '.join(RANKS)}, got {values.rank!r}")
    since = parse_when(values.since, "since")
    until = parse_when(values.until, "until")
    if since is not None and until is not None and until <= since:
        raise FormError("until: must be after since")
    rules = parse_rules(config, values)
    fixed, swept = parse_params(values)
    strategy = msgspec.structs.replace(base, params={**base.params, **fixed})
    points = grid(swept) if swept else [{}]
    if len(points) > MAX_POINTS:
        raise FormError(f"sweep: {len(points):,} points; at most {MAX_POINTS:,} from this screen")
    try:
        check_grid(strategy, points, rules)
    except BacktestError as exc:
        raise FormError(str(exc)) from None
    symbols = parse_symbols(values.symbols, strategy, catalog)
    return BacktestOrder(strategy, symbols, since, until, rules, swept, values.rank)
