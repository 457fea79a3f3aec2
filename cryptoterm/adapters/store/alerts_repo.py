"""Alert rules, firings and delivery attempts in the SQLite store (`alerts`, `alert_events`, `alert_deliveries`).

Rules are keyed by name. Config rules are written at every start (`sync_config_rules`) so their firings link to a
row and their state (fired count, last firing) outlives the process; a config rule that left the config is
retired, not deleted, and its history stays. User rules (the TUI, `cryptoterm alerts add`) are stored whole. A
firing and the rule's new state are written in one transaction, so a one-time rule that fired can never fire
again after a crash. Writes go through the store's one writer; reads use its read-only pool.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from sqlite_utils import Database

from cryptoterm.adapters.store.sqlite_store import SqliteStore
from cryptoterm.domain.alerts import AlertRule, AlertRuleError, AlertState, RuleFields, build_rule, rule_fields
from cryptoterm.ports.alerts import AlertEvent, AlertFiring, DeliveryAttempt, DeliveryStatus, StoredRule

log = logging.getLogger(__name__)

_RULE_COLUMNS = (
    "id, name, origin, symbol, when_text, timeframe, cooldown_ms, once, expires_ms, enabled, tags_json, message,"
    " updated_ms, last_fired_ms, fired"
)
_EVENT_COLUMNS = (
    "id, alert_id, alert_name, ts, symbol, kind, price, value, title, message, values_json, test, status,"
    " attempts, error, read"
)


class AlertsRepo:
    """The `AlertStore` port over a `SqliteStore`."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    # -- rules ----------------------------------------------------------------------------------------------

    def sync_config_rules(self, rules: Sequence[AlertRule], now_ms: int) -> None:
        names = [rule.name for rule in rules]

        def write(db: Database) -> None:
            for rule in rules:
                clash = db.execute("SELECT origin FROM alerts WHERE name = ?", (rule.name,)).fetchone()
                if clash is not None and clash[0] == "user":
                    raise ValueError(
                        f'alert "{rule.name}" is defined in the config and was also created in the app; '
                        "rename one of them (cryptoterm alerts remove NAME removes the app's)"
                    )
                db.execute(
                    "INSERT INTO alerts (name, origin, symbol, when_text, kind, timeframe, cooldown_ms, once,"
                    " expires_ms, enabled, tags_json, message, created_ms, updated_ms)"
                    " VALUES (?, 'config', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (name) DO UPDATE SET symbol = excluded.symbol, when_text = excluded.when_text,"
                    " kind = excluded.kind, timeframe = excluded.timeframe, cooldown_ms = excluded.cooldown_ms,"
                    " once = excluded.once, expires_ms = excluded.expires_ms, enabled = excluded.enabled,"
                    " tags_json = excluded.tags_json, message = excluded.message, retired_ms = NULL,"
                    " updated_ms = CASE WHEN alerts.when_text = excluded.when_text AND alerts.symbol ="
                    " excluded.symbol AND alerts.retired_ms IS NULL THEN alerts.updated_ms ELSE excluded.updated_ms"
                    " END",
                    (*_rule_values(rule), now_ms, now_ms),
                )
            marks = ", ".join("?" for _ in names)
            db.execute(
                f"UPDATE alerts SET retired_ms = ? WHERE origin = 'config' AND retired_ms IS NULL"
                f" AND name NOT IN ({marks})",
                (now_ms, *names),
            )

        self._store.writer.call(write, what="alert rules")

    def rules(self) -> list[StoredRule]:
        with self._store.reader() as db:
            rows = db.execute(f"SELECT {_RULE_COLUMNS} FROM alerts WHERE retired_ms IS NULL ORDER BY id").fetchall()
        stored: list[StoredRule] = []
        for row in rows:
            try:
                stored.append(_stored_rule(row))
            except AlertRuleError as exc:
                log.warning("stored alert rule skipped: %s", exc)
        return stored

    def save_rule(self, rule: AlertRule, now_ms: int) -> AlertRule:
        def write(db: Database) -> int:
            found = db.execute("SELECT id, origin FROM alerts WHERE name = ?", (rule.name,)).fetchone()
            if found is not None and found[1] == "config":
                raise ValueError(f'alert "{rule.name}" is defined in the config file; edit it there')
            if found is None:
                cur = db.execute(
                    "INSERT INTO alerts (name, origin, symbol, when_text, kind, timeframe, cooldown_ms, once,"
                    " expires_ms, enabled, tags_json, message, created_ms, updated_ms)"
                    " VALUES (?, 'user', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*_rule_values(rule), now_ms, now_ms),
                )
                return int(cur.lastrowid or 0)
            db.execute(
                "UPDATE alerts SET symbol = ?, when_text = ?, kind = ?, timeframe = ?, cooldown_ms = ?, once = ?,"
                " expires_ms = ?, enabled = ?, tags_json = ?, message = ?, updated_ms = ?, retired_ms = NULL"
                " WHERE id = ?",
                (*_rule_values(rule)[1:], now_ms, int(found[0])),
            )
            return int(found[0])

        rule_id = self._store.writer.call(write, what="alert rule")
        return build_rule(rule_fields(rule), origin="user", rule_id=rule_id)

    def delete_rule(self, name: str) -> bool:
        def write(db: Database) -> bool:
            found = db.execute("SELECT origin FROM alerts WHERE name = ?", (name,)).fetchone()
            if found is None:
                return False
            if found[0] == "config":
                raise ValueError(f'alert "{name}" is defined in the config file; remove it there')
            db.execute("DELETE FROM alerts WHERE name = ?", (name,))
            return True

        return self._store.writer.call(write, what="alert rule")

    # -- firings --------------------------------------------------------------------------------------------

    def record_firing(self, firing: AlertFiring) -> int:
        def write(db: Database) -> int:
            rule_id = firing.rule_id or None
            if rule_id is None and firing.rule_name:
                found = db.execute("SELECT id FROM alerts WHERE name = ?", (firing.rule_name,)).fetchone()
                rule_id = int(found[0]) if found else None
            cur = db.execute(
                "INSERT INTO alert_events (alert_id, alert_name, ts, symbol, kind, price, value, title, message,"
                " values_json, test) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    rule_id,
                    firing.rule_name,
                    firing.ts,
                    firing.symbol,
                    firing.kind,
                    firing.price,
                    firing.value,
                    firing.title,
                    firing.message,
                    json.dumps(dict(firing.values), ensure_ascii=False),
                    int(firing.test),
                ),
            )
            if rule_id is not None and not firing.test:
                db.execute("UPDATE alerts SET last_fired_ms = ?, fired = fired + 1 WHERE id = ?", (firing.ts, rule_id))
            return int(cur.lastrowid or 0)

        return self._store.writer.call(write, what="alert firing")

    def record_delivery(self, event_id: int, attempt: DeliveryAttempt) -> None:
        def write(db: Database) -> None:
            db.execute(
                "INSERT INTO alert_deliveries (event_id, ts, channel, attempt, delivered, error)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (event_id, attempt.ts, attempt.channel, attempt.attempt, int(attempt.delivered), attempt.error),
            )
            db.execute("UPDATE alert_events SET attempts = attempts + 1 WHERE id = ?", (event_id,))

        self._store.writer.submit(write, what="alert delivery")

    def finish_event(self, event_id: int, status: DeliveryStatus, attempts: int, error: str) -> None:
        def write(db: Database) -> None:
            db.execute("UPDATE alert_events SET status = ?, error = ? WHERE id = ?", (status, error, event_id))

        self._store.writer.submit(write, what="alert delivery")

    def events(self, limit: int = 200, *, since_ms: int | None = None, until_ms: int | None = None) -> list[AlertEvent]:
        sql = f"SELECT {_EVENT_COLUMNS} FROM alert_events WHERE 1 = 1"
        args: list[Any] = []
        if since_ms is not None:
            sql += " AND ts >= ?"
            args.append(since_ms)
        if until_ms is not None:
            sql += " AND ts < ?"
            args.append(until_ms)
        sql += " ORDER BY ts DESC, id DESC LIMIT ?"
        args.append(limit)
        with self._store.reader() as db:
            rows = db.execute(sql, args).fetchall()
            ids = [int(row[0]) for row in rows]
            attempts: dict[int, list[DeliveryAttempt]] = {i: [] for i in ids}
            if ids:
                marks = ", ".join("?" for _ in ids)
                for event_id, ts, channel, attempt, delivered, error in db.execute(
                    "SELECT event_id, ts, channel, attempt, delivered, error FROM alert_deliveries"
                    f" WHERE event_id IN ({marks}) ORDER BY id",
                    ids,
                ):
                    attempts[int(event_id)].append(
                        DeliveryAttempt(int(ts), str(channel), int(attempt), bool(delivered), str(error))
                    )
        return [_event(row, tuple(attempts[int(row[0])])) for row in rows]

    def mark_read(self, event_ids: Sequence[int]) -> None:
        ids = [int(i) for i in event_ids]
        if not ids:
            return
        marks = ", ".join("?" for _ in ids)

        def write(db: Database) -> None:
            db.execute(f"UPDATE alert_events SET read = 1 WHERE id IN ({marks})", ids)

        self._store.writer.submit(write, what="alert events read")


def _rule_values(rule: AlertRule) -> tuple[Any, ...]:
    return (
        rule.name,
        rule.symbol,
        rule.when,
        rule.kind,
        rule.timeframe,
        rule.cooldown_ms,
        int(rule.once),
        rule.expires_ms,
        int(rule.enabled),
        json.dumps(list(rule.tags)),
        rule.message,
    )


def _stored_rule(row: Sequence[Any]) -> StoredRule:
    (rule_id, name, origin, symbol, when, timeframe, cooldown_ms, once, expires_ms, enabled, tags, message,
     updated_ms, last_fired_ms, fired) = row  # fmt: skip
    fields = RuleFields(
        name=str(name),
        when=str(when),
        symbol=str(symbol),
        timeframe=str(timeframe),
        cooldown=f"{int(cooldown_ms) // 1000}s" if cooldown_ms else "0",
        once=bool(once),
        expires="" if expires_ms is None else str(int(expires_ms)),
        enabled=bool(enabled),
        tags=tuple(json.loads(tags)),
        message=str(message),
    )
    rule = build_rule(fields, origin="config" if origin == "config" else "user", rule_id=int(rule_id))
    state = AlertState(last_fired_ms=None if last_fired_ms is None else int(last_fired_ms), fired=int(fired))
    return StoredRule(rule, state, int(updated_ms))


def _event(row: Sequence[Any], deliveries: tuple[DeliveryAttempt, ...]) -> AlertEvent:
    (event_id, alert_id, name, ts, symbol, kind, price, value, title, message, values_json, test, status,
     attempts, error, read) = row  # fmt: skip
    firing = AlertFiring(
        rule_name=str(name),
        rule_id=int(alert_id or 0),
        ts=int(ts),
        symbol=str(symbol),
        kind=str(kind),
        title=str(title),
        message=str(message),
        price=None if price is None else float(price),
        value=None if value is None else float(value),
        values={str(k): float(v) for k, v in json.loads(values_json).items()},
        test=bool(test),
    )
    return AlertEvent(int(event_id), firing, status, int(attempts), str(error), bool(read), deliveries)
