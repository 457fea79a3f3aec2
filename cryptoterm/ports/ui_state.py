"""What the workstation remembers between runs: the watchlist, enabled strategies, sort orders, timeframes,
the chart studies shown per symbol.

The TUI keeps this state in memory and hands it to a `UiStateStore` after every change the user makes; the
adapter decides where it lives (a JSON file beside the database). A store that cannot read its file gives the
defaults (`UiState()`, meaning "as configured") and says so once, so a damaged file never stops the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True, slots=True)
class SortOrder:
    """A table's sort: the column key and whether it runs high to low."""

    column: str
    descending: bool


@dataclass(slots=True)
class UiState:
    """Choices the user made in the TUI. Empty / None fields mean "as the config says"."""

    #: The watchlist after the user's edits, in order (None: the configured watchlist).
    watchlist: list[str] | None = None
    #: Strategy name → enabled, for the strategies the user switched on or off.
    strategies: dict[str, bool] = field(default_factory=dict)
    #: Table name ("setups", …) → its sort order.
    sort: dict[str, SortOrder] = field(default_factory=dict)
    #: Screen name ("dashboard", "symbol") → chart timeframe.
    timeframes: dict[str, str] = field(default_factory=dict)
    #: Symbol → the chart studies shown for it (canonical texts, e.g. "ema(21)"); absent: every configured one.
    chart_studies: dict[str, list[str]] = field(default_factory=dict)


class UiStateStore(Protocol):
    """Loads and saves `UiState`; never raises for a missing, corrupt or unwritable file."""

    @property
    def location(self) -> Path | None:
        """Where the state lives (None: kept in memory only)."""
        ...

    def load(self) -> UiState:
        """The saved state, or the defaults (with one warning line) when it cannot be read."""
        ...

    def save(self, state: UiState) -> None:
        """Replace the saved state (atomically: a crash leaves the old state or the new one, never half)."""
        ...


class MemoryUiState:
    """A store that remembers for this run only: tests, and modes without a database file."""

    def __init__(self, state: UiState | None = None) -> None:
        self.state = state or UiState()
        self.saves = 0

    @property
    def location(self) -> Path | None:
        return None

    def load(self) -> UiState:
        return UiState(
            watchlist=None if self.state.watchlist is None else list(self.state.watchlist),
            strategies=dict(self.state.strategies),
            sort=dict(self.state.sort),
            timeframes=dict(self.state.timeframes),
            chart_studies={k: list(v) for k, v in self.state.chart_studies.items()},
        )

    def save(self, state: UiState) -> None:
        self.state = UiState(
            watchlist=None if state.watchlist is None else list(state.watchlist),
            strategies=dict(state.strategies),
            sort=dict(state.sort),
            timeframes=dict(state.timeframes),
            chart_studies={k: list(v) for k, v in state.chart_studies.items()},
        )
        self.saves += 1
