"""Fill the store with closed candles from a history source, fetching only what is missing.

The store is the source of truth for what we have: each run reads the stored open times over the requested
range, asks the exchange only for the missing runs, writes every page as it arrives (so an interrupted run
resumes where it stopped), and then looks at what is *still* missing. Missing bars between two bars the
exchange did return are **exchange outages**: the exchange was asked and has nothing there. They are reported,
never invented — no forward-filling, no interpolation; a strategy must see that the market was closed.

Running a backfill twice writes nothing the second time (idempotent); outages found in this process are
remembered so a second run does not even ask again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from cryptoterm.domain.gaps import Gap, ceil_to_grid, find_gaps, missing_bars
from cryptoterm.domain.market import Candle
from cryptoterm.domain.timeframes import bucket_start, timeframe_ms
from cryptoterm.ports.candles import CandleStore
from cryptoterm.ports.clock import Clock
from cryptoterm.ports.market import HistorySource

log = logging.getLogger(__name__)

#: Bars per request when the source cannot page by itself.
DEFAULT_CHUNK_BARS = 1000


@runtime_checkable
class PagedHistorySource(Protocol):
    """A history source that can yield candles one exchange page at a time (e.g. `CcxtHistory`).

    Paging through the source lets one request jump over a long stretch with no data (a market listed
    after `since`), where fixed-size chunks would ask for every empty stretch separately.
    """

    def candle_pages(
        self, symbol: str, timeframe: str, since_ms: int, until_ms: int | None = None
    ) -> AsyncIterator[list[Candle]]: ...


@dataclass(frozen=True, slots=True)
class BackfillProgress:
    """Where a running backfill is: bars of the missing ranges covered so far, and rows written."""

    symbol: str
    timeframe: str
    bars_done: int
    bars_total: int
    rows_written: int


@dataclass(frozen=True, slots=True)
class BackfillResult:
    """What one backfill did and what remains missing, and why.

    `outages` are missing runs between bars the exchange returned: it was asked and has no bars there.
    `before_first` is the part of the range before the first bar that exists (the market was not listed
    yet, or the exchange keeps no older history); `after_last` the part after the last bar (no bar closed
    there yet, or the market stopped trading).
    """

    exchange: str
    symbol: str
    timeframe: str
    since_ms: int
    until_ms: int
    already_stored: int
    requested: tuple[Gap, ...]
    fetched: int
    written: int
    stored: int
    outages: tuple[Gap, ...]
    before_first: Gap | None
    after_last: Gap | None

    @property
    def outage_bars(self) -> int:
        """Bars missing because of exchange outages."""
        return sum(g.missing for g in self.outages)

    @property
    def requests_made(self) -> int:
        """Missing ranges this run asked the exchange for (0 when the store was already complete)."""
        return len(self.requested)


ProgressCallback = Callable[[BackfillProgress], None]


class Backfiller:
    """Backfills candles from `history` into `store` under the `exchange` key (e.g. "binance").

    `clock` decides which bars are closed when no `until_ms` is given; without one the system clock is used
    (only for that default).
    """

    def __init__(
        self,
        history: HistorySource,
        store: CandleStore,
        exchange: str,
        *,
        clock: Clock | None = None,
        chunk_bars: int = DEFAULT_CHUNK_BARS,
    ) -> None:
        if chunk_bars < 1:
            raise ValueError(f"chunk_bars must be >= 1, got {chunk_bars}")
        self.history = history
        self.store = store
        self.exchange = exchange
        self.chunk_bars = chunk_bars
        self._clock = clock
        self._known_empty: dict[tuple[str, str], list[Gap]] = {}

    def _now_ms(self) -> int:
        if self._clock is not None:
            return self._clock.now_ms()
        return int(time.time() * 1000)

    def known_outages(self, symbol: str, timeframe: str) -> list[Gap]:
        """Ranges the exchange was asked for in this process and had no bars in."""
        return list(self._known_empty.get((symbol, timeframe), []))

    async def backfill(
        self,
        symbol: str,
        timeframe: str,
        since_ms: int,
        until_ms: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> BackfillResult:
        """Make the store hold every closed bar the exchange has in [since_ms, until_ms).

        `until_ms=None` means up to the last closed bar. Errors from the source propagate after the pages
        already fetched have been stored, so running again continues from there.
        """
        step = timeframe_ms(timeframe)
        start = ceil_to_grid(since_ms, step)
        last_closed_end = bucket_start(self._now_ms(), step)
        end = last_closed_end if until_ms is None else min(ceil_to_grid(until_ms, step), last_closed_end)
        end = max(end, start)
        stored_times = await asyncio.to_thread(self._stored_times, symbol, timeframe, start, end)
        already = len(stored_times)
        key = (symbol, timeframe)
        missing = find_gaps(stored_times, step, start, end)
        requested = tuple(_subtract(missing, self._known_empty.get(key, []), step))
        total = sum(g.missing for g in requested)
        fetched = written = done = 0

        def report() -> None:
            if progress is not None:
                progress(BackfillProgress(symbol, timeframe, done, total, written))

        report()
        for gap in requested:
            covered_until = gap.start_ms
            async for page in self._pages(symbol, timeframe, gap, step):
                page = [c for c in page if gap.start_ms <= c.open_time < gap.end_ms and c.closed]
                if not page:
                    continue
                fetched += len(page)
                written += await asyncio.to_thread(self.store.write_candles, self.exchange, symbol, timeframe, page)
                new_cover = min(page[-1].open_time + step, gap.end_ms)
                done += max(0, (new_cover - covered_until) // step)
                covered_until = max(covered_until, new_cover)
                report()
            done += (gap.end_ms - covered_until) // step
            report()

        final_times = await asyncio.to_thread(self._stored_times, symbol, timeframe, start, end)
        split = missing_bars(final_times, step, start, end)
        # Remember what the exchange was asked for and does not have. The tail is not remembered: a bar that
        # has just closed may not be served yet, and the next run's range extends past it anyway.
        empty = list(split.interior)
        if split.leading is not None and final_times:
            empty.append(split.leading)
        self._known_empty[key] = _merge(self._known_empty.get(key, []) + empty, step)
        for outage in split.interior:
            log.info(
                "%s %s %s: exchange has no bars for %d bar(s) from %d (outage)",
                self.exchange,
                symbol,
                timeframe,
                outage.missing,
                outage.start_ms,
            )
        return BackfillResult(
            exchange=self.exchange,
            symbol=symbol,
            timeframe=timeframe,
            since_ms=start,
            until_ms=end,
            already_stored=already,
            requested=requested,
            fetched=fetched,
            written=written,
            stored=len(final_times),
            outages=split.interior,
            before_first=split.leading,
            after_last=split.trailing,
        )

    def _stored_times(self, symbol: str, timeframe: str, start: int, end: int) -> list[int]:
        if end <= start:
            return []
        return [c.open_time for c in self.store.read_candles(self.exchange, symbol, timeframe, start, end)]

    async def _pages(self, symbol: str, timeframe: str, gap: Gap, step: int) -> AsyncIterator[list[Candle]]:
        if isinstance(self.history, PagedHistorySource):
            async for page in self.history.candle_pages(symbol, timeframe, gap.start_ms, gap.end_ms):
                yield page
            return
        cursor = gap.start_ms
        while cursor < gap.end_ms:
            chunk_end = min(cursor + self.chunk_bars * step, gap.end_ms)
            yield await self.history.fetch_candles(symbol, timeframe, cursor, chunk_end)
            cursor = chunk_end


def _merge(gaps: list[Gap], step: int) -> list[Gap]:
    """Union of half-open ranges on one grid, sorted."""
    merged: list[Gap] = []
    for gap in sorted(gaps):
        if merged and gap.start_ms <= merged[-1].end_ms:
            first = merged[-1].start_ms
            end = max(merged[-1].end_ms, gap.end_ms)
            merged[-1] = Gap(first, end, (end - first) // step)
        else:
            merged.append(gap)
    return merged


def _subtract(gaps: list[Gap], covered: list[Gap], step: int) -> list[Gap]:
    """Parts of `gaps` not inside any of `covered` (ranges already known to hold no bars)."""
    result: list[Gap] = []
    for gap in gaps:
        pieces = [(gap.start_ms, gap.end_ms)]
        for c in covered:
            next_pieces: list[tuple[int, int]] = []
            for a, b in pieces:
                if c.end_ms <= a or c.start_ms >= b:
                    next_pieces.append((a, b))
                    continue
                if a < c.start_ms:
                    next_pieces.append((a, c.start_ms))
                if c.end_ms < b:
                    next_pieces.append((c.end_ms, b))
            pieces = next_pieces
        result.extend(Gap(a, b, (b - a) // step) for a, b in pieces if b > a)
    return result
