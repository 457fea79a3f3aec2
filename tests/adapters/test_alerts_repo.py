"""Alert rules, firings and deliveries in SQLite: config rules keep their state across restarts and are retired
(not deleted) when they leave the config; user rules are stored whole; a firing updates its rule's state in the
same transaction; deliveries are attached to their firing."""

from __future__ import annotations

from pathlib import Path

import pytest

from cryptoterm.adapters.store import SqliteStore
from cryptoterm.adapters.store.alerts_repo import AlertsRepo
from cryptoterm.domain.alerts import AlertRule, RuleFields, build_rule
from cryptoterm.ports.alerts import AlertFiring, DeliveryAttempt


def config_rule(name: str, when: str = "price crosses_below 2675") -> AlertRule:
    return build_rule(RuleFields(name=name, when=when, symbol="ETH/USDT", cooldown="10m"), origin="config")


def test_config_rules_keep_their_state_and_are_retired_when_gone(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    with SqliteStore(db, batch_ms=0) as store:
        repo = AlertsRepo(store)
        repo.sync_config_rules([config_rule("eth-dip"), config_rule("other")], 1)
        [stored, _] = repo.rules()
        assert stored.rule.name == "eth-dip" and stored.rule.origin == "config" and stored.rule.cooldown_ms == 600_000
        event_id = repo.record_firing(
            AlertFiring("eth-dip", stored.rule.id, 5_000, "ETH/USDT", "price", "t", "m", price=2674.0)
        )
        repo.record_delivery(event_id, DeliveryAttempt(5_001, "json://127.0.0.1/hook", 1, False, "HTTP 500"))
        repo.record_delivery(event_id, DeliveryAttempt(5_002, "json://127.0.0.1/hook", 2, True))
        repo.finish_event(event_id, "delivered", 2, "")
    with SqliteStore(db, batch_ms=0) as store:  # a restart
        repo = AlertsRepo(store)
        repo.sync_config_rules([config_rule("eth-dip")], 10)
        [again] = repo.rules()
        assert again.state.fired == 1 and again.state.last_fired_ms == 5_000
        [event] = repo.events()
        assert (event.status, event.attempts, event.firing.price) == ("delivered", 2, 2674.0)
        assert [(d.attempt, d.delivered, d.error) for d in event.deliveries] == [(1, False, "HTTP 500"), (2, True, "")]
        with store.reader() as conn:
            retired = conn.execute("SELECT name FROM alerts WHERE retired_ms IS NOT NULL").fetchall()
        assert retired == [("other",)]


def test_user_rules_are_stored_whole_and_cannot_take_a_config_name(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "a.db", batch_ms=0) as store:
        repo = AlertsRepo(store)
        repo.sync_config_rules([config_rule("eth-dip")], 1)
        mine = build_rule(
            RuleFields(
                name="mine", when="rsi(14) @4h < 25", symbol="BTC/USDT", once=True, tags=("desk",), message="{name}"
            )
        )
        saved = repo.save_rule(mine, 2)
        assert saved.id > 0
        stored = {s.rule.name: s.rule for s in repo.rules()}
        assert stored["mine"] == saved and stored["mine"].timeframe == "4h" and stored["mine"].tags == ("desk",)
        with pytest.raises(ValueError, match="defined in the config file"):
            repo.save_rule(build_rule(RuleFields(name="eth-dip", when="price above 1", symbol="ETH/USDT")), 3)
        with pytest.raises(ValueError, match="defined in the config file"):
            repo.delete_rule("eth-dip")
        repo.record_firing(AlertFiring("mine", saved.id, 9, "BTC/USDT", "condition", "t", "m"))
        assert repo.delete_rule("mine") and not repo.delete_rule("mine")
        [event] = repo.events()
        assert event.firing.rule_name == "mine" and event.firing.rule_id == 0  # the history stays, unlinked


def test_a_config_rule_clashing_with_a_user_rule_is_refused(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "a.db", batch_ms=0) as store:
        repo = AlertsRepo(store)
        repo.save_rule(build_rule(RuleFields(name="eth-dip", when="price above 1", symbol="ETH/USDT")), 1)
        with pytest.raises(ValueError, match="also created in the app"):
            repo.sync_config_rules([config_rule("eth-dip")], 2)


def test_test_firings_do_not_change_the_rule(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "a.db", batch_ms=0) as store:
        repo = AlertsRepo(store)
        repo.sync_config_rules([config_rule("eth-dip")], 1)
        [stored] = repo.rules()
        repo.record_firing(AlertFiring("eth-dip", stored.rule.id, 5, "ETH/USDT", "price", "t", "m", test=True))
        [again] = repo.rules()
        assert again.state.fired == 0 and repo.events()[0].firing.test
