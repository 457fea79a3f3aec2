"""What an alert says when it fires: its title and its message, the rule's template filled with the values that
fired (prices at the precision notifications use everywhere, the time in UTC). The engine and `cryptoterm alerts
test` build firings here, so a test message reads exactly like a real one."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from cryptoterm.domain.alerts import AlertRule, render
from cryptoterm.domain.alerts.triggers import PriceTrigger
from cryptoterm.ports.alerts import AlertFiring
from cryptoterm.services.notifications import format_price


def firing_for(
    rule: AlertRule,
    ts: int,
    *,
    price: float | None = None,
    value: float | None = None,
    values: Mapping[str, float] | None = None,
    what: str = "",
    test: bool = False,
) -> AlertFiring:
    """The firing of `rule` at `ts` with the values that fired: its title and its message from the template."""
    trigger = rule.trigger
    level = trigger.level if isinstance(trigger, PriceTrigger) else None
    symbol = rule.symbol or what
    filled = {
        "name": rule.name,
        "symbol": symbol,
        "price": format_price(price) if price is not None else "—",
        "level": format_price(level) if level is not None else "",
        "value": _format_value(value),
        "when": rule.when,
        "time": datetime.fromtimestamp(ts / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "timeframe": rule.timeframe,
    }
    return AlertFiring(
        rule_name=rule.name,
        rule_id=rule.id,
        ts=ts,
        symbol=symbol,
        kind=rule.kind,
        title=f"{'Test · ' if test else ''}Alert {rule.name} · {symbol or rule.when}",
        message=render(rule.message, filled),
        price=price,
        value=value,
        values=dict(values or {}),
        tags=rule.tags,
        test=test,
    )


def _format_value(value: float | None) -> str:
    if value is None:
        return "—"
    return format_price(value) if abs(value) >= 100 else f"{value:.4g}"
