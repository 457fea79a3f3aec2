"""`cryptoterm --scan-once`: update candles, run the strategies once, record and notify setups, print, exit.

Made for cron. Steps: compile the strategies (all enabled ones, or those named with `--strategy`), take the
scan lock beside the database (a second overlapping run exits at once with code 1, see `headless.lock`),
bring candles up to date (the exchange through ccxt, `--demo` the simulated market, `--offline` nothing:
the store only), advance open setups through the bars that closed since the last run, scan, deliver
notifications, print the new setups, exit.

Output: a plain table on stdout, or with `--json` one JSON object per new setup per line (strategy, symbol,
timeframe, direction, entry, stop, targets, rr, size, risk, state, bar_time ISO-8601 UTC and bar_time_ms).
A summary and any errors go to stderr, so stdout stays machine-readable.

Exit codes: 0 scan ran without errors; 1 some symbol or update failed (the rest was still scanned and
recorded), or another scan holds the lock; 2 bad usage or configuration (unknown `--strategy` name, a
strategy that does not compile, an unusable notification URL or database path).

Never imports textual (a test checks `sys.modules` in a subprocess).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TextIO

import orjson

from cryptoterm.adapters.clock import SystemClock
from cryptoterm.adapters.errors import redact
from cryptoterm.adapters.notify_apprise import AppriseNotifier, NotifyConfigError
from cryptoterm.adapters.store.candles import SqliteStore
from cryptoterm.adapters.store.database import StoreError
from cryptoterm.adapters.store.setups_repo import SetupsRepo
from cryptoterm.config.schema import AppConfig, StrategyConfig
from cryptoterm.domain.setups import Setup
from cryptoterm.domain.strategy import CompiledStrategy, StrategyError, compile_strategy
from cryptoterm.domain.timeframes import bucket_start, timeframe_ms
from cryptoterm.headless.lock import LockBusy, ScanLock, lock_path_for
from cryptoterm.ports.clock import Clock
from cryptoterm.ports.market import HistorySource
from cryptoterm.services.notifications import NotificationOutbox, format_price
from cryptoterm.services.scanner import ScanError, Scanner, ScanReport, UniverseProvider
from cryptoterm.services.setup_tracker import SetupTracker, TrackedChange
from cryptoterm.services.strategy_snapshots import snapshot_strategies
from cryptoterm.wiring.options import RunOptions
from cryptoterm.wiring.paths import resolve_db_path

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2
PROG = "cryptoterm --scan-once"
#: The simulated market's candles are stored under this exchange key, apart from real ones.
DEMO_EXCHANGE = "sim"


class UsageError(Exception):
    """Bad command line or configuration for a scan; the message is shown as is."""


@dataclass(frozen=True, slots=True)
class Plan:
    """The strategies to run, compiled, with their configs (for universes)."""

    configs: tuple[StrategyConfig, ...]
    compiled: tuple[CompiledStrategy, ...]


def select_strategies(config: AppConfig, names: Sequence[str]) -> Plan:
    """Compile the enabled strategies, or exactly the named ones (enabled or not). Raises UsageError."""
    every = {s.name: s for s in config.strategy}
    if names:
        unknown = [n for n in names if n not in every]
        if unknown:
            valid = ", ".join(sorted(every)) or "none are configured"
            raise UsageError(f"unknown strategy {unknown[0]!r}; valid names: {valid}")
        chosen = [every[n] for n in dict.fromkeys(names)]
    else:
        chosen = [s for s in config.strategy if s.enabled]
    if not chosen:
        where = f" in {config.source}" if config.source else " (no config file found)"
        raise UsageError(f"no enabled strategies{where}; add a [[strategy]] table (see config.example.toml)")
    compiled = []
    for cfg in chosen:
        try:
            compiled.append(compile_strategy(cfg))
        except StrategyError as exc:
            raise UsageError(str(exc)) from None
    return Plan(tuple(chosen), tuple(compiled))


def run(
    config: AppConfig,
    options: RunOptions,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    clock: Clock | None = None,
) -> int:
    """Run one headless scan as described in the module docstring; returns the exit code.

    `out`/`err` default to the process's stdout/stderr; `clock` (default: the system clock) decides which bar
    is the last closed one.
    """
    stdout = out if out is not None else sys.stdout
    stderr = err if err is not None else sys.stderr
    try:
        plan = select_strategies(config, options.strategies)
    except UsageError as exc:
        print(f"{PROG}: {exc}", file=stderr)
        return EXIT_USAGE
    db_path = resolve_db_path(config, options)
    try:
        with ScanLock(lock_path_for(db_path)):
            return asyncio.run(_run(config, options, plan, db_path, stdout, stderr, clock or SystemClock()))
    except LockBusy as exc:
        print(f"{PROG}: {exc}; exiting", file=stderr)
        return EXIT_ERRORS
    except (StoreError, NotifyConfigError) as exc:
        print(f"{PROG}: {exc}", file=stderr)
        return EXIT_USAGE


async def _run(
    config: AppConfig,
    options: RunOptions,
    plan: Plan,
    db_path: str,
    stdout: TextIO,
    stderr: TextIO,
    clock: Clock,
) -> int:
    demo = options.mode == "demo"
    exchange = DEMO_EXCHANGE if demo else config.exchange.id
    secrets = tuple(s for s in (config.exchange.api_key, config.exchange.api_secret) if s)
    with SqliteStore(db_path, batch_ms=0) as store:
        repo = SetupsRepo(store)
        notifier = (
            AppriseNotifier(config.notify, record=repo.record_notification, clock=clock) if config.notify.urls else None
        )
        outbox = NotificationOutbox(notifier, config.notify.events, secrets=secrets)
        history: HistorySource | None = None
        update_errors: list[ScanError] = []
        try:
            history = None if options.offline else _history(config, demo, clock)
            default = config.watchlist.symbols
            if demo and history is not None:
                default = list(getattr(history, "symbols", default))
            universe = UniverseProvider(store, exchange, {c.name: c.universe for c in plan.configs}, default, history)
            try:
                await universe.refresh()
            except Exception as exc:
                update_errors.append(ScanError("*", "*", f"universe: {type(exc).__name__}: {exc}"))
            scanner = Scanner(store, plan.compiled, config.scanner, exchange, clock, outbox, universe, repo=repo)
            await asyncio.to_thread(snapshot_strategies, repo, plan.configs, clock.now_ms())
            if history is not None:
                update_errors.extend(await _update_candles(scanner, universe, history, store, exchange, clock))
            tracker = SetupTracker(repo, clock, outbox, scanner.condition_at)
            changes = await asyncio.to_thread(_catch_up, tracker, repo, store, exchange, clock)
            report = await asyncio.to_thread(scanner.scan, "scan-once", config.scanner.lookback_bars)
            await outbox.drain()
        finally:
            if history is not None:
                await history.close()
            if notifier is not None:
                notifier.close()
    _print(report, options.json, stdout)
    _summarise(report, update_errors, stderr, secrets, changes)
    return EXIT_ERRORS if report.errors or update_errors else EXIT_OK


def _history(config: AppConfig, demo: bool, clock: Clock) -> HistorySource:
    if demo:
        from cryptoterm.adapters.sim import SimulatedMarket

        return SimulatedMarket.from_config(config.demo, clock.now_ms())
    from cryptoterm.adapters.ccxt_history import CcxtHistory

    return CcxtHistory(config.exchange, now_ms=clock.now_ms)


async def _update_candles(
    scanner: Scanner,
    universe: UniverseProvider,
    history: HistorySource,
    store: SqliteStore,
    exchange: str,
    clock: Clock,
) -> list[ScanError]:
    """Backfill what each strategy will read: its timeframe over its universe, plus the regime reference."""
    from cryptoterm.services.backfill import Backfiller

    backfiller = Backfiller(history, store, exchange, clock=clock)
    now = clock.now_ms()
    bars = scanner.history_bars
    wanted: dict[tuple[str, str], int] = {}
    for setup in scanner.repo.open_setups():  # open setups need their bars even if now outside every universe
        key = (setup.symbol, setup.timeframe)
        wanted[key] = min(wanted.get(key, now), setup.seen_until + 1)
    for strategy in scanner.strategies:
        span = (max(bars, int(strategy.warmup_bars) + 2) + 1) * timeframe_ms(strategy.timeframe)
        for symbol in universe.symbols_for(strategy.name):
            key = (symbol, strategy.timeframe)
            wanted[key] = min(wanted.get(key, now), now - span)
        if getattr(strategy, "uses_regime", False):
            regime = scanner.regime_config
            key = (regime.symbol, regime.timeframe)
            span = (max(bars, 600) + 1) * timeframe_ms(regime.timeframe)
            wanted[key] = min(wanted.get(key, now), now - span)
    errors: list[ScanError] = []
    for (symbol, timeframe), since in sorted(wanted.items()):
        try:
            await backfiller.backfill(symbol, timeframe, since)
        except Exception as exc:
            log.debug("backfill of %s %s failed", symbol, timeframe, exc_info=True)
            errors.append(ScanError("update", symbol, f"{timeframe} candles: {type(exc).__name__}: {exc}"))
    return errors


def _catch_up(
    tracker: SetupTracker, repo: SetupsRepo, store: SqliteStore, exchange: str, clock: Clock
) -> list[TrackedChange]:
    """Apply the bars that closed since each open setup was last advanced (cron runs have no live feed)."""
    now = clock.now_ms()
    since: dict[tuple[str, str], int] = {}
    for setup in repo.open_setups():
        key = (setup.symbol, setup.timeframe)
        since[key] = min(since.get(key, setup.seen_until), setup.seen_until)
    changes: list[TrackedChange] = []
    for (symbol, timeframe), first in sorted(since.items()):
        until = bucket_start(now, timeframe_ms(timeframe))
        candles = store.read_candles(exchange, symbol, timeframe, since_ms=first + 1, until_ms=until)
        changes.extend(tracker.catch_up(symbol, timeframe, candles))
    return changes


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat().replace("+00:00", "Z")


def setup_record(setup: Setup) -> dict[str, object]:
    """The JSON shape of one setup on `--json` output."""
    return {
        "id": setup.id,
        "strategy": setup.strategy,
        "symbol": setup.symbol,
        "timeframe": setup.timeframe,
        "direction": setup.direction,
        "entry": setup.entry,
        "stop": setup.stop,
        "targets": list(setup.targets),
        "rr": round(setup.rr, 4),
        "size": setup.size,
        "risk": setup.risk,
        "state": setup.state,
        "bar_time": _iso(setup.bar_time),
        "bar_time_ms": setup.bar_time,
    }


def _print(report: ScanReport, as_json: bool, out: TextIO) -> None:
    if as_json:
        for setup in report.new_setups:
            out.write(orjson.dumps(setup_record(setup)).decode() + "\n")
        out.flush()
        return
    if not report.new_setups:
        out.write("no new setups\n")
        return
    header = ("STRATEGY", "SYMBOL", "DIR", "ENTRY", "STOP", "TARGETS", "R:R", "STATE", "BAR (UTC)")
    rows = [
        (
            s.strategy,
            s.symbol,
            s.direction,
            format_price(s.entry),
            format_price(s.stop),
            " ".join(format_price(t) for t in s.targets),
            f"{s.rr:.2f}",
            s.state,
            _iso(s.bar_time)[:16].replace("T", " "),
        )
        for s in report.new_setups
    ]
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        out.write("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n")
    out.flush()


def _summarise(
    report: ScanReport,
    update_errors: list[ScanError],
    err: TextIO,
    secrets: Sequence[str],
    changes: Sequence[TrackedChange] = (),
) -> None:
    for change in changes:
        s = change.setup
        for t in change.transitions:
            err.write(
                f"setup: {s.strategy} {s.symbol} {s.direction}: {t.from_state} → {t.to_state} "
                f"at {format_price(t.price)} ({t.note})\n"
            )
    err.write(
        f"scan: {report.strategies} strategies, {report.symbols} symbols, {report.hits} hits, "
        f"{len(report.new_setups)} new setups, {len(report.duplicates)} already open, "
        f"{len(report.errors) + len(update_errors)} errors ({report.duration_ms} ms)\n"
    )
    for error in (*update_errors, *report.errors):
        err.write(redact(f"error: {error.strategy} {error.symbol}: {error.error}\n", tuple(secrets)))
    err.flush()
