"""The scanner: every enabled strategy over its universe, through the setup walk, into recorded setups.

`Scanner.scan()` is synchronous and thread-safe (the TUI runs it in a thread worker, `--scan-once` and
`--headless` in a thread of their own). Per strategy and symbol there is exactly one path: read the frames
(`scan_inputs.ScanFrames`), evaluate the signal and the level series once over the whole series, and hand
both to the pure setup walk (`domain.setup_walk.walk_setups`) from the first bar to review — the newest closed
bar, or `lookback_bars` before it on the first scan after a start. Each setup the walk opens is inserted and
notified the same way, whether it opened on the newest bar or was found in the lookback.

One bad symbol (no candles, a NaN level, a broken frame) becomes an error entry in the run's record and the
report; it never fails the scan. Every run is recorded in `scan_runs` with its duration, counts and errors.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from cryptoterm.config.schema import ScannerConfig
from cryptoterm.domain.redaction import redact
from cryptoterm.domain.setup_walk import OhlcvArrays, SetupRules, WalkResult, walk_setups
from cryptoterm.domain.setups import Direction, Setup
from cryptoterm.domain.strategy import CompiledStrategy, Evaluation
from cryptoterm.ports.candles import CandleReader
from cryptoterm.ports.clock import Clock
from cryptoterm.ports.setups import ScanRunLog, SetupStore
from cryptoterm.services.notifications import NotificationOutbox, error_message, setup_message
from cryptoterm.services.scan_inputs import ScanFrames, derived_notes
from cryptoterm.services.scan_report import ScanError, ScanReport
from cryptoterm.services.universe_provider import UniverseProvider

__all__ = ["ScanError", "ScanReport", "Scanner"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Reviewed:
    """One strategy on one symbol: the walk's result and where its newest bar is."""

    walk: WalkResult
    last: int
    direction: Direction


class Scanner:
    """Runs strategies over their universes and records setups. See the module docstring."""

    def __init__(
        self,
        candles: CandleReader,
        setups: SetupStore,
        runs: ScanRunLog,
        strategies: Sequence[CompiledStrategy],
        config: ScannerConfig,
        exchange: str,
        clock: Clock,
        notifications: NotificationOutbox | None,
        universe: UniverseProvider,
    ) -> None:
        self._candles = candles
        self._setups = setups
        self._runs = runs
        self._strategies = list(strategies)
        self._config = config
        self._exchange = exchange
        self._clock = clock
        self._notifications = notifications
        self._universe = universe
        self._lock = threading.Lock()

    @property
    def strategies(self) -> list[CompiledStrategy]:
        return list(self._strategies)

    @property
    def setups(self) -> SetupStore:
        """Where the scanner records setups (and reads the ones that occupy bars)."""
        return self._setups

    @property
    def runs(self) -> ScanRunLog:
        """Where every scan is recorded."""
        return self._runs

    def scan(self, origin: str = "manual", lookback_bars: int = 0) -> ScanReport:
        """Scan every strategy once. Serialised: a second caller waits for the first scan to finish.

        With `lookback_bars` > 0 the walk starts that many closed bars before the newest one: each signal there
        that no stored setup holds opens a setup at its own bar, walked through the bars since by the live
        rules. Setups still open afterwards are notified as new.
        """
        with self._lock:
            return self._scan(origin, max(0, lookback_bars))

    def _scan(self, origin: str, lookback_bars: int) -> ScanReport:
        started = self._clock.now_ms()
        run_id = self._runs.start_scan_run(started, origin)
        frames = ScanFrames(self._candles, self._exchange, self._config, started)
        errors: list[ScanError] = []
        created: list[Setup] = []
        duplicates: list[str] = []
        symbols_seen: set[str] = set()
        hits = 0
        for strategy in self._strategies:
            if not strategy.has_levels:
                log.debug(
                    "%s has no levels: no setups (it is a backtest-only, signal-in signal-out strategy)", strategy.name
                )
                continue
            try:
                symbols = self._universe.symbols_for(strategy.name)
            except Exception as exc:
                errors.append(ScanError(strategy.name, "*", _describe(exc)))
                continue
            for symbol in symbols:
                symbols_seen.add(symbol)
                try:
                    reviewed = self._review(strategy, symbol, frames, lookback_bars, started)
                except Exception as exc:
                    log.debug("scan of %s %s failed", strategy.name, symbol, exc_info=True)
                    errors.append(ScanError(strategy.name, symbol, _describe(exc)))
                    continue
                for index, message in reviewed.walk.level_errors:
                    if index == reviewed.last:
                        errors.append(ScanError(strategy.name, symbol, redact(message)))
                    else:
                        log.debug("%s %s: no setup at bar %d: %s", strategy.name, symbol, index, message)
                if reviewed.last in reviewed.walk.occupied_signals:
                    hits += 1
                    duplicates.append(f"{strategy.name} {symbol} {reviewed.direction}")
                for walked in reviewed.walk.setups:
                    hits += 1
                    saved = self._setups.insert_setup(walked.first, scan_run_id=run_id)
                    if saved is None:  # another process opened it since the walk read the store
                        duplicates.append(f"{strategy.name} {symbol} {reviewed.direction}")
                        continue
                    final = saved
                    if walked.transitions:
                        final = replace(walked.final, id=saved.id)
                        self._setups.save_transitions(final, walked.transitions)
                    created.append(final)
                    if self._notifications is not None and final.is_open:
                        self._notifications.emit(setup_message(final))
        finished = self._clock.now_ms()
        notes = derived_notes(frames.derived)
        stale = tuple(sorted(frames.stale.values(), key=lambda s: (s.symbol, s.timeframe)))
        said = [*notes, *(f"{s.symbol} {s.timeframe} stale: {s.bars_behind:,} bars behind the clock" for s in stale)]
        self._runs.finish_scan_run(
            run_id,
            finished_ms=finished,
            duration_ms=finished - started,
            strategies=len(self._strategies),
            symbols=len(symbols_seen),
            hits=hits,
            new_setups=len(created),
            errors=[e.as_dict() for e in errors],
            notes=said,
        )
        if errors and self._notifications is not None:
            self._notifications.emit(error_message(origin, [e.as_dict() for e in errors]))
        try:
            regime = frames.current_regime()
        except Exception as exc:
            log.warning("regime of %s unavailable: %s", self._config.regime.symbol, _describe(exc))
            regime = ""
        for note in notes:
            log.info("%s scan: %s", origin, note)
        if stale:
            log.warning(
                "%s scan: %d series are stale (newest bar %d+ bars old), e.g. %s %s",
                origin,
                len(stale),
                min(s.bars_behind for s in stale),
                stale[0].symbol,
                stale[0].timeframe,
            )
        log.info(
            "%s scan: %d strategies, %d symbols, %d hits, %d new setups, %d errors in %d ms",
            origin,
            len(self._strategies),
            len(symbols_seen),
            hits,
            len(created),
            len(errors),
            finished - started,
        )
        return ScanReport(
            run_id=run_id,
            origin=origin,
            started_ms=started,
            finished_ms=finished,
            strategies=len(self._strategies),
            symbols=len(symbols_seen),
            hits=hits,
            new_setups=tuple(created),
            errors=tuple(errors),
            duplicates=tuple(duplicates),
            regime=regime,
            stale=stale,
            notes=tuple(notes),
        )

    # -- one strategy, one symbol -------------------------------------------------------------------------

    def _review(
        self, strategy: CompiledStrategy, symbol: str, frames: ScanFrames, lookback_bars: int, now_ms: int
    ) -> _Reviewed:
        data = frames.frames_for(strategy, symbol)
        base = data[strategy.timeframe]
        labels = frames.regime_for(base, strategy.timeframe) if strategy.uses_regime else None
        evaluator = strategy.evaluator(data, labels)
        evaluation = strategy.evaluate(data, labels, evaluator=evaluator)
        levels = strategy.levels_series(data, evaluator=evaluator)
        bars = ohlcv_arrays(base)
        last = len(bars) - 1
        start = max(0, last - lookback_bars)
        direction: Direction = "short" if strategy.direction == "short" else "long"
        rules = SetupRules(
            strategy=strategy.name,
            symbol=symbol,
            timeframe=strategy.timeframe,
            direction=direction,
            expires_bars=strategy.expires_bars,
            equity=self._config.account_equity,
            risk_pct=self._config.risk_per_trade_pct,
            warmup_bars=strategy.warmup_bars,
        )
        occupied = self._setups.occupancy(strategy.name, symbol, direction, int(bars.open_time[start]))
        if occupied:
            # Nothing is opened retroactively before a stored setup: history up to its signal bar stays as it
            # was recorded, so a later review can never slip a setup in front of (and across) a stored one.
            newest = max(begin for begin, _ in occupied)
            occupied = [*occupied, (int(bars.open_time[0]), newest + 1)]
        walk = walk_setups(
            bars,
            evaluation.signal,
            levels,
            evaluation.terms,
            rules,
            start=start,
            now_ms=now_ms,
            occupied=occupied,
            exit_signal=evaluation.exit_signal,
        )
        return _Reviewed(walk, last, direction)

    def condition_at(self, setup: Setup, now_ms: int) -> bool | None:
        """The setup's strategy condition on the newest bar closed by `now_ms` (None when it cannot tell)."""
        found = self._evaluate_at(setup, now_ms)
        return None if found is None or found.signal.size == 0 else bool(found.signal[-1])

    def exit_at(self, setup: Setup, now_ms: int) -> bool:
        """Whether the strategy's exit terms all held on the newest bar closed by `now_ms`."""
        strategy = self._strategy_of(setup)
        if strategy is None or not strategy.exit_terms:
            return False
        found = self._evaluate_at(setup, now_ms)
        exits = None if found is None else found.exit_signal
        return exits is not None and exits.size > 0 and bool(exits[-1])

    def _strategy_of(self, setup: Setup) -> CompiledStrategy | None:
        strategy = next((s for s in self._strategies if s.name == setup.strategy), None)
        return strategy if strategy is not None and strategy.timeframe == setup.timeframe else None

    def _evaluate_at(self, setup: Setup, now_ms: int) -> Evaluation | None:
        strategy = self._strategy_of(setup)
        if strategy is None:
            return None
        try:
            frames = ScanFrames(self._candles, self._exchange, self._config, now_ms)
            data = frames.frames_for(strategy, setup.symbol)
            base = data[strategy.timeframe]
            labels = frames.regime_for(base, strategy.timeframe) if strategy.uses_regime else None
            return strategy.evaluate(data, labels)
        except Exception as exc:
            log.warning("could not re-check %s %s: %s", setup.strategy, setup.symbol, _describe(exc))
            return None

    def current_regime(self) -> str:
        """The market regime at the reference symbol's last closed bar ("" when its candles are missing)."""
        return ScanFrames(self._candles, self._exchange, self._config, self._clock.now_ms()).current_regime()


def ohlcv_arrays(frame: pd.DataFrame) -> OhlcvArrays:
    """A candle frame (indexed by open_time) as the walk's arrays."""
    return OhlcvArrays(
        open_time=frame.index.to_numpy(dtype=np.int64),
        open=frame["open"].to_numpy(dtype=np.float64),
        high=frame["high"].to_numpy(dtype=np.float64),
        low=frame["low"].to_numpy(dtype=np.float64),
        close=frame["close"].to_numpy(dtype=np.float64),
        volume=frame["volume"].to_numpy(dtype=np.float64),
    )


def _describe(exc: BaseException) -> str:
    return redact(f"{type(exc).__name__}: {exc}")
