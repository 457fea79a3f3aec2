"""What a backtest reads, loaded once: each symbol's frames over the range (plus the warm-up before it) and the
regime labels aligned to its bars.

Loading is the only part of a backtest that touches the store; everything after it is a pure function of
these inputs, so a sweep loads once and hands the same inputs to every parameter set (in this process, a
process pool or a cluster: the inputs are plain frames and arrays, picklable).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cryptoterm.config.schema import ScannerConfig
from cryptoterm.domain import regime as regime_mod
from cryptoterm.domain.regime import LabelArray
from cryptoterm.domain.timeframes import timeframe_ms
from cryptoterm.ports.candles import CandleReader
from cryptoterm.services.scan_inputs import REGIME_BARS, read_range


@dataclass(frozen=True, slots=True)
class SymbolInputs:
    """One symbol: its frames by timeframe (the strategy's first) and the regime label of each base bar."""

    symbol: str
    frames: dict[str, pd.DataFrame]
    labels: LabelArray | None


@dataclass(frozen=True, slots=True)
class BacktestInputs:
    """Every symbol's inputs for a strategy timeframe over [since_ms, until_ms), with what loading found."""

    timeframe: str
    since_ms: int | None
    until_ms: int | None
    symbols: tuple[SymbolInputs, ...]
    errors: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def load_inputs(
    candles: CandleReader,
    exchange: str,
    scanner: ScannerConfig,
    *,
    timeframe: str,
    timeframes: Sequence[str],
    warmup_bars: int,
    uses_regime: bool,
    symbols: Sequence[str],
    since_ms: int | None,
    until_ms: int | None,
) -> BacktestInputs:
    """Read every symbol's `timeframe` and `timeframes` over the range, `warmup_bars` base bars before
    `since_ms`; a timeframe not stored is derived from a lower one (and noted); a symbol without base bars is an
    error entry."""
    step = timeframe_ms(timeframe)
    warm = None if since_ms is None else since_ms - (warmup_bars + 2) * step
    notes: list[str] = []
    errors: list[str] = []
    regime = _regime(candles, exchange, scanner, since_ms, until_ms, notes) if uses_regime else None
    loaded: list[SymbolInputs] = []
    for symbol in symbols:
        base, source = read_range(candles, exchange, symbol, timeframe, warm, until_ms)
        if base.empty:
            errors.append(f"{symbol}: LookupError: no {timeframe} candles stored on {exchange}")
            continue
        if source is not None:
            notes.append(f"{symbol} {timeframe} derived from {source}")
        frames = {timeframe: base}
        for tf in sorted(set(timeframes) - {timeframe}):
            higher, higher_source = read_range(candles, exchange, symbol, tf, warm, until_ms)
            if len(higher):
                frames[tf] = higher
                if higher_source is not None:
                    notes.append(f"{symbol} {tf} derived from {higher_source}")
        labels = None
        if regime is not None:
            index, values = regime
            cfg = scanner.regime
            labels = regime_mod.align(values, index.to_numpy(), cfg.timeframe, base.index.to_numpy(), timeframe)
        loaded.append(SymbolInputs(symbol, frames, labels))
    return BacktestInputs(timeframe, since_ms, until_ms, tuple(loaded), tuple(errors), tuple(dict.fromkeys(notes)))


def _regime(
    candles: CandleReader,
    exchange: str,
    scanner: ScannerConfig,
    since_ms: int | None,
    until_ms: int | None,
    notes: list[str],
) -> tuple[pd.Index, LabelArray] | None:
    cfg = scanner.regime
    step = timeframe_ms(cfg.timeframe)
    since = None if since_ms is None else since_ms - (REGIME_BARS + 2) * step
    frame, source = read_range(candles, exchange, cfg.symbol, cfg.timeframe, since, until_ms)
    if frame.empty:
        notes.append(f"{cfg.symbol} {cfg.timeframe}: no candles for the regime; regime terms never hold")
        return None
    if source is not None:
        notes.append(f"{cfg.symbol} {cfg.timeframe} derived from {source}")
    labels = regime_mod.classify(
        frame,
        ema_period=cfg.ema_period,
        adx_period=cfg.adx_period,
        adx_trend=cfg.adx_trend,
        atr_period=cfg.atr_period,
        high_vol_percentile=cfg.high_vol_percentile,
    )
    return frame.index, labels


def first_index(frame: pd.DataFrame, since_ms: int | None) -> int:
    """Position of the first bar at or after `since_ms` (0 without a start)."""
    return 0 if since_ms is None else int(np.searchsorted(frame.index.to_numpy(), since_ms))
