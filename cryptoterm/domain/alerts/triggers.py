"""What an alert watches for: the `when` text of a rule, parsed into one trigger.

The grammar is small on purpose (a user types it into a form or a TOML string), and anything it does not
recognise is handed to the strategy language, so every indicator condition a strategy can use is an alert too:

    price above 70000            price below 2675          (also `>` / `<`)
    price crosses_above 70000    price crosses_below 2675  price crosses 61700   (either way)
    change 1h above 5%           change 15m below -3%      change 4h beyond 8%   (|change| > 8 %)
    volume spike 3x              volume spike 4x over 50 bars   (bar volume ≥ 3 × the median of the bars before)
    zscore(BTC/USDT) beyond 2    zscore(BTC/USDT) above 2  zscore(BTC/USDT) below -2   (the rule's symbol vs BTC)
    stream stalled               (a market stream was dropped for delivering no data)
    quality below 80             (a watched series' data-quality score, 0–100)
    rsi(14) @4h < 25             (anything else: a strategy condition, checked on its timeframe's close)

Price triggers are checked on every trade; the others on the close of a bar (change on every 1m close, the rest
on the rule's timeframe) or, for data events, whenever the engine reports on its streams and series.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Final, Literal

from cryptoterm.domain.strategy.errors import did_you_mean
from cryptoterm.domain.timeframes import timeframe_ms

PriceOp = Literal["above", "below", "crosses_above", "crosses_below", "crosses"]
BandOp = Literal["above", "below", "beyond"]

PRICE_OPS: Final[tuple[str, ...]] = ("above", "below", "crosses_above", "crosses_below", "crosses")
BAND_OPS: Final[tuple[str, ...]] = ("above", "below", "beyond")
_SYMBOLS: Final = {">": "above", "<": "below", ">=": "above", "<=": "below"}
#: The words that start a trigger of this grammar (anything else is a strategy condition).
KEYWORDS: Final[tuple[str, ...]] = ("price", "change", "volume", "zscore", "stream", "quality")
#: Bars a volume spike is compared with when the rule does not say.
DEFAULT_SPIKE_BARS: Final = 20
#: Longest window a change may look back (a week of 1m bars is what the engine keeps in memory).
MAX_CHANGE_WINDOW_MS: Final = 7 * 86_400_000

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_DURATION = re.compile(r"^(\d+)\s*(s|m|h|d|w)$")
_DURATION_MS: Final = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000}


class TriggerError(ValueError):
    """A `when` text that cannot be read; the message names the term and says what was expected."""


@dataclass(frozen=True, slots=True)
class PriceTrigger:
    """The last trade price against a level (checked on every trade)."""

    op: PriceOp
    level: float


@dataclass(frozen=True, slots=True)
class ChangeTrigger:
    """The close of the last 1m bar against the close `window_ms` earlier, in percent."""

    window_ms: int
    op: BandOp
    percent: float


@dataclass(frozen=True, slots=True)
class VolumeSpikeTrigger:
    """A closed bar whose volume is at least `factor` × the median volume of the `bars` bars before it."""

    factor: float
    bars: int


@dataclass(frozen=True, slots=True)
class ZScoreTrigger:
    """The z-score of the spread of the rule's symbol against `other` (log prices, OLS hedge) beyond a band."""

    other: str
    op: BandOp
    band: float


@dataclass(frozen=True, slots=True)
class StallTrigger:
    """A market stream was dropped because it stayed connected but delivered no data."""


@dataclass(frozen=True, slots=True)
class QualityTrigger:
    """A watched series' data-quality score fell below `below`."""

    below: float


@dataclass(frozen=True, slots=True)
class ConditionTrigger:
    """A strategy-language condition, compiled by the strategy compiler (see `alerts.conditions`)."""

    text: str


Trigger = (
    PriceTrigger | ChangeTrigger | VolumeSpikeTrigger | ZScoreTrigger | StallTrigger | QualityTrigger | ConditionTrigger
)
TriggerKind = Literal["price", "change", "volume", "zscore", "stall", "quality", "condition"]


def trigger_kind(trigger: Trigger) -> TriggerKind:
    """The short name of a trigger's kind, as lists and the database show it."""
    kinds: dict[type[object], TriggerKind] = {
        PriceTrigger: "price",
        ChangeTrigger: "change",
        VolumeSpikeTrigger: "volume",
        ZScoreTrigger: "zscore",
        StallTrigger: "stall",
        QualityTrigger: "quality",
        ConditionTrigger: "condition",
    }
    return kinds[type(trigger)]


def parse_duration(text: str, what: str = "duration") -> int:
    """`"10m"` → 600000 ms; `"0"` → 0. Units s, m, h, d, w. `TriggerError` names `what` otherwise."""
    value = text.strip().lower().replace(" ", "")
    if value in ("", "0"):
        return 0
    match = _DURATION.match(value)
    if match is None:
        raise TriggerError(f'{what} "{text}" is not a duration; write e.g. "30s", "10m", "4h" or "2d"')
    return int(match.group(1)) * _DURATION_MS[match.group(2)]


def _number(text: str, term: str, *, percent: bool = False) -> float:
    raw = text.strip()
    if percent:
        if not raw.endswith("%"):
            raise TriggerError(f'"{term}": the change needs a percent sign, e.g. "5%"')
        raw = raw[:-1]
    if not re.fullmatch(_NUMBER, raw):
        raise TriggerError(f'"{term}": {text.strip()!r} is not a number')
    value = float(raw)
    if not math.isfinite(value):
        raise TriggerError(f'"{term}": {text.strip()!r} is not a finite number')
    return value


def _op(word: str, allowed: tuple[str, ...], term: str) -> str:
    op = _SYMBOLS.get(word, word.lower())
    if op not in allowed:
        raise TriggerError(
            f'"{term}": unknown comparison "{word}"{did_you_mean(word, allowed)}; use {", ".join(allowed)}'
        )
    return op


def parse_when(text: str) -> Trigger:
    """Parse one rule's `when` (see the module docstring); a strategy condition is returned unchecked.

    Raises `TriggerError` naming the term. Strategy conditions are checked by `alerts.conditions`, which has
    the rule's timeframe.
    """
    term = " ".join(text.split())
    if not term:
        raise TriggerError('the condition is empty; write e.g. "price crosses_below 2675"')
    words = term.split(" ")
    head = words[0].lower()
    head_name = head.split("(", 1)[0]
    if head_name not in KEYWORDS:
        return ConditionTrigger(term)
    if head == "price":
        return _price(words, term)
    if head == "change":
        return _change(words, term)
    if head == "volume" and len(words) > 1 and words[1].lower() == "spike":
        return _volume(words, term)
    if head_name == "zscore":
        return _zscore(term)
    if head == "stream":
        if [w.lower() for w in words] != ["stream", "stalled"]:
            raise TriggerError(f'"{term}": the stream trigger is written "stream stalled"')
        return StallTrigger()
    if head == "quality":
        if len(words) != 3 or words[1].lower() != "below":
            raise TriggerError(f'"{term}": the quality trigger is written "quality below 80" (a score from 0 to 100)')
        below = _number(words[2], term)
        if not 0 < below <= 100:
            raise TriggerError(f'"{term}": a quality score is from 0 to 100, got {words[2]}')
        return QualityTrigger(below)
    return ConditionTrigger(term)  # e.g. "volume > 2 * sma(volume, 20)": the strategy language's volume


def _price(words: list[str], term: str) -> PriceTrigger:
    if len(words) != 3:
        raise TriggerError(f'"{term}": write "price <comparison> <level>", e.g. "price crosses_below 2675"')
    op = _op(words[1], PRICE_OPS, term)
    level = _number(words[2], term)
    if not level > 0:
        raise TriggerError(f'"{term}": a price level must be above 0, got {words[2]}')
    return PriceTrigger(op, level)  # type: ignore[arg-type]


def _change(words: list[str], term: str) -> ChangeTrigger:
    if len(words) != 4:
        raise TriggerError(
            f'"{term}": write "change <window> <above|below|beyond> <percent>", e.g. "change 1h above 5%"'
        )
    try:
        window = parse_duration(words[1], "window")
    except TriggerError as exc:
        raise TriggerError(f'"{term}": {exc}') from None
    if window < 60_000 or window % 60_000:
        raise TriggerError(f'"{term}": the window is a whole number of minutes (at least "1m"), got "{words[1]}"')
    if window > MAX_CHANGE_WINDOW_MS:
        raise TriggerError(f'"{term}": the window is at most "7d", got "{words[1]}"')
    op = _op(words[2], BAND_OPS, term)
    percent = _number(words[3], term, percent=True)
    if op == "beyond" and not percent > 0:
        raise TriggerError(f'"{term}": "beyond" takes a positive percent (it tests the size of the move either way)')
    return ChangeTrigger(window, op, percent)  # type: ignore[arg-type]


def _volume(words: list[str], term: str) -> VolumeSpikeTrigger:
    shape = 'write "volume spike 3x" or "volume spike 3x over 50 bars"'
    if len(words) not in (3, 6):
        raise TriggerError(f'"{term}": {shape}')
    factor_text = words[2].lower()
    if not factor_text.endswith("x"):
        raise TriggerError(f'"{term}": the spike factor ends in "x", e.g. "3x"')
    factor = _number(factor_text[:-1], term)
    if not 1 < factor <= 1000:
        raise TriggerError(f'"{term}": the spike factor is above 1 and at most 1000, got {words[2]}')
    bars = DEFAULT_SPIKE_BARS
    if len(words) == 6:
        if words[3].lower() != "over" or words[5].lower() not in ("bars", "bar"):
            raise TriggerError(f'"{term}": {shape}')
        if not words[4].isdigit() or not 3 <= int(words[4]) <= 5000:
            raise TriggerError(f'"{term}": the baseline is a whole number of bars from 3 to 5000, got "{words[4]}"')
        bars = int(words[4])
    return VolumeSpikeTrigger(factor, bars)


_ZSCORE = re.compile(r"^zscore\(\s*(?P<other>[^()\s]+)\s*\)\s+(?P<op>\S+)\s+(?P<band>\S+)$", re.IGNORECASE)


def _zscore(term: str) -> ZScoreTrigger:
    match = _ZSCORE.match(term)
    if match is None:
        raise TriggerError(f'"{term}": write "zscore(OTHER) beyond 2" with the other leg of the pair, e.g. BTC/USDT')
    op = _op(match.group("op"), BAND_OPS, term)
    band = _number(match.group("band"), term)
    if op == "beyond" and not band > 0:
        raise TriggerError(f'"{term}": "beyond" takes a positive band (it tests |z|)')
    if abs(band) > 100:
        raise TriggerError(f'"{term}": a z-score band is at most 100, got {match.group("band")}')
    return ZScoreTrigger(match.group("other").upper(), op, band)  # type: ignore[arg-type]


def describe_window(window_ms: int) -> str:
    """`3600000` → "1h" (the largest unit that divides it)."""
    for unit in ("w", "d", "h", "m", "s"):
        size = _DURATION_MS[unit]
        if window_ms % size == 0:
            return f"{window_ms // size}{unit}"
    return f"{window_ms}ms"


def needs_timeframe(trigger: Trigger) -> bool:
    """Whether the trigger is checked on the close of the rule's timeframe."""
    return isinstance(trigger, VolumeSpikeTrigger | ZScoreTrigger | ConditionTrigger)


def validate_timeframe(timeframe: str) -> str:
    """The timeframe as given, or `TriggerError` naming it."""
    try:
        timeframe_ms(timeframe)
    except ValueError as exc:
        raise TriggerError(str(exc)) from None
    return timeframe
