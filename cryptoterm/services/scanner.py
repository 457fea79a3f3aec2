"""The scanner: every enabled strategy over its universe, on the last closed bar, into setups.

`Scanner.scan()` is synchronous and thread-safe: the TUI runs it in a thread worker (`run_worker(thread=True,
exclusive=True)`), `--scan-once` calls it directly. It reads candle frames from the store (higher timeframes
from the store when stored, else resampled from the base frame by the strategy), evaluates each strategy's
signal array, and turns a signal on the newest closed bar into a sized setup. One bad symbol (no candles,
a NaN level, a broken frame) becomes an error entry in the run's record and the report; it never fails the
scan. Every run is recorded in `scan_runs` with its duration, counts and errors.

The universe is refreshed before each scan with `await UniverseProvider.refresh()` (tickers are async); the
synchronous scan then reads the refreshed lists.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from cryptoterm.adapters.errors import redact
from cryptoterm.adapters.store.candles import SqliteStore
from cryptoterm.adapters.store.setups_repo import SetupsRepo
from cryptoterm.config.schema import RegimeConfig, ScannerConfig
from cryptoterm.domain import regime as regime_mod
from cryptoterm.domain.market import Candle
from cryptoterm.domain.setups import Setup, Transition, build_setup
from cryptoterm.domain.setups import advance as advance_setup
from cryptoterm.domain.timeframes import bucket_start, timeframe_ms
from cryptoterm.ports.clock import Clock
from cryptoterm.services.notifications import NotificationOutbox, error_message, setup_message
from cryptoterm.services.scan_types import ScanError, ScanReport, StrategyLike
from cryptoterm.services.signal_details import conditions_at, entry_zone_of, signal_direction
from cryptoterm.services.universe_provider import UniverseProvider

__all__ = ["ScanError", "ScanReport", "Scanner", "StrategyLike", "UniverseProvider"]

log = logging.getLogger(__name__)

#: Frames read during one scan, by (symbol, timeframe, until_ms, limit).
FrameCache = dict[tuple[str, str, int, int], pd.DataFrame]


class Scanner:
    """Runs strategies over their universes and records setups. See the module docstring."""

    def __init__(
        self,
        store: SqliteStore,
        strategies: Sequence[StrategyLike],
        config: ScannerConfig,
        exchange: str,
        clock: Clock,
        notifications: NotificationOutbox | None,
        universe: UniverseProvider,
        *,
        repo: SetupsRepo | None = None,
    ) -> None:
        self._store = store
        self._repo = repo if repo is not None else SetupsRepo(store)
        self._strategies = list(strategies)
        self._config = config
        self._exchange = exchange
        self._clock = clock
        self._notifications = notifications
        self._universe = universe
        self._lock = threading.Lock()

    @property
    def strategies(self) -> list[StrategyLike]:
        return list(self._strategies)

    @property
    def repo(self) -> SetupsRepo:
        return self._repo

    @property
    def history_bars(self) -> int:
        """Base bars read per symbol (at least each strategy's warm-up)."""
        return self._config.history_bars

    @property
    def regime_config(self) -> RegimeConfig:
        return self._config.regime

    def scan(self, origin: str = "manual", lookback_bars: int = 0) -> ScanReport:
        """Scan every strategy once. Serialised: a second caller waits for the first scan to finish.

        With `lookback_bars` > 0 the scan also reviews that many closed bars before the last one: each signal
        there (newer than any setup already opened for it) opens a setup at its own bar, which is then walked
        through the bars since with the same lifecycle rules as live. Setups still open are notified as new.
        """
        with self._lock:
            return self._scan(origin, max(0, lookback_bars))

    def _scan(self, origin: str, lookback_bars: int = 0) -> ScanReport:
        started = self._clock.now_ms()
        run_id = self._repo.start_scan_run(started, origin)
        errors: list[ScanError] = []
        created: list[Setup] = []
        duplicates: list[str] = []
        symbols_seen: set[str] = set()
        hits = 0
        regime_cache: dict[str, tuple[pd.Index, npt.NDArray[np.str_]] | None] = {}
        frame_cache: FrameCache = {}
        for strategy in self._strategies:
            try:
                symbols = self._universe.symbols_for(strategy.name)
            except Exception as exc:
                errors.append(ScanError(strategy.name, "*", _describe(exc)))
                continue
            for symbol in symbols:
                symbols_seen.add(symbol)
                if lookback_bars:
                    try:
                        reviewed = self._review_recent(
                            strategy, symbol, started, lookback_bars, regime_cache, frame_cache
                        )
                    except Exception as exc:
                        log.debug("scan of %s %s failed", strategy.name, symbol, exc_info=True)
                        errors.append(ScanError(strategy.name, symbol, _describe(exc)))
                        continue
                    for first, final, transitions in reviewed:
                        hits += 1
                        saved = self._repo.insert_setup(first, scan_run_id=run_id)
                        if saved is None:
                            duplicates.append(f"{strategy.name} {symbol} {first.direction}")
                            continue
                        if transitions:
                            final = replace(final, id=saved.id)
                            self._repo.save_transitions(final, transitions)
                        else:
                            final = saved
                        created.append(final)
                        if self._notifications is not None and final.is_open:
                            self._notifications.emit(setup_message(final))
                    continue
                try:
                    setup = self._scan_one(strategy, symbol, started, regime_cache, frame_cache)
                except Exception as exc:
                    log.debug("scan of %s %s failed", strategy.name, symbol, exc_info=True)
                    errors.append(ScanError(strategy.name, symbol, _describe(exc)))
                    continue
                if setup is None:
                    continue
                hits += 1
                saved = self._repo.insert_setup(setup, scan_run_id=run_id)
                if saved is None:
                    duplicates.append(f"{strategy.name} {symbol} {setup.direction}")
                    continue
                created.append(saved)
                if self._notifications is not None:
                    self._notifications.emit(setup_message(saved))
        finished = self._clock.now_ms()
        self._repo.finish_scan_run(
            run_id,
            finished_ms=finished,
            duration_ms=finished - started,
            strategies=len(self._strategies),
            symbols=len(symbols_seen),
            hits=hits,
            new_setups=len(created),
            errors=[e.as_dict() for e in errors],
        )
        if errors and self._notifications is not None:
            self._notifications.emit(error_message(origin, [e.as_dict() for e in errors]))
        try:
            regime = self.current_regime()
        except Exception as exc:
            log.warning("regime of %s unavailable: %s", self._config.regime.symbol, _describe(exc))
            regime = ""
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
        )

    # -- one strategy, one symbol -------------------------------------------------------------------------

    def frames_for(
        self, strategy: StrategyLike, symbol: str, now_ms: int, cache: FrameCache | None = None
    ) -> dict[str, pd.DataFrame]:
        """Closed candles as of `now_ms`: the base frame, plus each higher timeframe that is stored.

        `cache` (one per scan) shares frames between strategies on the same symbol and timeframe; frames are
        never modified, so sharing them is safe.
        """
        base_tf = strategy.timeframe
        limit = max(self._config.history_bars, int(strategy.warmup_bars) + 2)
        until = bucket_start(now_ms, timeframe_ms(base_tf))
        base = self._read(symbol, base_tf, until, limit, cache)
        if base.empty:
            raise LookupError(f"no {base_tf} candles stored for {symbol} on {self._exchange}")
        frames = {base_tf: base}
        last_close = int(base.index[-1]) + timeframe_ms(base_tf)
        for tf in sorted(set(strategy.timeframes_needed) - {base_tf}):
            higher = self._read(symbol, tf, last_close - timeframe_ms(tf) + 1, limit, cache)
            if len(higher) > 0:
                frames[tf] = higher
        return frames

    def _read(self, symbol: str, timeframe: str, until_ms: int, limit: int, cache: FrameCache | None) -> pd.DataFrame:
        key = (symbol, timeframe, until_ms, limit)
        if cache is not None and key in cache:
            return cache[key]
        frame = self._store.read_candles_frame(self._exchange, symbol, timeframe, until_ms=until_ms, limit=limit)
        if cache is not None:
            cache[key] = frame
        return frame

    def _scan_one(
        self,
        strategy: StrategyLike,
        symbol: str,
        now_ms: int,
        regime_cache: dict[str, tuple[pd.Index, npt.NDArray[np.str_]] | None],
        frame_cache: FrameCache,
    ) -> Setup | None:
        frames = self.frames_for(strategy, symbol, now_ms, frame_cache)
        base = frames[strategy.timeframe]
        labels = self._regime_for(base, strategy.timeframe, regime_cache) if _uses_regime(strategy) else None
        evaluation = strategy.evaluate(frames, labels)
        signal = np.asarray(evaluation.signal, dtype=bool)
        if signal.size != len(base):
            raise ValueError(f"signal has {signal.size} values for {len(base)} bars")
        if signal.size == 0 or not bool(signal[-1]):
            return None
        index = len(base) - 1
        levels = strategy.levels_at(frames, index)
        zone = entry_zone_of(levels)
        return build_setup(
            strategy=strategy.name,
            symbol=symbol,
            timeframe=strategy.timeframe,
            direction=signal_direction(strategy.direction),
            entry=float(levels.entry),
            stop=float(levels.stop),
            targets=[float(t) for t in levels.targets],
            bar_time=int(base.index[-1]),
            created_ms=now_ms,
            expires_bars=max(1, int(strategy.expires_bars)),
            equity=self._config.account_equity,
            risk_pct=self._config.risk_per_trade_pct,
            entry_zone=zone,
            conditions=conditions_at(evaluation.terms, index),
        )

    def _review_recent(
        self,
        strategy: StrategyLike,
        symbol: str,
        now_ms: int,
        lookback_bars: int,
        regime_cache: dict[str, tuple[pd.Index, npt.NDArray[np.str_]] | None],
        frame_cache: FrameCache,
    ) -> list[tuple[Setup, Setup, list[Transition]]]:
        """Signals in the last `lookback_bars` + 1 closed bars, each as (setup at its signal bar, the setup after
        the bars since, the transitions between). One open setup at a time, as live: a signal while one is
        open is skipped, exactly as the scanner would have skipped it then."""
        frames = self.frames_for(strategy, symbol, now_ms, frame_cache)
        base = frames[strategy.timeframe]
        labels = self._regime_for(base, strategy.timeframe, regime_cache) if _uses_regime(strategy) else None
        evaluation = strategy.evaluate(frames, labels)
        signal = np.asarray(evaluation.signal, dtype=bool)
        if signal.size != len(base):
            raise ValueError(f"signal has {signal.size} values for {len(base)} bars")
        direction = signal_direction(strategy.direction)
        newest_known = self._repo.latest_signal_bar(strategy.name, symbol, direction)
        step = timeframe_ms(strategy.timeframe)
        times = base.index.to_numpy(dtype=np.int64)
        columns = [base[c].to_numpy(dtype=float) for c in ("open", "high", "low", "close", "volume")]
        out: list[tuple[Setup, Setup, list[Transition]]] = []
        current: tuple[Setup, Setup, list[Transition]] | None = None
        for j in range(max(0, len(base) - 1 - lookback_bars), len(base)):
            bar_time = int(times[j])
            closes_at = bar_time + step
            if current is not None:
                first, setup, transitions = current
                o, h, lo, c, v = (float(col[j]) for col in columns)
                setup, made = advance_setup(setup, Candle(bar_time, o, h, lo, c, v), closes_at, bool(signal[j]))
                current = (first, setup, transitions + made)
                if not setup.is_open:
                    out.append(current)
                    current = None
            if current is not None or not signal[j] or (newest_known is not None and bar_time <= newest_known):
                continue
            try:
                levels = strategy.levels_at(frames, j)
            except ValueError as exc:
                log.debug("%s %s: no levels at %d: %s", strategy.name, symbol, bar_time, exc)
                continue
            first = build_setup(
                strategy=strategy.name,
                symbol=symbol,
                timeframe=strategy.timeframe,
                direction=direction,
                entry=float(levels.entry),
                stop=float(levels.stop),
                targets=[float(t) for t in levels.targets],
                bar_time=bar_time,
                created_ms=min(closes_at, now_ms),
                expires_bars=max(1, int(strategy.expires_bars)),
                equity=self._config.account_equity,
                risk_pct=self._config.risk_per_trade_pct,
                entry_zone=entry_zone_of(levels),
                conditions=conditions_at(evaluation.terms, j),
            )
            current = (first, first, [])
        if current is not None:
            out.append(current)
        return out

    def condition_at(self, setup: Setup, now_ms: int) -> bool | None:
        """The setup's strategy condition on the newest bar closed by `now_ms` (None when it cannot tell)."""
        strategy = next((s for s in self._strategies if s.name == setup.strategy), None)
        if strategy is None or strategy.timeframe != setup.timeframe:
            return None
        try:
            frames = self.frames_for(strategy, setup.symbol, now_ms)
            base = frames[strategy.timeframe]
            labels = self._regime_for(base, strategy.timeframe, {}) if _uses_regime(strategy) else None
            signal = np.asarray(strategy.evaluate(frames, labels).signal, dtype=bool)
        except Exception as exc:
            log.warning("could not re-check %s %s: %s", setup.strategy, setup.symbol, _describe(exc))
            return None
        return bool(signal[-1]) if signal.size else None

    def current_regime(self) -> str:
        """The market regime at the reference symbol's last closed bar ("" when its candles are missing)."""
        cfg = self._config.regime
        found = self._regime_labels(cfg, self._clock.now_ms() - timeframe_ms(cfg.timeframe) + 1)
        if found is None or len(found[1]) == 0:
            return ""
        return str(found[1][-1])

    def _regime_for(
        self,
        base: pd.DataFrame,
        base_tf: str,
        cache: dict[str, tuple[pd.Index, npt.NDArray[np.str_]] | None],
    ) -> npt.NDArray[np.str_] | None:
        """Regime labels aligned to `base`, from the reference symbol; None when its candles are missing."""
        cfg: RegimeConfig = self._config.regime
        if "labels" not in cache:
            base_close = int(base.index[-1]) + timeframe_ms(base_tf)
            cache["labels"] = self._regime_labels(cfg, base_close - timeframe_ms(cfg.timeframe) + 1)
        found = cache["labels"]
        if found is None:
            return None
        index, labels = found
        return regime_mod.align(labels, index.to_numpy(), cfg.timeframe, base.index.to_numpy(), base_tf)

    def _regime_labels(self, cfg: RegimeConfig, until_ms: int) -> tuple[pd.Index, npt.NDArray[np.str_]] | None:
        limit = max(self._config.history_bars, 600)
        frame = self._store.read_candles_frame(
            self._exchange, cfg.symbol, cfg.timeframe, until_ms=until_ms, limit=limit
        )
        if frame.empty:
            return None
        labels = regime_mod.classify(
            frame,
            ema_period=cfg.ema_period,
            adx_period=cfg.adx_period,
            adx_trend=cfg.adx_trend,
            atr_period=cfg.atr_period,
            high_vol_percentile=cfg.high_vol_percentile,
        )
        return frame.index, labels


def _uses_regime(strategy: StrategyLike) -> bool:
    return bool(getattr(strategy, "uses_regime", True))


def _describe(exc: BaseException) -> str:
    return redact(f"{type(exc).__name__}: {exc}")
