"""Where finished pair screens are kept (`screening_sessions`, `pair_results`), so a screen can be reopened and
compared with a later one: the universe and window it covered, its parameters, and every statistic of every
pair."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptoterm.domain.pairs import PairResult


@dataclass(frozen=True, slots=True)
class ScreeningSession:
    """One stored screen (without its pairs).

    `symbols` is the universe screened (after the filters), `requested` what was asked for, `dropped` each left-out
    symbol with its reason; `first_ms` / `last_ms` are the open times of the first and last bar screened.
    """

    id: int
    created_ms: int
    exchange: str
    timeframe: str
    since_ms: int | None
    until_ms: int | None
    first_ms: int
    last_ms: int
    n_bars: int
    symbols: list[str]
    requested: list[str]
    dropped: list[dict[str, str]]
    params: dict[str, object]
    pair_count: int
    executor: str
    duration_ms: int
    errors: list[str]


class ScreeningArchive(Protocol):
    """Saves a screen with all its pairs in one transaction; lists sessions and reads their pairs back."""

    def save_screening(
        self,
        *,
        created_ms: int,
        exchange: str,
        timeframe: str,
        since_ms: int | None,
        until_ms: int | None,
        first_ms: int,
        last_ms: int,
        n_bars: int,
        symbols: Sequence[str],
        requested: Sequence[str],
        dropped: Sequence[Mapping[str, str]],
        params: Mapping[str, object],
        executor: str,
        duration_ms: int,
        errors: Sequence[str],
        results: Sequence[PairResult],
    ) -> int: ...

    def screening_sessions(self, limit: int = 50) -> list[ScreeningSession]:
        """The newest sessions first."""
        ...

    def screening_session(self, session_id: int) -> ScreeningSession | None: ...

    def pair_results(self, session_id: int) -> list[PairResult]:
        """A session's pairs, smallest adjusted p-value first."""
        ...
