"""The scanner, setup tracker and notifier of a running product, built once for a `Runtime`.

`Scanning` is what the TUI drives: it knows the configured strategies (compiled, each enabled or not, with
its last compile error and last scan result), runs a scan on request (`scan()`, synchronous: the TUI calls it
from a thread worker), advances open setups on every closed bar from the feed, and delivers notifications
through the configured apprise notifier on the event loop.

Why the pieces are wired like this:

* Closed bars reach `on_bar_closed` on the event loop, but advancing a setup reads and writes SQLite and may
  re-evaluate its strategy. That work goes to one background thread, so bars are applied in the order they
  closed and the loop never waits on the database.
* A scan or a condition re-check must see the bar that just closed, which the feed has only queued for the
  store's batching writer: both flush the writer first.
* What a scan reads is prepared first (`scan_history`): backfilled over REST live, copied once from the
  simulated market in the demo, so scans read the store the same way in every mode.
* Strategies live in a `StrategyBook` (`strategy_status`); a reload that breaks one keeps its last good form.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

import msgspec

from cryptoterm.adapters.notify_apprise import AppriseNotifier, NotifyConfigError
from cryptoterm.adapters.store.candles import SqliteStore
from cryptoterm.adapters.store.setups_repo import SetupsRepo
from cryptoterm.config.loader import ConfigError, load_config_file
from cryptoterm.config.schema import AppConfig
from cryptoterm.domain.market import BarClosed
from cryptoterm.domain.setups import Setup
from cryptoterm.domain.strategy import CompiledStrategy
from cryptoterm.ports.clock import Clock
from cryptoterm.ports.market import HistorySource
from cryptoterm.services.notifications import NotificationOutbox
from cryptoterm.services.scanner import Scanner, ScanReport, UniverseProvider
from cryptoterm.services.setup_tracker import SetupTracker, TrackedChange
from cryptoterm.wiring.scan_history import CandleHistory, backfill_scan_history, seed_scan_history
from cryptoterm.wiring.strategy_status import ReloadResult, StrategyBook, StrategyRun, StrategyStatus

if TYPE_CHECKING:
    from cryptoterm.wiring.runtime import Runtime

log = logging.getLogger(__name__)

#: Seconds between refreshes of 24 h volumes for `top` universes (they change slowly; tickers cost a request).
UNIVERSE_REFRESH_S = 60.0
#: How long a scan thread waits for the event loop to refresh the universe before using the previous one.
UNIVERSE_TIMEOUT_S = 20.0
#: How long a scan waits for start-up preparation (universe, demo history) before scanning what is there.
READY_TIMEOUT_S = 120.0
#: How long a live scan waits for the candles it reads to be brought up to date over REST.
UPDATE_TIMEOUT_S = 120.0

SetupsListener = Callable[[list[TrackedChange]], None]
ScanDueListener = Callable[[str], None]


@dataclass(slots=True)
class _Due:
    """Newest bar open time per timeframe that already asked for a scan (bars of every symbol close at once)."""

    seen: dict[str, int] = field(default_factory=dict)

    def first(self, timeframe: str, open_time: int) -> bool:
        if self.seen.get(timeframe, -1) >= open_time:
            return False
        self.seen[timeframe] = open_time
        return True


class Scanning:
    """Scanner + setup tracker + notifications for one running product. See the module docstring."""

    def __init__(
        self,
        config: AppConfig,
        store: SqliteStore,
        exchange: str,
        clock: Clock,
        *,
        history: HistorySource | None = None,
        default_symbols: Sequence[str] = (),
        notifier: AppriseNotifier | None = None,
        demo_history: CandleHistory | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.exchange = exchange
        self.clock = clock
        self.repo = SetupsRepo(store)
        self._history = history
        self._default = list(default_symbols)
        self._notifier = notifier
        self._demo_history = demo_history
        secrets = tuple(s for s in (config.exchange.api_key, config.exchange.api_secret) if s)
        self.outbox = NotificationOutbox(notifier, config.notify.events, secrets=secrets)
        self._lock = threading.RLock()
        self.book = StrategyBook()
        self.book.load(config.strategy, initial=True)
        self._universe = self._build_universe()
        self._scanner = self._build_scanner()
        self.tracker = SetupTracker(self.repo, clock, self.outbox, self._condition_at)
        self._bars = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cryptoterm-setups")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._due = _Due()
        self._universe_at = float("-inf")
        self._setups_listeners: list[SetupsListener] = []
        self._scan_due_listeners: list[ScanDueListener] = []
        self._closed = False
        self._scan_lock = threading.Lock()
        self._ready = threading.Event()
        self._prepare_task: asyncio.Task[None] | None = None
        self.last_report: ScanReport | None = None
        #: Seconds the demo history took to write into the store (None outside the demo).
        self.seed_seconds: float | None = None
        self.seeded_rows = 0

    # ------------------------------------------------------------------ strategies
    def strategies(self) -> list[StrategyStatus]:
        """Every configured strategy in file order, with its state and last scan result."""
        return self.book.statuses()

    def running(self) -> list[CompiledStrategy]:
        """The compiled strategies a scan runs now (enabled and compiled)."""
        return self.book.running()

    def set_enabled(self, name: str, enabled: bool) -> StrategyStatus:
        """Enable or disable a strategy for the scans from now on (not written back to the file)."""
        with self._lock:
            status = self.book.set_enabled(name, enabled)
            self._scanner = self._build_scanner()
        log.info("strategy %s %s", name, "enabled" if enabled else "disabled")
        return status

    def reload(self, path: str | Path | None = None) -> ReloadResult:
        """Re-read the strategies of the config file (default: the one the product started with).

        An unreadable or invalid file changes nothing and is reported in `file_error`; strategies that fail
        to compile keep running as they were and report their `StrategyError` message.
        """
        source = Path(path) if path is not None else Path(self.config.source) if self.config.source else None
        if source is None:
            message = "no config file to reload (running on built-in defaults)"
            return ReloadResult(tuple(s.name for s in self.strategies() if s.loaded), file_error=message)
        try:
            fresh = load_config_file(source)
        except ConfigError as exc:
            log.error("reload of %s failed: %s", source.name, exc)
            return ReloadResult(tuple(s.name for s in self.strategies() if s.loaded), file_error=str(exc))
        result = self.book.load(fresh.strategy, initial=False)
        with self._lock:
            self.config = msgspec.structs.replace(self.config, strategy=fresh.strategy)
            self._universe = self._build_universe()
            self._scanner = self._build_scanner()
        log.info(
            "strategies reloaded from %s: %d compiled, %d with errors",
            source.name,
            len(result.loaded),
            len(result.errors),
        )
        return result

    def _build_universe(self) -> UniverseProvider:
        return UniverseProvider(self.store, self.exchange, self.book.universes(), self._default, self._history)

    def _build_scanner(self) -> Scanner:
        return Scanner(
            self.store,
            self.running(),
            self.config.scanner,
            self.exchange,
            self.clock,
            self.outbox,
            self._universe,
            repo=self.repo,
        )

    @property
    def scanner(self) -> Scanner:
        with self._lock:
            return self._scanner

    @property
    def timeframes(self) -> frozenset[str]:
        """Timeframes of the running strategies: a bar of one of these closing may make a scan due."""
        return frozenset(s.timeframe for s in self.running())

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Bind notification delivery to this loop and start preparing in the background (returns at once).

        Preparation refreshes the universe and, in the demo, writes the strategies' history into the store;
        scans wait for it (`ready`), the market feed does not.
        """
        self._loop = asyncio.get_running_loop()
        self.outbox.bind(self._loop)
        self._prepare_task = self._loop.create_task(self._prepare(), name="scanner preparation")

    async def _prepare(self) -> None:
        try:
            await self._refresh_universe()
            if self._demo_history is not None:
                await asyncio.to_thread(self.seed_demo_history)
        except Exception:
            log.exception("preparing the scanner failed; scans read what the store has")
        finally:
            self._ready.set()

    @property
    def ready(self) -> bool:
        """True once start-up preparation has finished (successfully or not)."""
        return self._ready.is_set()

    async def wait_ready(self) -> None:
        if self._prepare_task is not None:
            await asyncio.shield(self._prepare_task)

    def close(self) -> None:
        """Stop applying bars (what is queued finishes) and detach the notifier."""
        self._closed = True
        if self._prepare_task is not None:
            self._prepare_task.cancel()
        self._bars.shutdown(wait=True, cancel_futures=False)
        if self._notifier is not None:
            self._notifier.close()

    async def _refresh_universe(self) -> None:
        try:
            await self._universe.refresh()
        except Exception as exc:
            log.warning("could not refresh 24 h volumes for the scan universe: %s", exc)
        self._universe_at = time.monotonic()

    def _refresh_universe_from_thread(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed() or time.monotonic() - self._universe_at < UNIVERSE_REFRESH_S:
            return
        future = asyncio.run_coroutine_threadsafe(self._refresh_universe(), loop)
        try:
            future.result(timeout=UNIVERSE_TIMEOUT_S)
        except Exception as exc:
            future.cancel()
            log.warning("universe refresh did not finish (%s); scanning the previous universe", exc)

    def seed_demo_history(self) -> int:
        """Write the bars every configured strategy and the regime read into the store (demo only)."""
        if self._demo_history is None:
            return 0
        started = time.perf_counter()
        rows = seed_scan_history(
            self.store,
            self.exchange,
            self._demo_history,
            self.book.compiled(),
            self.config.scanner,
            self.clock.now_ms(),
        )
        self.seed_seconds = time.perf_counter() - started
        self.seeded_rows = rows
        log.info("demo: %d bars of history written for the scanner in %.2f s", rows, self.seed_seconds)
        return rows

    # ------------------------------------------------------------------ scanning
    def scan(self, origin: str = "manual") -> ScanReport:
        """Run every enabled strategy once over what is stored now (blocking; call it from a thread).

        Scans are serialised: a second caller waits for the running scan to finish.
        """
        if self._loop is not None and not self._ready.wait(READY_TIMEOUT_S):
            log.warning("scanner preparation is still running; scanning what is stored")
        with self._scan_lock:
            self._refresh_universe_from_thread()
            if self._history is not None and self._demo_history is None:
                self._update_candles_from_thread()
            self.store.flush()
            scanner = self.scanner
            # The first scan after start also reviews the recent bars closed while the app was not running.
            lookback = self.config.scanner.lookback_bars if self.last_report is None else 0
            report = scanner.scan(origin, lookback)
            self._record(report, [s.name for s in scanner.strategies])
            self.last_report = report
            return report

    def _update_candles_from_thread(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        future = asyncio.run_coroutine_threadsafe(self.update_candles(), loop)
        try:
            future.result(timeout=UPDATE_TIMEOUT_S)
        except Exception as exc:
            future.cancel()
            log.warning("bringing candles up to date before the scan failed: %s", exc)

    async def update_candles(self) -> int:
        """Fetch what the running strategies will read and the store lacks (live mode); returns bars fetched.

        Each strategy's timeframe over its universe, `history_bars` deep, plus the regime reference. Failures
        are logged per series; the scan then reports the symbols it could not read.
        """
        if self._history is None:
            return 0
        universe = self._universe
        return await backfill_scan_history(
            self._history,
            self.store,
            self.exchange,
            self.clock,
            self.scanner.strategies,
            lambda strategy: universe.symbols_for(strategy.name),
            self.config.scanner,
        )

    def _record(self, report: ScanReport, names: Sequence[str]) -> None:
        for name in names:
            new = sum(1 for s in report.new_setups if s.strategy == name)
            # Duplicates read "<strategy> <symbol> <direction>"; names may contain spaces, symbols don't.
            dup = sum(1 for d in report.duplicates if d.rsplit(" ", 2)[0] == name)
            errors = sum(1 for e in report.errors if e.strategy == name)
            self.book.record_run(name, StrategyRun(report.finished_ms, new + dup, new, errors))

    def _condition_at(self, setup: Setup, now_ms: int) -> bool | None:
        return self.scanner.condition_at(setup, now_ms)

    # ------------------------------------------------------------------ closed bars
    def on_scan_due(self, listener: ScanDueListener) -> None:
        """Called (on the event loop) with the timeframe when a bar of a running strategy's timeframe closed."""
        self._scan_due_listeners.append(listener)

    def on_setups_changed(self, listener: SetupsListener) -> None:
        """Called from the tracker's thread with the setups a closed bar moved to a new state."""
        self._setups_listeners.append(listener)

    def on_bar_closed(self, event: BarClosed) -> None:
        """The feed's bar listener (event loop): queue the setup update, and say when a scan is due."""
        if self._closed:
            return
        self._bars.submit(self._apply_bar, event)
        if (
            self.config.scanner.on_candle_close
            and event.timeframe in self.timeframes
            and self._due.first(event.timeframe, event.candle.open_time)
        ):
            for listener in self._scan_due_listeners:
                try:
                    listener(event.timeframe)
                except Exception:
                    log.exception("scan-due listener failed")

    def _apply_bar(self, event: BarClosed) -> list[TrackedChange]:
        try:
            if not self.repo.open_setups(symbol=event.symbol, timeframe=event.timeframe):
                return []
            self.store.flush()
            changes = self.tracker.on_bar_closed(event.symbol, event.timeframe, event.candle)
        except Exception:
            log.exception("advancing setups of %s %s failed", event.symbol, event.timeframe)
            return []
        if changes:
            for listener in self._setups_listeners:
                try:
                    listener(changes)
                except Exception:
                    log.exception("setups listener failed")
        return changes

    def wait_for_bars(self, timeout: float = 10.0) -> None:
        """Block until the bars queued so far are applied (tests and shutdown)."""
        self._bars.submit(lambda: None).result(timeout=timeout)


def build_scanning(runtime: Runtime) -> Scanning:
    """The scanning part of `runtime`: its store, exchange key, clock and history source.

    A notification URL apprise rejects is logged as an error and notifications stay off; scans still run.
    """
    config = runtime.config
    notifier: AppriseNotifier | None = None
    repo = SetupsRepo(runtime.store)
    if config.notify.urls:
        try:
            notifier = AppriseNotifier(config.notify, record=repo.record_notification, clock=runtime)
        except NotifyConfigError as exc:
            log.error("notifications are off: %s", exc)
    demo = runtime.mode == "demo"
    history = runtime.history
    return Scanning(
        config,
        runtime.store,
        runtime.exchange,
        runtime,
        history=history,
        default_symbols=runtime.feed.symbols,
        notifier=notifier,
        demo_history=cast("CandleHistory", history) if demo and history is not None else None,
    )
