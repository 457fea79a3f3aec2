"""What a scan reads, in one place: which series, how deep, and how they are read from the store.

Every mode prepares and reads the same way (the TUI's scans, `--scan-once`, `--headless`, the demo), so a
rule written here cannot drift between them:

* **Depth.** A strategy reads `bars_to_read` closed bars of its timeframe (its `history_bars`, or its warm-up
  when that is longer) and as many of each `@tf` it names; the regime reference reads `REGIME_BARS` at least;
  an open setup needs every bar since the newest one applied to it. `series_needed` turns that into what must
  be in the store before a scan; one bar more is asked for than read, so the newest closed bar is never the
  one that is missing.
* **Deriving a timeframe.** When the store has fewer bars of a timeframe than a scan reads (only 1h was
  downloaded, a `@1d` term asks for daily bars), they are derived from the largest stored lower timeframe that
  divides it, exactly, complete buckets only (`aggregate_complete`), and the scan says so.
* **Stale series.** A series whose newest bar is `STALE_BARS` or more behind the last closed bar (a 2023 file
  scanned in 2026) is reported, so a setup from old data is never presented as news without a warning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from cryptoterm.config.schema import ScannerConfig
from cryptoterm.domain import regime as regime_mod
from cryptoterm.domain.regime import LabelArray
from cryptoterm.domain.setups import Setup
from cryptoterm.domain.strategy import CompiledStrategy, aggregate_complete
from cryptoterm.domain.timeframes import TIMEFRAMES, bucket_start, timeframe_ms
from cryptoterm.ports.candles import CandleReader

#: Regime bars read at least (its volatility percentile looks back this far).
REGIME_BARS = 600
#: A series this many closed bars behind the clock is stale.
STALE_BARS = 2

SeriesKey = tuple[str, str]


def bars_to_read(strategy: CompiledStrategy, config: ScannerConfig) -> int:
    """Closed bars of the strategy's timeframe (and of each `@tf` it names) a scan reads."""
    return max(config.history_bars, strategy.warmup_bars + 2)


def regime_bars_to_read(config: ScannerConfig) -> int:
    return max(config.history_bars, REGIME_BARS)


def series_needed(
    strategies: Iterable[CompiledStrategy],
    symbols_for: Callable[[CompiledStrategy], Iterable[str]],
    open_setups: Iterable[Setup],
    config: ScannerConfig,
    now_ms: int,
) -> dict[SeriesKey, int]:
    """(symbol, timeframe) → the open time the stored series must reach back to for a scan at `now_ms`."""
    wanted: dict[SeriesKey, int] = {}

    def need_since(symbol: str, timeframe: str, since: int) -> None:
        wanted[symbol, timeframe] = min(wanted.get((symbol, timeframe), since), since)

    def need_bars(symbol: str, timeframe: str, bars: int) -> None:
        step = timeframe_ms(timeframe)
        need_since(symbol, timeframe, bucket_start(now_ms, step) - (bars + 1) * step)

    chosen = list(strategies)
    for strategy in chosen:
        depth = bars_to_read(strategy, config)
        for symbol in symbols_for(strategy):
            for timeframe in {strategy.timeframe, *strategy.timeframes_needed}:
                need_bars(symbol, timeframe, depth)
    if chosen:
        # The reference is read for every scan: strategies may test it and the report carries it.
        need_bars(config.regime.symbol, config.regime.timeframe, regime_bars_to_read(config))
    for setup in open_setups:
        need_since(setup.symbol, setup.timeframe, setup.seen_until + timeframe_ms(setup.timeframe))
    return wanted


@dataclass(frozen=True, slots=True)
class StaleSeries:
    """A series whose newest stored bar is well behind the clock."""

    symbol: str
    timeframe: str
    last_bar_ms: int
    bars_behind: int


@dataclass(slots=True)
class ScanFrames:
    """The frames one scan reads, as of `now_ms`, shared between its strategies (frames are never modified).

    `derived` and `stale` collect what the scan must say about its data.
    """

    candles: CandleReader
    exchange: str
    config: ScannerConfig
    now_ms: int
    derived: dict[SeriesKey, str] = field(default_factory=dict)
    stale: dict[SeriesKey, StaleSeries] = field(default_factory=dict)
    _cache: dict[tuple[str, str, int, int], pd.DataFrame] = field(default_factory=dict)
    _regime: dict[int, tuple[pd.Index, LabelArray] | None] = field(default_factory=dict)

    def frames_for(self, strategy: CompiledStrategy, symbol: str) -> dict[str, pd.DataFrame]:
        """Closed candles of the strategy's timeframe, plus each higher timeframe it names that can be read.

        Raises LookupError when the base timeframe has no bars (stored or derivable).
        """
        base_tf = strategy.timeframe
        limit = bars_to_read(strategy, self.config)
        until = bucket_start(self.now_ms, timeframe_ms(base_tf))
        base = self.series(symbol, base_tf, until, limit)
        if base.empty:
            raise LookupError(f"no {base_tf} candles stored for {symbol} on {self.exchange}")
        self._check_stale(symbol, base_tf, base)
        frames = {base_tf: base}
        last_close = int(base.index[-1]) + timeframe_ms(base_tf)
        for tf in sorted(set(strategy.timeframes_needed) - {base_tf}):
            higher = self.series(symbol, tf, last_close - timeframe_ms(tf) + 1, limit)
            if len(higher) > 0:
                frames[tf] = higher
        return frames

    def series(self, symbol: str, timeframe: str, until_ms: int, limit: int) -> pd.DataFrame:
        """Up to `limit` closed bars opening before `until_ms`: stored, or derived when that gives more."""
        key = (symbol, timeframe, until_ms, limit)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        frame = self.candles.read_candles_frame(self.exchange, symbol, timeframe, until_ms=until_ms, limit=limit)
        if len(frame) < limit:
            derived = self._derive(symbol, timeframe, until_ms, limit)
            if derived is not None and len(derived[1]) > len(frame):
                source, frame = derived
                self.derived[symbol, timeframe] = source
        self._cache[key] = frame
        return frame

    def _derive(self, symbol: str, timeframe: str, until_ms: int, limit: int) -> tuple[str, pd.DataFrame] | None:
        step = timeframe_ms(timeframe)
        lower = [tf for tf in TIMEFRAMES if timeframe_ms(tf) < step and step % timeframe_ms(tf) == 0]
        end = _ceil(until_ms, step)
        for source in sorted(lower, key=timeframe_ms, reverse=True):
            ratio = step // timeframe_ms(source)
            frame = self.candles.read_candles_frame(
                self.exchange, symbol, source, until_ms=end, limit=(limit + 1) * ratio
            )
            if frame.empty:
                continue
            out = aggregate_complete(frame, source, timeframe)
            out = out.loc[out.index < until_ms].tail(limit)
            if len(out):
                return source, out
        return None

    def _check_stale(self, symbol: str, timeframe: str, frame: pd.DataFrame) -> None:
        step = timeframe_ms(timeframe)
        newest_closed = bucket_start(self.now_ms, step) - step
        behind = (newest_closed - int(frame.index[-1])) // step
        if behind >= STALE_BARS:
            self.stale[symbol, timeframe] = StaleSeries(symbol, timeframe, int(frame.index[-1]), int(behind))

    # -- the market regime ---------------------------------------------------------------------------------

    def regime_for(self, base: pd.DataFrame, base_tf: str) -> LabelArray | None:
        """Regime labels aligned to `base`, from the reference symbol; None when its candles are missing."""
        cfg = self.config.regime
        base_close = int(base.index[-1]) + timeframe_ms(base_tf)
        found = self._labels(base_close - timeframe_ms(cfg.timeframe) + 1)
        if found is None:
            return None
        index, labels = found
        return regime_mod.align(labels, index.to_numpy(), cfg.timeframe, base.index.to_numpy(), base_tf)

    def current_regime(self) -> str:
        """The regime at the reference symbol's last closed bar ("" when its candles are missing)."""
        cfg = self.config.regime
        found = self._labels(self.now_ms - timeframe_ms(cfg.timeframe) + 1)
        if found is None or len(found[1]) == 0:
            return ""
        return str(found[1][-1])

    def _labels(self, until_ms: int) -> tuple[pd.Index, LabelArray] | None:
        cfg = self.config.regime
        until = _ceil(until_ms, timeframe_ms(cfg.timeframe))
        if until in self._regime:
            return self._regime[until]
        frame = self.series(cfg.symbol, cfg.timeframe, until, regime_bars_to_read(self.config))
        found: tuple[pd.Index, LabelArray] | None = None
        if not frame.empty:
            labels = regime_mod.classify(
                frame,
                ema_period=cfg.ema_period,
                adx_period=cfg.adx_period,
                adx_trend=cfg.adx_trend,
                atr_period=cfg.atr_period,
                high_vol_percentile=cfg.high_vol_percentile,
            )
            found = (frame.index, labels)
        self._regime[until] = found
        return found


def read_range(
    candles: CandleReader, exchange: str, symbol: str, timeframe: str, since_ms: int | None, until_ms: int | None
) -> tuple[pd.DataFrame, str | None]:
    """Stored closed bars with since_ms <= open_time < until_ms, or — when none are stored — the same range
    derived exactly from the largest stored lower timeframe (complete buckets only). Returns the frame and the
    timeframe it was derived from (None when stored). A backtest reads its history through here."""
    frame = candles.read_candles_frame(exchange, symbol, timeframe, since_ms=since_ms, until_ms=until_ms)
    if len(frame):
        return frame, None
    step = timeframe_ms(timeframe)
    lower = [tf for tf in TIMEFRAMES if timeframe_ms(tf) < step and step % timeframe_ms(tf) == 0]
    for source in sorted(lower, key=timeframe_ms, reverse=True):
        start = None if since_ms is None else _ceil(since_ms, step)
        end = None if until_ms is None else _ceil(until_ms, step)
        finer = candles.read_candles_frame(exchange, symbol, source, since_ms=start, until_ms=end)
        if finer.empty:
            continue
        derived = aggregate_complete(finer, source, timeframe)
        if until_ms is not None:
            derived = derived.loc[derived.index < until_ms]
        if len(derived):
            return derived, source
    return frame, None


def _ceil(ts_ms: int, step: int) -> int:
    """`ts_ms` rounded up to the timeframe grid (bars open on it, so `open_time < ts_ms` is unchanged)."""
    return -(-ts_ms // step) * step


def derived_notes(derived: Mapping[SeriesKey, str]) -> list[str]:
    """One line per derived series, for the scan log: "BTC/USDT 4h derived from 1h"."""
    return [f"{symbol} {timeframe} derived from {source}" for (symbol, timeframe), source in sorted(derived.items())]
