"""When a rule fires: a pure step from (rule, state, what the check saw, market time) to a verdict.

Two kinds of checks feed it. A **level** check (price above a level, a condition, a z-score beyond a band, a
quality score below N) says whether the trigger holds now; the rule fires when it *starts* holding, so a price
that sits above the level fires once, not on every trade, and fires again only after it fell back and rose
again. An **event** check (a crossing, a stall) is true at the moment the thing happened; every event is a
candidate. Either way a candidate is then gated, in this order: paused rules never fire, a one-time rule that
fired is spent, an expired rule is over, and a rule in its cooldown stays quiet (the candidate is dropped, not
queued: a crossing that whipsaws during the cooldown fires once). Market time that went back before the last
firing (an older recording replayed over the same database) is a different session, not a cooldown.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, NamedTuple

from cryptoterm.domain.alerts.rules import AlertRule

Suppressed = Literal["", "paused", "spent", "expired", "cooldown", "holding"]


@dataclass(frozen=True, slots=True)
class AlertState:
    """What a rule remembers between checks; `last_fired_ms` and `fired` survive restarts (the database)."""

    holding: bool = False
    last_fired_ms: int | None = None
    fired: int = 0


class Verdict(NamedTuple):
    """The outcome of one check: fire or not, the state after it, and why a candidate was dropped."""

    fire: bool
    state: AlertState
    suppressed: Suppressed = ""


def step(rule: AlertRule, state: AlertState, holds: bool, now_ms: int, *, event: bool = False) -> Verdict:
    """One check of `rule` at market time `now_ms` (see the module docstring)."""
    after = replace(state, holding=holds) if state.holding != holds else state
    if not holds:
        return Verdict(False, after)
    if not event and state.holding:
        return Verdict(False, after, "holding")
    if not rule.enabled:
        return Verdict(False, after, "paused")
    if rule.once and state.fired > 0:
        return Verdict(False, after, "spent")
    if rule.expired(now_ms):
        return Verdict(False, after, "expired")
    if state.last_fired_ms is not None and 0 <= now_ms - state.last_fired_ms < rule.cooldown_ms:
        return Verdict(False, after, "cooldown")
    return Verdict(True, AlertState(holding=True, last_fired_ms=now_ms, fired=state.fired + 1))


def spent(rule: AlertRule, state: AlertState, now_ms: int) -> bool:
    """Whether the rule can never fire again (a one-time rule that fired, or an expired one)."""
    return (rule.once and state.fired > 0) or rule.expired(now_ms)
