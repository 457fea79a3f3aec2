"""An alert rule: what it watches (`when`), on which symbol, and how it behaves once it fires.

Rules come from two places — `[[alert]]` tables in the config and rules created in the TUI or with
`cryptoterm alerts add` (stored in the database) — and both are built here, by `build_rule`, so a rule is checked
the same way wherever it was written. Every mistake is an `AlertRuleError` naming the rule and the field:
`alert "eth-dip", when: "price crosses_belw 2675": unknown comparison "crosses_belw" (did you mean …)`.

Behaviour, in market time (the replay's or the simulation's clock, not the wall's):

* **cooldown** — after a firing, the rule stays quiet this long (a crossing that whipsaws fires once);
* **once** — the rule fires once ever, then is spent (kept, with its history, until removed);
* **expires** — after this moment the rule no longer fires;
* **enabled** — a paused rule is kept but never evaluated;
* **tags** — the apprise channels (URL `#tags`) the message goes to; none: every untagged channel and those
  tagged `alert`;
* **message** — a template with the values that fired: `{name} {symbol} {price} {level} {value} {when} {time}
  {timeframe}` (unknown placeholders are an error when the rule is built, not a surprise when it fires).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final, Literal

from cryptoterm.domain.alerts.triggers import (
    ConditionTrigger,
    QualityTrigger,
    StallTrigger,
    Trigger,
    TriggerError,
    ZScoreTrigger,
    describe_window,
    needs_timeframe,
    parse_duration,
    parse_when,
    trigger_kind,
)
from cryptoterm.domain.timeframes import TIMEFRAMES

Origin = Literal["config", "user"]

#: Placeholders a message template may use.
TEMPLATE_FIELDS: Final[tuple[str, ...]] = ("name", "symbol", "price", "level", "value", "when", "time", "timeframe")
#: The message when a rule has no template of its own.
DEFAULT_TEMPLATE: Final = "{name}: {symbol} {when} (value {value}, price {price}) at {time}"
#: Longest cooldown (30 days): longer is almost certainly a typo for "once".
MAX_COOLDOWN_MS: Final = 30 * 86_400_000
#: The timeframe of rules checked on bar closes when none is given (and the condition names no `@tf`).
DEFAULT_TIMEFRAME: Final = "1h"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.:/@+-]{0,63}$")
_TAG = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_AT_TF = re.compile(r"@(\d+[mhdw])")
_DATE_FORMATS: Final = ("%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")


class AlertRuleError(ValueError):
    """A rule that cannot be built; the message names the rule and the field and is ready to show."""


@dataclass(frozen=True, slots=True)
class AlertRule:
    """A checked rule. `id` is the database row (0 before the rule was stored)."""

    name: str
    symbol: str
    when: str
    trigger: Trigger
    timeframe: str
    cooldown_ms: int = 0
    once: bool = False
    expires_ms: int | None = None
    enabled: bool = True
    tags: tuple[str, ...] = ()
    message: str = ""
    origin: Origin = "user"
    id: int = 0

    @property
    def kind(self) -> str:
        return trigger_kind(self.trigger)

    def expired(self, now_ms: int) -> bool:
        return self.expires_ms is not None and now_ms >= self.expires_ms


@dataclass(frozen=True, slots=True)
class RuleFields:
    """A rule as written (config table, database row, form or command line), before it is checked."""

    name: str
    when: str
    symbol: str = ""
    timeframe: str = ""
    cooldown: str = "0"
    once: bool = False
    expires: str = ""
    enabled: bool = True
    tags: Sequence[str] = field(default_factory=tuple)
    message: str = ""


def parse_expiry(text: str) -> int | None:
    """`"2024-12-31"` / `"2024-12-31T18:00"` (UTC) / epoch ms → epoch ms; "" → None (never expires)."""
    value = text.strip()
    if not value:
        return None
    if value.isdigit():
        return int(value)
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(value.removesuffix("Z"), fmt)
        except ValueError:
            continue
        return int(parsed.replace(tzinfo=UTC).timestamp() * 1000)
    raise TriggerError(f'"{text}" is not a date; write YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC)')


def format_expiry(ms: int) -> str:
    """Epoch ms as `parse_expiry` reads it back: `2024-12-31T18:00` (UTC), seconds only when there are some."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    if ms % 1000:
        return str(ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S" if moment.second else "%Y-%m-%dT%H:%M")


def _check_condition(name: str, text: str, timeframe: str) -> None:
    """Compile a strategy condition now, so a form or a config reports its mistakes before the rule runs."""
    from cryptoterm.domain.alerts.conditions import compile_condition
    from cryptoterm.domain.strategy import StrategyError

    try:
        compile_condition(name, text, timeframe)
    except StrategyError as exc:
        raise AlertRuleError(str(exc)) from None


def check_template(template: str) -> str:
    """The template if every placeholder is known; `TriggerError` naming the first unknown one."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise TriggerError(f"{exc} (write {{{{ and }}}} for literal braces)") from None
    for _, name, spec, _ in parsed:
        if name is None:
            continue
        if name not in TEMPLATE_FIELDS:
            raise TriggerError(
                f'unknown placeholder "{{{name}}}"; use {", ".join("{" + f + "}" for f in TEMPLATE_FIELDS)}'
            )
        if spec:
            raise TriggerError(f'placeholder "{{{name}}}" takes no format ("{spec}"): values arrive formatted')
    return template


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill a checked template (missing values become empty)."""
    return str(string.Formatter().vformat(template or DEFAULT_TEMPLATE, (), _Blank(values)))


def default_timeframe(trigger: Trigger) -> str:
    """The coarsest `@tf` a condition names, else `DEFAULT_TIMEFRAME` (rules with bar-close checks only)."""
    if isinstance(trigger, ConditionTrigger):
        named: list[str] = [tf for tf in _AT_TF.findall(trigger.text) if tf in TIMEFRAMES]
        if named:
            return max(named, key=TIMEFRAMES.index)
    return DEFAULT_TIMEFRAME


def build_rule(fields: RuleFields, *, origin: Origin = "user", rule_id: int = 0) -> AlertRule:
    """Check every field of a rule and build it (strategy conditions are compiled by `alerts.conditions`)."""
    name = fields.name.strip()
    label = f'alert "{name}"' if name else "alert"

    def fail(key: str, message: str) -> AlertRuleError:
        return AlertRuleError(f"{label}, {key}: {message}")

    if not _NAME.match(name):
        raise fail("name", f'"{fields.name}" is not a name (1–64 letters, digits, spaces or _ . : / @ + -)')
    try:
        trigger = parse_when(fields.when)
    except TriggerError as exc:
        raise fail("when", str(exc)) from None
    symbol = fields.symbol.strip().upper()
    data_event = isinstance(trigger, StallTrigger | QualityTrigger)
    if not symbol and not data_event:
        raise fail("symbol", f'a {trigger_kind(trigger)} alert needs a symbol, e.g. "BTC/USDT"')
    if symbol and "/" not in symbol:
        raise fail("symbol", f'"{fields.symbol}" is not a symbol; write it as BASE/QUOTE, e.g. "BTC/USDT"')
    if isinstance(trigger, ZScoreTrigger):
        if "/" not in trigger.other:
            raise fail("when", f'"{trigger.other}" is not a symbol; write the other leg as BASE/QUOTE')
        if trigger.other == symbol:
            raise fail("when", f"a pair needs two different symbols (both are {symbol})")
    timeframe = fields.timeframe.strip()
    if timeframe and timeframe not in TIMEFRAMES:
        raise fail("timeframe", f'"{timeframe}" is not one of {", ".join(TIMEFRAMES)}')
    if not timeframe and needs_timeframe(trigger):
        timeframe = default_timeframe(trigger)
    if isinstance(trigger, ConditionTrigger):
        _check_condition(name, trigger.text, timeframe)
    try:
        cooldown = parse_duration(fields.cooldown or "0", "cooldown")
    except TriggerError as exc:
        raise fail("cooldown", str(exc)) from None
    if cooldown > MAX_COOLDOWN_MS:
        raise fail("cooldown", f'"{fields.cooldown}" is longer than 30 days (use once = true to fire only once)')
    try:
        expires = parse_expiry(fields.expires)
    except TriggerError as exc:
        raise fail("expires", str(exc)) from None
    tags: list[str] = []
    for tag in fields.tags:
        clean = tag.strip().lstrip("#")
        if not _TAG.match(clean):
            raise fail("tags", f'"{tag}" is not a tag (letters, digits, _ and -, as in a notify URL\'s #tags)')
        if clean not in tags:
            tags.append(clean)
    try:
        message = check_template(fields.message)
    except TriggerError as exc:
        raise fail("message", str(exc)) from None
    return AlertRule(
        name=name,
        symbol=symbol,
        when=" ".join(fields.when.split()),
        trigger=trigger,
        timeframe=timeframe,
        cooldown_ms=cooldown,
        once=fields.once,
        expires_ms=expires,
        enabled=fields.enabled,
        tags=tuple(tags),
        message=message,
        origin=origin,
        id=rule_id,
    )


def rule_fields(rule: AlertRule) -> RuleFields:
    """The fields a rule was built from, in the form they are written (for editing and storing)."""
    expires = "" if rule.expires_ms is None else format_expiry(rule.expires_ms)
    return RuleFields(
        name=rule.name,
        when=rule.when,
        symbol=rule.symbol,
        timeframe=rule.timeframe,
        cooldown=describe_window(rule.cooldown_ms) if rule.cooldown_ms else "0",
        once=rule.once,
        expires=expires,
        enabled=rule.enabled,
        tags=rule.tags,
        message=rule.message,
    )
