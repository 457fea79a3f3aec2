"""Setups, their history, scan runs and strategy definitions as the services and screens see them.

The plain row types live here so the screens can show them without knowing the store, and the protocols say
exactly what each service needs (the scanner and the tracker, the screens, the archive of strategy TOML).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cryptoterm.domain.setup_walk import Occupancy
from cryptoterm.domain.setups import Setup, Transition

__all__ = [
    "Occupancy",
    "ScanRunLog",
    "ScanRunRow",
    "SetupEvent",
    "SetupRepository",
    "SetupStore",
    "StrategyArchive",
]


@dataclass(frozen=True, slots=True)
class ScanRunRow:
    """One scan as recorded: counts, duration and per-symbol errors."""

    id: int
    started_ms: int
    finished_ms: int | None
    duration_ms: int | None
    origin: str
    strategies: int
    symbols: int
    hits: int
    new_setups: int
    errors: list[dict[str, str]]
    #: What the scan said about its data ("BTC/USDT 4h derived from 1h", stale series).
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SetupEvent:
    """One row of a setup's history (`from_state` is None for its creation)."""

    setup_id: int
    ts: int
    from_state: str | None
    to_state: str
    price: float | None
    note: str


class SetupStore(Protocol):
    """Setups and their state history. A setup and the history rows that explain it are one transaction."""

    def insert_setup(self, setup: Setup, *, scan_run_id: int | None = None) -> Setup | None:
        """Store a new setup and its creation event; None (nothing written) when an open duplicate exists."""
        ...

    def save_transitions(self, setup: Setup, transitions: Sequence[Transition]) -> None:
        """Persist the setup's new state with the transitions that led to it (and the newest bar applied)."""
        ...

    def open_setups(self, *, symbol: str | None = None, timeframe: str | None = None) -> list[Setup]:
        """Setups in new / active / triggered, oldest first."""
        ...

    def occupancy(self, strategy: str, symbol: str, direction: str, since_ms: int) -> list[Occupancy]:
        """The bars taken by stored setups of this strategy / symbol / direction that are open or closed at or
        after `since_ms`, whichever run opened them."""
        ...

    def recent_setups(self, limit: int = 100, states: Iterable[str] | None = None) -> list[Setup]:
        """The newest setups first, in any state or only the given ones."""
        ...

    def get_setup(self, setup_id: int) -> Setup | None: ...

    def setup_events(self, setup_id: int) -> list[SetupEvent]:
        """A setup's history in the order it happened."""
        ...


class ScanRunLog(Protocol):
    """The record of every scan: when, where from, what it found, what failed."""

    def start_scan_run(self, started_ms: int, origin: str) -> int: ...

    def finish_scan_run(
        self,
        run_id: int,
        *,
        finished_ms: int,
        duration_ms: int,
        strategies: int,
        symbols: int,
        hits: int,
        new_setups: int,
        errors: Sequence[dict[str, str]],
        notes: Sequence[str] = (),
    ) -> None: ...

    def scan_runs(self, limit: int = 50) -> list[ScanRunRow]:
        """The newest scan runs first."""
        ...


class StrategyArchive(Protocol):
    """The TOML each strategy had when it was scanned, so every setup traces back to its exact rules."""

    def save_strategy(
        self, *, name: str, source: str, toml: str, digest: str, enabled: bool, updated_ms: int
    ) -> None: ...


class SetupRepository(SetupStore, ScanRunLog, StrategyArchive, Protocol):
    """Everything a scan session records, in one store."""
