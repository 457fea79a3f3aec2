"""Orders that were open while the app was not running, met by the market they missed.

The rule: the gap starts at the first whole minute after the last market time the account saw (its newest
equity sample — one is written at every fill, every minute and at shutdown) and ends at the last minute that
closed before now. The minute the app stopped in is skipped: part of it was seen trade by trade, and its high or
low may be one of those trades. Each closed 1m candle of the gap, all symbols merged in time order, goes through
`paper_matching.on_candle` (its docstring has the candle rules: a limit fills when the candle traded through it,
a stop at its price or the open, stops before limits within a candle).

Candles come from the store; when it lacks some of the gap's minutes (the backfill has not written them yet, or
the symbol was not watched) and the market has a history source, the gap is fetched from it instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

from cryptoterm.domain.market import Candle
from cryptoterm.domain.trading.paper_account import Changes, PaperAccount
from cryptoterm.domain.trading.paper_matching import CANDLE_MS, on_candle
from cryptoterm.ports.candles import CandleReader
from cryptoterm.ports.market import HistorySource

log = logging.getLogger(__name__)


class GapCandles(Protocol):
    async def __call__(self, symbol: str, since_ms: int, until_ms: int) -> Sequence[Candle]:
        """Closed 1m candles with since_ms <= open_time < until_ms, oldest first."""
        ...


def gap_window(last_seen_ms: int, now_ms: int) -> tuple[int, int]:
    """[first, end) open times of the 1m candles the gap is filled from (see the module docstring)."""
    first = (last_seen_ms // CANDLE_MS + 1) * CANDLE_MS
    end = (now_ms // CANDLE_MS) * CANDLE_MS
    return first, end


async def fill_gap(account: PaperAccount, candles: GapCandles, last_seen_ms: int, now_ms: int) -> list[Changes]:
    """Walk the gap's candles through the account; returns what each changing candle did, in time order."""
    first, end = gap_window(last_seen_ms, now_ms)
    if end <= first:
        return []
    symbols = sorted({order.request.symbol for order in account.orders.values()})
    steps: list[tuple[int, str, Candle]] = []
    for symbol in symbols:
        try:
            got = await candles(symbol, first, end)
        except Exception as exc:  # a history source that failed: the orders wait for the live market
            log.warning("paper account: no 1m candles of %s for the gap (%s)", symbol, exc)
            continue
        steps.extend((c.open_time, symbol, c) for c in got if first <= c.open_time < end)
    steps.sort(key=lambda step: (step[0], step[1]))
    out: list[Changes] = []
    for _open_time, symbol, candle in steps:
        if not account.open_order_ids(symbol):
            account.marks[symbol] = candle.close
            continue
        changes = on_candle(account, symbol, candle)
        if changes:
            out.append(changes)
    return out


class StoredThenFetched:
    """Gap candles from the store, or from the market's history source when the store lacks some minutes."""

    def __init__(self, reader: CandleReader, exchange: str, history: HistorySource | None) -> None:
        self._reader = reader
        self._exchange = exchange
        self._history = history

    async def __call__(self, symbol: str, since_ms: int, until_ms: int) -> Sequence[Candle]:
        stored = await asyncio.to_thread(self._reader.read_candles, self._exchange, symbol, "1m", since_ms, until_ms)
        expected = (until_ms - since_ms) // CANDLE_MS
        if len(stored) >= expected or self._history is None:
            return stored
        fetched = await self._history.fetch_candles(symbol, "1m", since_ms, until_ms)
        merged = {c.open_time: c for c in stored}
        merged.update((c.open_time, c) for c in fetched if c.closed)
        return [merged[k] for k in sorted(merged)]
