"""Alert parts built from the config: the rules of `[[alert]]`, apprise channels, the repository, the alert
engine, and the market anomaly monitor beside it.

The engine's alert engine (the TUI and `--headless`) and `cryptoterm alerts` (scripts) get their rules and
channels from here, so a rule means the same wherever it runs. Rules are checked here, at start: a bad rule is a
`StartupError` naming the file, the rule and the field, never a surprise when it should fire.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptoterm.config.schema import AlertConfig, AppConfig
from cryptoterm.domain.alerts import AlertRule, AlertRuleError, RuleFields, build_rule
from cryptoterm.ports.alerts import AlertChannels, AlertStore
from cryptoterm.wiring.errors import StartupError

if TYPE_CHECKING:
    from cryptoterm.adapters.notify_apprise import AppriseNotifier
    from cryptoterm.adapters.store import SqliteStore
    from cryptoterm.services.alert_engine import AlertEngine
    from cryptoterm.services.anomaly_monitor import AnomalyMonitor
    from cryptoterm.services.engine import Engine, OpenedMarket
    from cryptoterm.wiring.options import RunOptions

log = logging.getLogger(__name__)


def fields_of(table: AlertConfig) -> RuleFields:
    """An `[[alert]]` table as the fields of a rule."""
    return RuleFields(
        name=table.name,
        when=table.when,
        symbol=table.symbol,
        timeframe=table.timeframe,
        cooldown=table.cooldown,
        once=table.once,
        expires=table.expires,
        enabled=table.enabled,
        tags=tuple(table.tags),
        message=table.message,
    )


def config_rules(config: AppConfig) -> list[AlertRule]:
    """Every `[[alert]]` rule, checked; `StartupError` names the file, the rule and the field."""
    where = f"{Path(config.source).name}: " if config.source else ""
    rules: list[AlertRule] = []
    seen: set[str] = set()
    for position, table in enumerate(config.alert, start=1):
        try:
            rule = build_rule(fields_of(table), origin="config")
        except AlertRuleError as exc:
            raise StartupError(f"{where}[[alert]] #{position}: {exc}") from None
        if rule.name in seen:
            raise StartupError(f'{where}[[alert]] #{position}: alert "{rule.name}" is defined twice')
        seen.add(rule.name)
        rules.append(rule)
    return rules


def build_channels(config: AppConfig, *, strict: bool) -> AppriseNotifier | None:
    """apprise over `[notify].urls` for alerts (None without URLs). A URL apprise rejects is a `StartupError`
    when `strict`, else one error line and alerts without delivery (they are still stored and shown)."""
    if not config.notify.urls:
        return None
    from cryptoterm.adapters.notify_apprise import AppriseNotifier, NotifyConfigError

    try:
        return AppriseNotifier(config.notify)
    except NotifyConfigError as exc:
        if strict:
            raise StartupError(str(exc)) from None
        log.error("alert delivery is off: %s", exc)
        return None


def build_alert_engine(
    config: AppConfig, store: SqliteStore, rules: list[AlertRule], opened: OpenedMarket, engine: Engine
) -> AlertEngine:
    """The running engine's alert engine with `rules` (from `config_rules`, checked when the engine was built)
    and the stored ones, loaded (called in a thread once the market is open)."""
    from cryptoterm.adapters.store.alerts_repo import AlertsRepo
    from cryptoterm.adapters.store.pair_hedges import StoredPairHedges
    from cryptoterm.services.alert_delivery import AlertDelivery
    from cryptoterm.services.alert_engine import AlertEngine

    repo = AlertsRepo(store)
    secrets = (config.exchange.api_key, config.exchange.api_secret)
    delivery = AlertDelivery(repo, build_channels(config, strict=False), keep=config.alerts.feed_size, secrets=secrets)
    quality = engine.quality
    alerts = AlertEngine(
        repo,
        delivery,
        engine.feed,
        engine.now_ms,
        rules,
        health=lambda: engine.feed.stream.health(),
        quality=(lambda: dict(quality.latest)) if quality is not None else None,
        check_interval_s=config.alerts.check_interval_s,
        pair_hedges=StoredPairHedges(store).lookup,
    )
    alerts.load()
    return alerts


@dataclass(slots=True)
class AlertTools:
    """What `cryptoterm alerts` works with: the store, the repository, the config's rules, the channels."""

    store: SqliteStore
    repo: AlertStore
    config_rules: list[AlertRule]
    channels: AlertChannels | None

    def close(self) -> None:
        try:
            if self.channels is not None:
                self.channels.close()
        finally:
            self.store.close()


def open_alert_tools(config: AppConfig, options: RunOptions) -> AlertTools:
    """The store and rules for `cryptoterm alerts` (`StartupError`: a bad rule, database or notify URL)."""
    from cryptoterm.adapters.store.alerts_repo import AlertsRepo
    from cryptoterm.wiring.build import open_store

    rules = config_rules(config)
    channels = build_channels(config, strict=True)
    try:
        store = open_store(config, options, batch_ms=0)
    except StartupError:
        if channels is not None:
            channels.close()
        raise
    return AlertTools(store, AlertsRepo(store), rules, channels)


def build_anomaly_monitor(config: AppConfig, store: SqliteStore, engine: Engine) -> AnomalyMonitor:
    """The engine's market anomaly monitor (`[anomaly]`), storing its events in `events`."""
    from cryptoterm.adapters.store.events_repo import EventsRepo
    from cryptoterm.domain.anomaly import AnomalyParams
    from cryptoterm.services.anomaly_monitor import AnomalyMonitor

    section = config.anomaly
    params = AnomalyParams(
        window=section.window,
        warn_z=section.warn_z,
        critical_z=max(section.critical_z, section.warn_z),
        market_share=section.market_share,
        min_symbols=section.min_symbols,
    )
    return AnomalyMonitor(
        engine.feed, EventsRepo(store), engine.exchange, section.timeframe, params, keep=section.feed_size
    )
