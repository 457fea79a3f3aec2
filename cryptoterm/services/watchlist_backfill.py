"""Live chart history: what the store is missing for the watched symbols, fetched over REST and shown.

At start, for every symbol added to the watchlist, and for the gap after every reconnect, the 1m / 1h / 4h / 1d
series of the watched symbols are backfilled (the Backfiller asks only for what is missing) and whatever was
fetched is loaded into the feed's in-memory series, so charts have depth and no hole where the link was down.
Errors are logged, never fatal: a chart without history is still a chart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Protocol

from cryptoterm.domain.market import Candle
from cryptoterm.domain.timeframes import timeframe_ms
from cryptoterm.ports.candles import CandleStore
from cryptoterm.ports.market import HistorySource
from cryptoterm.services.backfill import Backfiller

log = logging.getLogger(__name__)

#: Timeframes fetched from the exchange for charts (smaller ones are built from trades as they arrive).
BACKFILLED_TIMEFRAMES = ("1m", "1h", "4h", "1d")


class HistoryTarget(Protocol):
    """Where fetched history is shown (the market feed's in-memory series)."""

    def add_history(self, symbol: str, timeframe: str, candles: Sequence[Candle]) -> None: ...


class WatchlistBackfill:
    """Backfills the watched symbols' chart series into the store and the feed. See the module docstring."""

    def __init__(
        self,
        history: HistorySource,
        store: CandleStore,
        exchange: str,
        backfill_days: float,
        target: HistoryTarget,
        chart_bars: int,
    ) -> None:
        self._store = store
        self._exchange = exchange
        self._days = backfill_days
        self._target = target
        self._chart_bars = chart_bars
        self._backfiller = Backfiller(history, store, exchange)

    async def backfill(self, symbols: Sequence[str], since_ms: int | None = None, until_ms: int | None = None) -> None:
        """Fetch what the store lacks for `symbols` (the last `backfill_days`, or [since_ms, until_ms))."""
        now = time.time_ns() // 1_000_000
        start = since_ms if since_ms is not None else now - int(self._days * 86_400_000)
        for symbol in symbols:
            for timeframe in BACKFILLED_TIMEFRAMES:
                step = timeframe_ms(timeframe)
                begin = max(start - step, now - self._chart_bars * step) if since_ms is None else start - step
                try:
                    result = await self._backfiller.backfill(symbol, timeframe, begin, until_ms)
                except Exception as exc:
                    log.warning("backfill %s %s failed: %s", symbol, timeframe, exc)
                    continue
                if result.fetched:
                    candles = await asyncio.to_thread(
                        self._store.read_candles, self._exchange, symbol, timeframe, since_ms=begin
                    )
                    self._target.add_history(symbol, timeframe, candles)
