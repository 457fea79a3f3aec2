"""The pairs screener: every pair of a universe of stored series tested for cointegration, and the session kept.

A run reads each symbol's closes and quote volumes from the store (the timeframe over [since, until), the
newest `bars` of it; a timeframe that is not stored is derived from a lower one, as backtests do), aligns them on
common bars (`domain.pairs.align_closes`: the liquidity and history filters, nothing forward-filled, every
dropped symbol named), cuts the pairs into symbol-block tasks and runs them on a `ComputeExecutor` — this
process, local workers or a cluster, chosen by wiring — then adjusts the p-values over the whole family and stores
the session (universe, window, parameters, every statistic of every pair) through a `ScreeningArchive`.

Memory is bounded by the tasks: a task holds its two blocks of columns and its pairs' arrays, never the whole
universe's pairs. Synchronous and CPU-bound: the TUI runs it in a thread worker, the `screen` command in its own
thread; `cancel` is honoured between symbol reads and between tasks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from cryptoterm.domain.pairs import (
    AlignedCloses,
    AlignmentReport,
    DetailParams,
    PairDetail,
    PairResult,
    ScreenParams,
    SymbolBars,
    align_closes,
    auto_chunk_pairs,
    combine_chunks,
    pair_detail,
    plan_screen_tasks,
    screen_task,
)
from cryptoterm.domain.pairs.results import MIN_SCREEN_BARS
from cryptoterm.domain.redaction import redact
from cryptoterm.ports.candles import CandleReader
from cryptoterm.ports.compute import ComputeCancelled, ComputeExecutor
from cryptoterm.ports.screening import ScreeningArchive
from cryptoterm.services.scan_inputs import read_range

log = logging.getLogger(__name__)

#: Called with (stage, done, total) as the run goes: stage "read" counts symbols, "screen" counts tasks.
ScreenProgress = Callable[[str, int, int], None]


class ScreenError(ValueError):
    """A screen that cannot run as asked (fewer than two symbols with enough common bars); one line."""


@dataclass(frozen=True, slots=True)
class ScreenRequest:
    """What to screen: `symbols` on `timeframe`, the newest `bars` common bars of [since_ms, until_ms)."""

    symbols: tuple[str, ...]
    timeframe: str = "1h"
    since_ms: int | None = None
    until_ms: int | None = None
    bars: int = 1000
    min_bars: int = 200
    min_quote_volume: float = 0.0
    params: ScreenParams = field(default_factory=ScreenParams)
    #: Pairs a task holds; 0 = sized by the bars (`auto_chunk_pairs`).
    chunk_pairs: int = 0

    def __post_init__(self) -> None:
        if self.bars < MIN_SCREEN_BARS or self.min_bars < MIN_SCREEN_BARS:
            raise ScreenError(f"a screen needs at least {MIN_SCREEN_BARS} bars, got bars={self.bars}")
        if self.since_ms is not None and self.until_ms is not None and self.until_ms <= self.since_ms:
            raise ScreenError("the window's end must be after its start")


@dataclass(frozen=True, slots=True)
class ScreenRun:
    """A finished screen: the universe and bars screened, every pair (smallest adjusted p first), what was left
    out and why, and the stored session's id (None when not saved)."""

    request: ScreenRequest
    aligned: AlignedCloses
    results: tuple[PairResult, ...]
    errors: tuple[str, ...]
    notes: tuple[str, ...]
    executor: str
    duration_ms: int
    session_id: int | None = None

    @property
    def symbols(self) -> tuple[str, ...]:
        return self.aligned.symbols

    @property
    def n_bars(self) -> int:
        return int(self.aligned.open_time.size)

    @property
    def report(self) -> AlignmentReport:
        return self.aligned.report


def ranked(results: Sequence[PairResult]) -> tuple[PairResult, ...]:
    """Pairs in the order a user reads them: smallest adjusted p first, then raw p, then names; NaN last."""

    def key(result: PairResult) -> tuple[bool, float, bool, float, str, str]:
        p_adj, p = result.p_adj, result.eg_p
        return (p_adj != p_adj, p_adj if p_adj == p_adj else 0.0, p != p, p if p == p else 0.0, result.y, result.x)

    return tuple(sorted(results, key=key))


def screen_params_dict(request: ScreenRequest) -> dict[str, object]:
    """The parameters a session is stored with (enough to run the same screen again)."""
    return {
        "bars": request.bars,
        "min_bars": request.min_bars,
        "min_quote_volume": request.min_quote_volume,
        "chunk_pairs": request.chunk_pairs,
        **asdict(request.params),
    }


class Screener:
    """Screens universes of stored series under `exchange` (see the module docstring)."""

    def __init__(
        self,
        candles: CandleReader,
        exchange: str,
        executor: ComputeExecutor,
        archive: ScreeningArchive | None = None,
        now_ms: Callable[[], int] | None = None,
    ) -> None:
        self._candles = candles
        self._exchange = exchange
        self._executor = executor
        self._archive = archive
        self._now_ms = now_ms or (lambda: time.time_ns() // 1_000_000)

    @property
    def candles(self) -> CandleReader:
        return self._candles

    @property
    def executor_name(self) -> str:
        return self._executor.name

    def run(
        self,
        request: ScreenRequest,
        *,
        progress: ScreenProgress | None = None,
        cancel: threading.Event | None = None,
        save: bool = True,
    ) -> ScreenRun:
        """Screen `request`; raises `ScreenError`, or `ComputeCancelled` when `cancel` is set."""
        started = time.perf_counter()
        universe, errors, notes = self._read(request, progress, cancel)
        aligned = align_closes(universe, request.min_bars, request.min_quote_volume)
        if aligned.open_time.size > request.bars:
            aligned = AlignedCloses(
                aligned.symbols, aligned.open_time[-request.bars :], aligned.log_close[-request.bars :], aligned.report
            )
        if len(aligned.symbols) < 2:
            dropped = "; ".join(f"{d.symbol}: {d.reason} ({d.detail})" for d in aligned.report.dropped_symbols)
            missing = "; ".join(errors)
            reasons = "; ".join(part for part in (dropped, missing) if part) or "no symbols given"
            raise ScreenError(
                f"fewer than 2 symbols with {request.min_bars} common {request.timeframe} bars: {reasons}"
            )
        chunk = request.chunk_pairs or auto_chunk_pairs(int(aligned.open_time.size))
        tasks = plan_screen_tasks(aligned.log_close, aligned.symbols, request.params, chunk)
        parts = self._executor.map(
            screen_task,
            tasks,
            progress=None if progress is None else (lambda done, total: progress("screen", done, total)),
            cancel=cancel,
        )
        results = ranked(combine_chunks(aligned.symbols, parts, request.params))
        duration_ms = int((time.perf_counter() - started) * 1000)
        run = ScreenRun(request, aligned, results, tuple(errors), tuple(notes), self._executor.name, duration_ms)
        if save and self._archive is not None:
            run = _with_session(run, self._save(run))
        log.info(
            "screened %d pairs of %d symbols over %d bars in %.1f s (%s)",
            len(results),
            len(aligned.symbols),
            run.n_bars,
            duration_ms / 1000,
            self._executor.name,
        )
        return run

    def _read(
        self, request: ScreenRequest, progress: ScreenProgress | None, cancel: threading.Event | None
    ) -> tuple[list[SymbolBars], list[str], list[str]]:
        universe: list[SymbolBars] = []
        errors: list[str] = []
        notes: list[str] = []
        symbols = tuple(dict.fromkeys(request.symbols))
        for done, symbol in enumerate(symbols):
            if cancel is not None and cancel.is_set():
                raise ComputeCancelled()
            try:
                bars = self._symbol_bars(symbol, request, notes)
            except Exception as exc:
                log.debug("reading %s for a screen failed", symbol, exc_info=True)
                errors.append(redact(f"{symbol}: {type(exc).__name__}: {exc}"))
            else:
                if bars is None:
                    errors.append(f"{symbol}: no {request.timeframe} candles stored on {self._exchange}")
                else:
                    universe.append(bars)
            if progress is not None:
                progress("read", done + 1, len(symbols))
        return universe, errors, notes

    def _symbol_bars(self, symbol: str, request: ScreenRequest, notes: list[str]) -> SymbolBars | None:
        frame = self._candles.read_candles_frame(
            self._exchange, symbol, request.timeframe, request.since_ms, request.until_ms, limit=request.bars
        )
        if frame.empty:
            frame, source = read_range(
                self._candles, self._exchange, symbol, request.timeframe, request.since_ms, request.until_ms
            )
            if frame.empty:
                return None
            frame = frame.iloc[-request.bars :]
            notes.append(f"{symbol} {request.timeframe} derived from {source}")
        close = frame["close"].to_numpy(np.float64)
        quote = frame["quote_volume"].to_numpy(np.float64)
        quote = np.where(quote > 0, quote, close * frame["volume"].to_numpy(np.float64))
        return SymbolBars(symbol, frame.index.to_numpy(np.int64), close, quote)

    def _save(self, run: ScreenRun) -> int:
        assert self._archive is not None
        request = run.request
        return int(
            self._archive.save_screening(
                created_ms=self._now_ms(),
                exchange=self._exchange,
                timeframe=request.timeframe,
                since_ms=request.since_ms,
                until_ms=request.until_ms,
                first_ms=int(run.aligned.open_time[0]),
                last_ms=int(run.aligned.open_time[-1]),
                n_bars=run.n_bars,
                symbols=run.symbols,
                requested=request.symbols,
                dropped=[
                    {"symbol": d.symbol, "reason": d.reason, "detail": d.detail} for d in run.report.dropped_symbols
                ],
                params=screen_params_dict(request),
                executor=run.executor,
                duration_ms=run.duration_ms,
                errors=run.errors,
                results=run.results,
            )
        )

    # -- one pair ------------------------------------------------------------------------------------------

    def pair_closes(self, y: str, x: str, timeframe: str, first_ms: int, last_ms: int) -> AlignedCloses:
        """The two legs' log closes on their common bars from `first_ms` to `last_ms` (both included)."""
        request = ScreenRequest((y, x), timeframe, first_ms, last_ms + 1, bars=100_000, min_bars=MIN_SCREEN_BARS)
        universe, errors, _ = self._read(request, None, None)
        aligned = align_closes(universe, MIN_SCREEN_BARS)
        if len(aligned.symbols) < 2:
            raise ScreenError("; ".join(errors) or f"{y} and {x} share fewer than {MIN_SCREEN_BARS} bars")
        order = [aligned.symbols.index(y), aligned.symbols.index(x)]
        return AlignedCloses((y, x), aligned.open_time, aligned.log_close[:, order], aligned.report)

    def detail(self, aligned: AlignedCloses, y: str, x: str, params: DetailParams) -> PairDetail:
        """The pair detail of y against x over the bars of `aligned`."""
        return pair_detail(
            aligned.log_close[:, aligned.symbols.index(y)], aligned.log_close[:, aligned.symbols.index(x)], params
        )


def _with_session(run: ScreenRun, session_id: int) -> ScreenRun:
    return ScreenRun(
        run.request, run.aligned, run.results, run.errors, run.notes, run.executor, run.duration_ms, session_id
    )


def screen_symbols(
    candles: CandleReader, exchange: str, timeframe: str, *, top: int = 0, quote: str = "USDT"
) -> list[str]:
    """The symbols a screen covers when none are listed: the top N stored symbols quoted in `quote` by their
    stored 24 h quote volume (the scanner's universe rule), or with `top` 0 every stored symbol of `timeframe`
    quoted in `quote`; stablecoins and leveraged tokens are left out either way."""
    from cryptoterm.config.schema import UniverseConfig
    from cryptoterm.domain.universe import split_symbol
    from cryptoterm.services.universe_provider import UniverseProvider

    stored = [
        s for s in candles.symbols_with_candles(exchange, timeframe) if "/" in s and split_symbol(s)[1] == quote.upper()
    ]
    universe = UniverseConfig(top=top, quote=quote)
    return UniverseProvider(candles, exchange, {"screen": universe}, stored).symbols_for("screen")
