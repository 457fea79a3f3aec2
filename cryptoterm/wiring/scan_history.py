"""The history a scan reads, prepared before it: which series, how deep, and filling them.

One rule for every mode: each strategy's series is read `history_bars` or its warm-up deep (whichever is more),
and the regime reference at least `REGIME_BARS`. Live, the missing part is backfilled over REST before a scan.
The demo's history lives in the simulated market, so it is copied into the store once before the first scan;
from then on the feed stores every closed bar and scans read the store exactly as live.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from cryptoterm.adapters.store.candles import SqliteStore
from cryptoterm.config.schema import ScannerConfig
from cryptoterm.domain.market import Candle
from cryptoterm.domain.timeframes import timeframe_ms
from cryptoterm.ports.clock import Clock
from cryptoterm.ports.market import HistorySource
from cryptoterm.services.scan_types import StrategyLike

log = logging.getLogger(__name__)

#: Regime bars written at least (its volatility percentile looks back this far).
REGIME_BARS = 600


class CandleHistory(Protocol):
    """What seeding the demo store needs of the simulated market (its synchronous candle reader)."""

    @property
    def symbols(self) -> list[str]: ...

    def candles(self, symbol: str, timeframe: str, since_ms: int, until_ms: int | None = None) -> Sequence[Candle]: ...


def series_to_prepare(
    strategies: Iterable[StrategyLike],
    symbols_for: Callable[[StrategyLike], Iterable[str]],
    config: ScannerConfig,
    now_ms: int,
    *,
    higher_timeframes: bool,
    regime_always: bool,
) -> dict[tuple[str, str], int]:
    """(symbol, timeframe) → the open time the series must reach back to, for scans at `now_ms`.

    `higher_timeframes` adds each strategy's `@tf` series (else the scanner resamples them from the base);
    `regime_always` adds the regime reference even when no strategy tests the regime.
    """
    wanted: dict[tuple[str, str], int] = {}

    def need(symbol: str, timeframe: str, bars: int) -> None:
        since = now_ms - bars * timeframe_ms(timeframe)
        wanted[symbol, timeframe] = min(wanted.get((symbol, timeframe), now_ms), since)

    compiled = list(strategies)
    for strategy in compiled:
        depth = max(config.history_bars, int(strategy.warmup_bars) + 2) + 2
        timeframes = {strategy.timeframe, *strategy.timeframes_needed} if higher_timeframes else {strategy.timeframe}
        for symbol in symbols_for(strategy):
            for timeframe in timeframes:
                need(symbol, timeframe, depth)
    if compiled and (regime_always or any(getattr(s, "uses_regime", False) for s in compiled)):
        need(config.regime.symbol, config.regime.timeframe, max(config.history_bars, REGIME_BARS) + 2)
    return wanted


def seed_scan_history(
    store: SqliteStore,
    exchange: str,
    sim: CandleHistory,
    strategies: Iterable[StrategyLike],
    config: ScannerConfig,
    now_ms: int,
) -> int:
    """Copy what `strategies` and the regime will read from the simulated market; returns the rows written."""
    known = set(sim.symbols)
    wanted = series_to_prepare(
        strategies, lambda _: sim.symbols, config, now_ms, higher_timeframes=True, regime_always=True
    )
    rows = 0
    for (symbol, timeframe), since in sorted(wanted.items()):
        if symbol in known:
            rows += _copy(store, exchange, sim, symbol, timeframe, since, now_ms)
    return rows


async def backfill_scan_history(
    history: HistorySource,
    store: SqliteStore,
    exchange: str,
    clock: Clock,
    strategies: Iterable[StrategyLike],
    symbols_for: Callable[[StrategyLike], Iterable[str]],
    config: ScannerConfig,
) -> int:
    """Fetch over REST what `strategies` will read and the store lacks; returns bars fetched. A failing series
    is logged and skipped: the scan then reports the symbols it could not read."""
    from cryptoterm.services.backfill import Backfiller

    backfiller = Backfiller(history, store, exchange, clock=clock)
    wanted = series_to_prepare(
        strategies, symbols_for, config, clock.now_ms(), higher_timeframes=False, regime_always=False
    )
    fetched = 0
    for (symbol, timeframe), since in sorted(wanted.items()):
        try:
            result = await backfiller.backfill(symbol, timeframe, since)
        except Exception as exc:
            log.warning("updating %s %s candles failed: %s", symbol, timeframe, exc)
            continue
        fetched += result.fetched
    return fetched


def _copy(
    store: SqliteStore, exchange: str, sim: CandleHistory, symbol: str, timeframe: str, since_ms: int, now_ms: int
) -> int:
    candles = sim.candles(symbol, timeframe, since_ms, now_ms)
    if candles:
        store.write_candles(exchange, symbol, timeframe, candles)
    return len(candles)
