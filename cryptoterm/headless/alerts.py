"""`cryptoterm alerts list | add | remove | test`: the alert rules for scripts, over the same store and rules as
the running engine (the config's `[[alert]]` tables and the rules created in the TUI).

`list` prints every rule with its state (fired count, last firing, spent) and the newest firings with their
delivery status; `add` checks a rule exactly as the TUI's form does and stores it (a running engine picks it up at
its next start); `remove` deletes a stored rule (config rules are removed from the config); `test` sends the
rule's message now through the configured apprise URLs, stores it as a test firing with every attempt, and
reports the outcome. `--json` prints one JSON object.

Exit codes: 0 done; 1 `test` could not deliver (no URL subscribed, or every attempt failed); 2 bad usage,
configuration or rule (one line naming the rule and the field).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

import orjson

from cryptoterm.config.schema import AppConfig
from cryptoterm.domain.alerts import AlertRule, AlertRuleError, AlertState, RuleFields, build_rule, rule_fields, spent
from cryptoterm.ports.alerts import AlertEvent
from cryptoterm.wiring.errors import StartupError
from cryptoterm.wiring.options import RunOptions

if TYPE_CHECKING:
    from cryptoterm.wiring.alerts import AlertTools

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2
PROG = "cryptoterm alerts"


def run(config: AppConfig, args: argparse.Namespace, options: RunOptions, *, out: TextIO | None = None) -> int:
    """Entry point called by the CLI; returns the exit code."""
    stdout = out if out is not None else sys.stdout
    from cryptoterm.wiring.alerts import open_alert_tools

    try:
        tools = open_alert_tools(config, options)
    except StartupError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        action = args.alerts_action
        if action == "list":
            return _list(tools, args, stdout)
        if action == "add":
            return _add(tools, args, stdout)
        if action == "remove":
            return _remove(tools, args, stdout)
        return _test(tools, args, stdout)
    except (AlertRuleError, ValueError) as exc:
        print(f"{PROG} {args.alerts_action}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        tools.close()


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _rules(tools: AlertTools) -> list[tuple[AlertRule, AlertState]]:
    """Config rules (with their stored state) and stored user rules, in that order."""
    stored = {s.rule.name: s for s in tools.repo.rules()}
    rows: list[tuple[AlertRule, AlertState]] = []
    for rule in tools.config_rules:
        found = stored.get(rule.name)
        rows.append((rule, found.state if found is not None and found.rule.origin == "config" else AlertState()))
    rows += [(s.rule, s.state) for s in stored.values() if s.rule.origin == "user"]
    return rows


def _iso(ms: int | None) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rule_json(rule: AlertRule, state: AlertState, now: int) -> dict[str, Any]:
    fields = rule_fields(rule)
    return {
        "name": rule.name,
        "origin": rule.origin,
        "symbol": rule.symbol,
        "when": rule.when,
        "kind": rule.kind,
        "timeframe": rule.timeframe,
        "cooldown": fields.cooldown,
        "once": rule.once,
        "expires": fields.expires,
        "enabled": rule.enabled,
        "tags": list(rule.tags),
        "message": rule.message,
        "fired": state.fired,
        "last_fired": _iso(state.last_fired_ms),
        "spent": spent(rule, state, now),
    }


def _event_json(event: AlertEvent) -> dict[str, Any]:
    firing = event.firing
    return {
        "id": event.id,
        "alert": firing.rule_name,
        "time": _iso(firing.ts),
        "time_ms": firing.ts,
        "symbol": firing.symbol,
        "kind": firing.kind,
        "price": firing.price,
        "value": firing.value,
        "title": firing.title,
        "message": firing.message,
        "test": firing.test,
        "status": event.status,
        "attempts": event.attempts,
        "error": event.error,
    }


def _list(tools: AlertTools, args: argparse.Namespace, out: TextIO) -> int:
    now = _now_ms()
    rules = _rules(tools)
    events = tools.repo.events(limit=max(0, args.events)) if args.events > 0 else []
    if args.alerts_json:
        payload = {"rules": [_rule_json(r, s, now) for r, s in rules], "events": [_event_json(e) for e in events]}
        out.write(orjson.dumps(payload).decode() + "\n")
        return EXIT_OK
    if not rules:
        print("no alert rules (add [[alert]] tables to the config, or: cryptoterm alerts add NAME --when …)", file=out)
    for rule, state in rules:
        flags: list[str] = [rule.origin]
        if not rule.enabled:
            flags.append("paused")
        if spent(rule, state, now):
            flags.append("spent")
        fired = f"fired {state.fired}×, last {_iso(state.last_fired_ms)}" if state.fired else "never fired"
        where = f"{rule.symbol} " if rule.symbol else ""
        print(f"{rule.name:<24} {where}{rule.when}  [{', '.join(flags)}]  {fired}", file=out)
    if events:
        print("", file=out)
        print("recent firings:", file=out)
        for event in events:
            test = " (test)" if event.firing.test else ""
            print(
                f"{_iso(event.firing.ts)}  {event.firing.rule_name}{test}  {event.status}"
                f" ({event.attempts} attempt{'s' if event.attempts != 1 else ''})  {event.firing.message}",
                file=out,
            )
    return EXIT_OK


def _add(tools: AlertTools, args: argparse.Namespace, out: TextIO) -> int:
    fields = RuleFields(
        name=args.alert_name,
        when=args.when,
        symbol=args.symbol,
        timeframe=args.timeframe,
        cooldown=args.cooldown,
        once=args.once,
        expires=args.expires,
        enabled=not args.paused,
        tags=tuple(t for t in args.tags.split(",") if t.strip()),
        message=args.message,
    )
    rule = build_rule(fields, origin="user")
    if any(r.name == rule.name for r in tools.config_rules):
        raise ValueError(f'alert "{rule.name}" is defined in the config file; edit it there')
    saved = tools.repo.save_rule(rule, _now_ms())
    if args.alerts_json:
        out.write(orjson.dumps(_rule_json(saved, AlertState(), _now_ms())).decode() + "\n")
    else:
        print(f'stored alert "{saved.name}": {saved.symbol} {saved.when}'.replace(":  ", ": "), file=out)
    return EXIT_OK


def _remove(tools: AlertTools, args: argparse.Namespace, out: TextIO) -> int:
    name = args.alert_name
    if any(r.name == name for r in tools.config_rules):
        raise ValueError(f'alert "{name}" is defined in the config file; remove it there')
    if not tools.repo.delete_rule(name):
        raise ValueError(f'no alert named "{name}" (see cryptoterm alerts list)')
    if args.alerts_json:
        out.write(orjson.dumps({"removed": name}).decode() + "\n")
    else:
        print(f'removed alert "{name}" (its firings stay in the database)', file=out)
    return EXIT_OK


def _test(tools: AlertTools, args: argparse.Namespace, out: TextIO) -> int:
    from cryptoterm.services.alert_delivery import AlertDelivery
    from cryptoterm.services.alert_messages import firing_for

    rules = {rule.name: rule for rule, _ in _rules(tools)}
    rule = rules.get(args.alert_name)
    if rule is None:
        raise ValueError(f'no alert named "{args.alert_name}" (see cryptoterm alerts list)')
    if rule.origin == "config":
        tools.repo.sync_config_rules(tools.config_rules, _now_ms())
        rule = next(s.rule for s in tools.repo.rules() if s.rule.name == rule.name)
    delivery = AlertDelivery(tools.repo, tools.channels)
    events: list[AlertEvent] = []
    delivery.on_event(events.append)
    delivery.submit(firing_for(rule, _now_ms(), test=True))
    asyncio.run(delivery.drain())
    final = events[-1]
    if args.alerts_json:
        out.write(orjson.dumps(_event_json(final)).decode() + "\n")
    elif final.status == "no_channel":
        tags = ", ".join(f"#{t}" for t in rule.tags) or "no tags (every untagged URL and #alert)"
        print(f'alert "{rule.name}": no notification URL takes it ({tags}); see [notify].urls', file=out)
    else:
        attempts = f"{final.attempts} attempt{'s' if final.attempts != 1 else ''}"
        error = f": {final.error}" if final.error else ""
        print(f'alert "{rule.name}": test message {final.status} ({attempts}){error}', file=out)
    return EXIT_OK if final.status == "delivered" else EXIT_ERRORS
