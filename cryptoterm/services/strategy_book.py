"""The configured strategies of a running product: compiled, enabled or not, with their last compile error and
last scan result, as the strategies screen shows them and a reload reports them.

A strategy that stops compiling on reload keeps running in its last good form, with the new error shown beside
it: a typo in the file must never silently stop a strategy a trader relies on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from cryptoterm.config.schema import StrategyConfig, UniverseConfig
from cryptoterm.domain.strategy import CompiledStrategy, StrategyError, compile_strategy

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StrategyRun:
    """One strategy's share of the newest scan that included it."""

    finished_ms: int
    hits: int
    new_setups: int
    errors: int


@dataclass(frozen=True, slots=True)
class StrategyStatus:
    """A configured strategy as the strategies screen lists it."""

    name: str
    timeframe: str
    direction: str
    description: str
    source: str
    enabled: bool
    #: False when the strategy has never compiled (it cannot run until its error is fixed).
    loaded: bool
    #: The compile error of the last load or reload ("" when it compiled).
    error: str = ""
    last_run: StrategyRun | None = None


@dataclass(frozen=True, slots=True)
class ReloadResult:
    """What a reload did: strategies now running, compile errors per strategy, or an unreadable file."""

    loaded: tuple[str, ...]
    errors: tuple[tuple[str, str], ...] = ()
    file_error: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors and not self.file_error


@dataclass(slots=True)
class _Entry:
    config: StrategyConfig
    compiled: CompiledStrategy | None
    enabled: bool
    error: str = ""
    last_run: StrategyRun | None = None


class StrategyBook:
    """The strategies in file order. Thread-safe: scans read it from worker threads while the UI edits it."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._entries: dict[str, _Entry] = {}

    def load(self, configs: Sequence[StrategyConfig], *, initial: bool, log_errors: bool = True) -> ReloadResult:
        """Compile `configs`; a strategy that fails keeps its previously compiled form (if any) running.

        On a reload (`initial=False`) each strategy keeps the enabled flag the user set in this session.
        `log_errors=False` leaves reporting a strategy that does not compile to the caller (a cron run prints it
        once, as its exit reason).
        """
        loaded: list[str] = []
        errors: list[tuple[str, str]] = []
        entries: dict[str, _Entry] = {}
        with self._lock:
            previous = self._entries
            for cfg in configs:
                old = previous.get(cfg.name)
                enabled = cfg.enabled if old is None or initial else old.enabled
                try:
                    compiled: CompiledStrategy | None = compile_strategy(cfg)
                    error = ""
                    loaded.append(cfg.name)
                except StrategyError as exc:
                    compiled = old.compiled if old is not None else None
                    error = str(exc)
                    errors.append((cfg.name, error))
                keep = old.config if (error and old is not None and old.compiled is not None) else cfg
                entries[cfg.name] = _Entry(keep, compiled, enabled, error, old.last_run if old else None)
            self._entries = entries
        for name, error in errors if log_errors else ():
            log.error("strategy %s does not compile: %s", name, error)
        return ReloadResult(tuple(loaded), tuple(errors))

    def statuses(self) -> list[StrategyStatus]:
        with self._lock:
            entries = list(self._entries.values())
        return [
            StrategyStatus(
                name=e.config.name,
                timeframe=e.config.timeframe,
                direction=e.config.direction,
                description=e.config.description,
                source=e.config.source,
                enabled=e.enabled,
                loaded=e.compiled is not None,
                error=e.error,
                last_run=e.last_run,
            )
            for e in entries
        ]

    def running(self) -> list[CompiledStrategy]:
        """Enabled strategies that compiled: what a scan runs."""
        with self._lock:
            return [e.compiled for e in self._entries.values() if e.enabled and e.compiled is not None]

    def running_configs(self) -> list[StrategyConfig]:
        """The definitions of what a scan runs (the last good form of one that stopped compiling)."""
        with self._lock:
            entries = [e for e in self._entries.values() if e.enabled and e.compiled is not None]
        return [msgspec.structs.replace(e.config, enabled=True) for e in entries]

    def compiled(self) -> list[CompiledStrategy]:
        """Every strategy that compiled, enabled or not (their history is prepared either way)."""
        with self._lock:
            return [e.compiled for e in self._entries.values() if e.compiled is not None]

    def universes(self) -> dict[str, UniverseConfig]:
        with self._lock:
            return {name: e.config.universe for name, e in self._entries.items()}

    def set_enabled(self, name: str, enabled: bool) -> StrategyStatus:
        with self._lock:
            entry = self._entries.get(name)
            if entry is None:
                raise KeyError(f"no strategy named {name!r}")
            entry.enabled = enabled
        return next(s for s in self.statuses() if s.name == name)

    def record_run(self, name: str, run: StrategyRun) -> None:
        with self._lock:
            entry = self._entries.get(name)
            if entry is not None:
                entry.last_run = run
