"""What the screener screens show of a screen: its window, universe, results and what it left out — the same
whether the screen just ran or was reopened from the database."""

from __future__ import annotations

from dataclasses import dataclass

from cryptoterm.domain.pairs import PairResult
from cryptoterm.ports.screening import ScreeningSession
from cryptoterm.services.screener import ScreenRun, ranked


@dataclass(frozen=True, slots=True)
class ScreenSummary:
    """One screen as the screener screen and the pair detail read it."""

    session_id: int | None
    timeframe: str
    first_ms: int
    last_ms: int
    n_bars: int
    symbols: tuple[str, ...]
    executor: str
    duration_ms: int
    dropped: tuple[str, ...]
    errors: tuple[str, ...]
    results: tuple[PairResult, ...]

    @classmethod
    def from_run(cls, run: ScreenRun) -> ScreenSummary:
        return cls(
            session_id=run.session_id,
            timeframe=run.request.timeframe,
            first_ms=int(run.aligned.open_time[0]),
            last_ms=int(run.aligned.open_time[-1]),
            n_bars=run.n_bars,
            symbols=run.symbols,
            executor=run.executor,
            duration_ms=run.duration_ms,
            dropped=tuple(f"{d.symbol} ({d.reason})" for d in run.report.dropped_symbols),
            errors=run.errors,
            results=run.results,
        )

    @classmethod
    def from_session(cls, session: ScreeningSession, results: list[PairResult]) -> ScreenSummary:
        return cls(
            session_id=session.id,
            timeframe=session.timeframe,
            first_ms=session.first_ms,
            last_ms=session.last_ms,
            n_bars=session.n_bars,
            symbols=tuple(session.symbols),
            executor=session.executor,
            duration_ms=session.duration_ms,
            dropped=tuple(f"{d.get('symbol', '?')} ({d.get('reason', '?')})" for d in session.dropped),
            errors=tuple(session.errors),
            results=ranked(results),
        )


@dataclass(frozen=True, slots=True)
class ScreenOutcome:
    """What a screen worker hands back: a summary, or the one line saying why there is none."""

    summary: ScreenSummary | None = None
    message: str = ""
