"""The one construction path: the engine for the TUI and `--headless`, the scan session for `--scan-once`.

Both faces get the same scan session from `build_scan_session`, so what a scan reads, how it updates candles,
how it notifies and where it records are decided once. `build_engine` is synchronous and cheap (the TUI calls it
right after its first frame): it validates what can be validated at once — the database opens, the replay file
exists — and raises `StartupError` with a one-line message otherwise. Everything slow happens when the engine
starts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from cryptoterm.adapters.notify_apprise import AppriseNotifier, NotifyConfigError
from cryptoterm.adapters.replay import recording_problem
from cryptoterm.adapters.store import SqliteStore, StoreError
from cryptoterm.adapters.store.setups_repo import SetupsRepo
from cryptoterm.config.schema import AppConfig, ExchangeConfig
from cryptoterm.ports.backtests import BacktestArchive
from cryptoterm.ports.clock import Clock
from cryptoterm.ports.compute import ComputeExecutor
from cryptoterm.ports.market import HistorySource
from cryptoterm.services.backtester import Backtester
from cryptoterm.services.candle_updater import CandleUpdater
from cryptoterm.services.engine import Engine, EnginePlan, OpenedMarket, Publish
from cryptoterm.services.scan_session import ScanSession
from cryptoterm.services.universe_provider import UniverseProvider
from cryptoterm.wiring.alerts import build_alert_engine, build_anomaly_monitor, config_rules
from cryptoterm.wiring.brokers import build_broker
from cryptoterm.wiring.errors import StartupError
from cryptoterm.wiring.live_broker import check_live_start
from cryptoterm.wiring.markets import DEMO_EXCHANGE, REPLAY_EXCHANGE, open_demo, open_live, open_replay
from cryptoterm.wiring.options import RunOptions
from cryptoterm.wiring.paths import resolve_db_path
from cryptoterm.wiring.trading_io import build_journal

if TYPE_CHECKING:
    from cryptoterm.adapters.ccxt_history import CcxtHistory

log = logging.getLogger(__name__)

#: Live bars close this long after their period ends, so trades delayed by clock skew or the network still count.
LIVE_CLOSE_GRACE_MS = 2_000


def open_store(config: AppConfig, options: RunOptions, *, batch_ms: int | None = None) -> SqliteStore:
    """The database the options and config name, opened and migrated; `StartupError` with one line if not."""
    db_path = resolve_db_path(config, options)
    try:
        return SqliteStore(db_path, batch_ms=config.store.batch_ms if batch_ms is None else batch_ms)
    except StoreError as exc:
        raise StartupError(str(exc)) from None


def store_at(path: str, *, batch_ms: int = 250) -> SqliteStore:
    """The store at `path` (created and migrated if needed); `StartupError` with one line if it cannot be."""
    try:
        return SqliteStore(path, batch_ms=batch_ms)
    except StoreError as exc:
        raise StartupError(str(exc)) from None


def exchange_history(exchange: ExchangeConfig) -> CcxtHistory:
    """The exchange's REST history through ccxt (ccxt itself is imported on the first request)."""
    from cryptoterm.adapters.ccxt_history import CcxtHistory

    return CcxtHistory(exchange)


def build_notifier(config: AppConfig, repo: SetupsRepo, clock: Clock, *, strict: bool) -> AppriseNotifier | None:
    """apprise for `[notify] urls`, recording every attempt. A URL apprise rejects is a `StartupError` when
    `strict` (a cron run must say so and stop), else an error line and notifications off (scans still run)."""
    if not config.notify.urls:
        return None
    try:
        return AppriseNotifier(config.notify, record=repo.record_notification, clock=clock)
    except NotifyConfigError as exc:
        if strict:
            raise StartupError(str(exc)) from None
        log.error("notifications are off: %s", exc)
        return None


def build_scan_session(
    config: AppConfig,
    store: SqliteStore,
    exchange: str,
    clock: Clock,
    *,
    history: HistorySource | None = None,
    default_symbols: Sequence[str] = (),
    strict: bool = False,
) -> ScanSession:
    """The scan session over `store`: candles updated from `history` (none: scan what is stored). `strict` is a
    cron run's: a notification URL apprise rejects stops it, and it prints strategy errors itself (so they are
    not logged a second time)."""
    repo = SetupsRepo(store)
    notifier = build_notifier(config, repo, clock, strict=strict)
    updater = CandleUpdater(history, store, exchange, clock) if history is not None else None
    return ScanSession(
        config,
        store,
        repo,
        exchange,
        clock,
        updater=updater,
        history=history,
        default_symbols=default_symbols,
        notifier=notifier,
        log_strategy_errors=not strict,
    )


def _engine_scans(
    config: AppConfig, store: SqliteStore, exchange: str, opened: OpenedMarket, clock: Clock
) -> ScanSession:
    return build_scan_session(config, store, exchange, clock, history=opened.history, default_symbols=opened.symbols)


def build_engine(config: AppConfig, options: RunOptions, publish: Publish | None = None) -> Engine:
    """The engine for `options.mode`; raises `StartupError` with a one-line message."""
    alert_rules = config_rules(config)  # a bad [[alert]] stops the start here, before anything opens
    if options.mode == "live":
        check_live_start(config)  # so do live orders without their keys, or with keys in the config file
    if options.mode == "replay":
        path = Path(options.replay_path or "")
        if (problem := recording_problem(path)) is not None:  # missing, unreadable or not a recording
            raise StartupError(problem)
        store = open_store(config, options)
        plan = EnginePlan(
            config=config,
            mode="replay",
            exchange=REPLAY_EXCHANGE,
            store=store,
            open_market=partial(open_replay, options),
            store_bars=False,  # nor its quality reports: a recording's data is not the store's (alerts still read them)
        )
    elif options.mode == "demo":
        store = open_store(config, options)
        plan = EnginePlan(
            config=config,
            mode="demo",
            exchange=DEMO_EXCHANGE,
            store=store,
            open_market=partial(open_demo, config),
            build_scans=partial(_engine_scans, config, store, DEMO_EXCHANGE),
            prepare_before_feed=True,
        )
    else:
        store = open_store(config, options)
        exchange = config.exchange.id
        plan = EnginePlan(
            config=config,
            mode="live",
            exchange=exchange,
            store=store,
            open_market=partial(open_live, config, options, store),
            build_scans=partial(_engine_scans, config, store, exchange),
            close_grace_ms=LIVE_CLOSE_GRACE_MS,
            backfill_history=True,
        )
    anomalies = partial(build_anomaly_monitor, config, store) if config.anomaly.enabled else None
    plan = replace(
        plan,
        build_alerts=partial(build_alert_engine, config, store, alert_rules),
        build_anomalies=anomalies,
        build_broker=partial(build_broker, config, store),
        build_journal=partial(build_journal, config, store),
    )
    return Engine(plan, publish)


@dataclass(slots=True)
class HeadlessScan:
    """What `--scan-once` runs: the store, the history source it updates from (None offline), the session."""

    store: SqliteStore
    history: HistorySource | None
    session: ScanSession

    async def close(self) -> None:
        try:
            if self.history is not None:
                await self.history.close()
        finally:
            self.session.close()
            self.store.close()


def build_scan_once(config: AppConfig, options: RunOptions, clock: Clock | None = None) -> HeadlessScan:
    """The scan session of a cron run: the exchange's REST history, the simulated market (`--demo`), or the
    store alone (`--offline`); `clock` defaults to the system clock. Raises `StartupError` (bad database path,
    unusable notification URL)."""
    if clock is None:
        from cryptoterm.adapters.clock import SystemClock

        clock = SystemClock()
    store = open_store(config, options, batch_ms=0)
    try:
        history: HistorySource | None = None
        exchange = DEMO_EXCHANGE if options.mode == "demo" else config.exchange.id
        default: Sequence[str] = config.watchlist.symbols
        if not options.offline and options.mode == "demo":
            from cryptoterm.adapters.sim import SimulatedMarket

            sim = SimulatedMarket.from_config(config.demo, clock.now_ms())
            history, default = sim, sim.symbols
        elif not options.offline:
            from cryptoterm.adapters.ccxt_history import CcxtHistory

            history = CcxtHistory(config.exchange, now_ms=clock.now_ms)
        session = build_scan_session(
            config, store, exchange, clock, history=history, default_symbols=default, strict=True
        )
    except BaseException:
        store.close()
        raise
    return HeadlessScan(store, history, session)


@dataclass(slots=True)
class BacktestParts:
    """What a `backtest` command runs on: the store's candles, the backtester, the archive of runs."""

    store: SqliteStore
    backtester: Backtester
    archive: BacktestArchive
    universe: UniverseProvider
    exchange: str
    executor: ComputeExecutor

    def close(self) -> None:
        self.executor.close()
        self.store.close()


def build_backtest(
    config: AppConfig, options: RunOptions, *, workers: int | None = None, cluster: str | None = None
) -> BacktestParts:
    """The backtester over the configured database (`--demo`: the simulated market's candles), with the compute
    executor sweeps and walk-forward runs use (`[compute]`, overridden by `workers` / `cluster`)."""
    from cryptoterm.adapters.store.backtests_repo import BacktestsRepo
    from cryptoterm.wiring.compute import build_executor

    executor = build_executor(config.compute, workers=workers, scheduler=cluster)
    try:
        store = open_store(config, options, batch_ms=0)
    except StartupError:
        executor.close()
        raise
    exchange = DEMO_EXCHANGE if options.mode == "demo" else config.exchange.id
    universes = {s.name: s.universe for s in config.strategy}
    universe = UniverseProvider(store, exchange, universes, config.watchlist.symbols)
    backtester = Backtester(store, exchange, config.scanner)
    return BacktestParts(store, backtester, BacktestsRepo(store), universe, exchange, executor)
