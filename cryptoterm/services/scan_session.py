"""One scan session: the strategies, their universes, the scanner, the setup tracker and notifications of a running
product — the same object for the TUI, `--headless`, `--scan-once` and the demo (wiring builds it once).

What a session does, and why it is shaped like this:

* **Strategies** live in a `StrategyBook` (enable / disable, reload keeping the last good form); a scan runs the
  enabled ones, and every scan archives their TOML first (`StrategyArchiver`), so any setup traces back to the
  exact rules that opened it, whichever face opened it.
* **Preparing.** `start()` binds delivery to the event loop and prepares in the background: the universe's
  24 h volumes, then the candles every strategy, the regime and every open setup will read
  (`scan_inputs.series_needed`, one depth rule) brought up to date by the `CandleUpdater` (the exchange over
  REST, or the simulated market; none offline), then the open setups caught up through the bars that closed
  since they were last advanced (a restart, or the hours between two cron runs). Scans wait for it.
* **Scanning** (`scan()`, blocking: call it from a thread) updates candles (unless the preparation just did),
  flushes the store's writer (a scan must see the bar that just closed) and runs the scanner; the first scan
  after a start also reviews the last `lookback_bars` closed bars.
* **Closed bars** from a live feed reach `on_bar_closed` on the event loop; advancing setups reads and writes
  SQLite and may re-evaluate a strategy, so it goes to one background thread, in the order bars closed.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from cryptoterm.config.loader import ConfigError, load_config_file
from cryptoterm.config.schema import AppConfig
from cryptoterm.domain.market import BarClosed
from cryptoterm.domain.setups import Setup
from cryptoterm.domain.strategy import CompiledStrategy
from cryptoterm.domain.timeframes import bucket_start, timeframe_ms
from cryptoterm.ports.candles import CandleStore
from cryptoterm.ports.clock import Clock
from cryptoterm.ports.market import HistorySource
from cryptoterm.ports.notify import Notifier
from cryptoterm.ports.setups import SetupRepository
from cryptoterm.services.candle_updater import CandleUpdater
from cryptoterm.services.notifications import NotificationOutbox
from cryptoterm.services.scan_inputs import series_needed
from cryptoterm.services.scan_report import ScanError, ScanReport
from cryptoterm.services.scanner import Scanner
from cryptoterm.services.setup_tracker import SetupTracker, TrackedChange
from cryptoterm.services.strategy_archive import StrategyArchiver
from cryptoterm.services.strategy_book import ReloadResult, StrategyBook, StrategyRun, StrategyStatus
from cryptoterm.services.universe_provider import UniverseProvider

log = logging.getLogger(__name__)

#: Seconds between refreshes of 24 h volumes for `top` universes (they change slowly; tickers cost a request).
UNIVERSE_REFRESH_S = 60.0
#: How long a scan thread waits for the event loop to refresh the universe before using the previous one.
UNIVERSE_TIMEOUT_S = 20.0
#: How long a scan waits for start-up preparation before scanning what is there.
READY_TIMEOUT_S = 120.0
#: How long a scan waits for the candles it reads to be brought up to date.
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


class ScanSession:
    """Strategies + scanner + setup tracker + notifications for one running product. See the module docstring."""

    def __init__(
        self,
        config: AppConfig,
        store: CandleStore,
        records: SetupRepository,
        exchange: str,
        clock: Clock,
        *,
        updater: CandleUpdater | None = None,
        history: HistorySource | None = None,
        default_symbols: Sequence[str] = (),
        notifier: Notifier | None = None,
        log_strategy_errors: bool = True,
    ) -> None:
        self.config = config
        self.store = store
        self.repo = records
        self.exchange = exchange
        self.clock = clock
        self._updater = updater
        self._history = history
        self._default = list(default_symbols)
        self._notifier = notifier
        secrets = tuple(s for s in (config.exchange.api_key, config.exchange.api_secret) if s)
        self.outbox = NotificationOutbox(notifier, config.notify.events, secrets=secrets)
        self._lock = threading.RLock()
        self.book = StrategyBook()
        self.book.load(config.strategy, initial=True, log_errors=log_strategy_errors)
        self._archiver = StrategyArchiver(records)
        self._universe = self._build_universe()
        self._scanner = self._build_scanner()
        self.tracker = SetupTracker(records, clock, self.outbox, self._condition_at, self._exit_at)
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
        self._fresh = False
        self.last_report: ScanReport | None = None
        #: Errors bringing candles up to date for the newest scan (a scan reports the symbols it could not read).
        self.update_errors: tuple[ScanError, ...] = ()
        #: Setups the preparation caught up through bars that closed while nothing was watching.
        self.caught_up: tuple[TrackedChange, ...] = ()
        #: Seconds the preparation's candle update took (None before it ran).
        self.prepare_seconds: float | None = None

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
            self.repo,
            self.repo,
            self.running(),
            self.config.scanner,
            self.exchange,
            self.clock,
            self.outbox,
            self._universe,
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
        """Bind notification delivery to this loop and start preparing in the background (returns at once)."""
        self._loop = asyncio.get_running_loop()
        self.outbox.bind(self._loop)
        self._prepare_task = self._loop.create_task(self._prepare(), name="scan preparation")

    async def _prepare(self) -> None:
        try:
            await self._refresh_universe()
            started = time.perf_counter()
            await self.update_candles()
            self.prepare_seconds = time.perf_counter() - started
            self._fresh = True
            self.caught_up = tuple(await asyncio.to_thread(self.catch_up))
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

    def _on_loop(self, coro_factory: Callable[[], Coroutine[Any, Any, object]], timeout: float, what: str) -> bool:
        """Run a coroutine on the bound loop from a scan thread; False (logged) when it failed or timed out."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return False
        future = asyncio.run_coroutine_threadsafe(coro_factory(), loop)
        try:
            future.result(timeout=timeout)
        except Exception as exc:
            future.cancel()
            log.warning("%s did not finish (%s)", what, exc)
            return False
        return True

    # ------------------------------------------------------------------ candles
    async def update_candles(self) -> int:
        """Bring what the next scan reads (and open setups need) up to date; returns how many series failed."""
        if self._updater is None:
            self.update_errors = ()
            return 0
        universe = self._universe
        scanner = self.scanner
        open_setups = await asyncio.to_thread(self.repo.open_setups)
        wanted = series_needed(
            scanner.strategies,
            lambda strategy: universe.symbols_for(strategy.name),
            open_setups,
            self.config.scanner,
            self.clock.now_ms(),
        )
        errors = await self._updater.update(wanted)
        self.update_errors = tuple(errors)
        return len(errors)

    def catch_up(self) -> list[TrackedChange]:
        """Advance every open setup through the stored bars that closed since it was last advanced."""
        now = self.clock.now_ms()
        since: dict[tuple[str, str], int] = {}
        for setup in self.repo.open_setups():
            key = (setup.symbol, setup.timeframe)
            since[key] = min(since.get(key, setup.seen_until), setup.seen_until)
        changes: list[TrackedChange] = []
        for (symbol, timeframe), first in sorted(since.items()):
            until = bucket_start(now, timeframe_ms(timeframe))
            candles = self.store.read_candles(self.exchange, symbol, timeframe, since_ms=first + 1, until_ms=until)
            changes.extend(self.tracker.catch_up(symbol, timeframe, candles))
        return changes

    # ------------------------------------------------------------------ scanning
    def scan(self, origin: str = "manual") -> ScanReport:
        """Run every enabled strategy once over what is stored now (blocking; call it from a thread).

        Scans are serialised: a second caller waits for the running scan to finish.
        """
        if self._loop is not None and not self._ready.wait(READY_TIMEOUT_S):
            log.warning("scanner preparation is still running; scanning what is stored")
        with self._scan_lock:
            if time.monotonic() - self._universe_at >= UNIVERSE_REFRESH_S:
                self._on_loop(self._refresh_universe, UNIVERSE_TIMEOUT_S, "universe refresh")
            if self._fresh:
                self._fresh = False
            elif self._updater is not None:
                self._on_loop(self.update_candles, UPDATE_TIMEOUT_S, "bringing candles up to date")
            self.store.flush()
            scanner = self.scanner
            self._archiver.archive(self.book.running_configs(), self.clock.now_ms())
            lookback = self.config.scanner.lookback_bars if self.last_report is None else 0
            report = scanner.scan(origin, lookback)
            self._record(report, [s.name for s in scanner.strategies])
            self.last_report = report
            return report

    def _record(self, report: ScanReport, names: Sequence[str]) -> None:
        for name in names:
            new = sum(1 for s in report.new_setups if s.strategy == name)
            # Duplicates read "<strategy> <symbol> <direction>"; names may contain spaces, symbols don't.
            dup = sum(1 for d in report.duplicates if d.rsplit(" ", 2)[0] == name)
            errors = sum(1 for e in report.errors if e.strategy == name)
            self.book.record_run(name, StrategyRun(report.finished_ms, new + dup, new, errors))

    def _condition_at(self, setup: Setup, now_ms: int) -> bool | None:
        return self.scanner.condition_at(setup, now_ms)

    def _exit_at(self, setup: Setup, now_ms: int) -> bool:
        return self.scanner.exit_at(setup, now_ms)

    async def drain_notifications(self) -> list[bool]:
        """Finish every delivery emitted so far (headless runs that exit right after a scan)."""
        return await self.outbox.flush()

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
