"""`SimulatedMarket`: the offline market behind `cryptoterm --demo`, serving both market ports.

On construction it generates `history_days` of history for every symbol (aligned back to a UTC midnight so
every higher-timeframe history bar is complete; the last `minute_days` kept at 1m, older days as 15m bars, see
history.py), ending exactly at `start_ms`, where the live stream begins.
The live stream continues the same process minute by minute (model.py), turns each minute into trades
(trades.py) and emits them in batches of `batch_ms` of simulated time, with a `BookTop` for every symbol
that traded and, for subscribed symbols, a `DepthSnapshot` once and then `DepthUpdate` diffs (book.py).

Time: simulated time starts at `start_ms` and advances only as batches are produced. With `speed` N > 0 a
batch is released when the wall clock (the injected `clock`, epoch ms) says N x the elapsed simulated time
has passed; with speed 0 batches come as fast as the consumer takes them, never sleeping.

Determinism: every random draw comes from generators seeded by (seed, purpose, minute or symbol), and batch
boundaries are fixed in simulated time, so the same seed and start give the same history and the same event
sequence however fast the wall clock runs. The seed fixes the draws; `start_ms` only places them in time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from cryptoterm.adapters.sim.bars import Bars
from cryptoterm.adapters.sim.day_stats import day_stats
from cryptoterm.adapters.sim.depth_feed import SimDepthFeed
from cryptoterm.adapters.sim.history import BarBuffer, concat, generate_history
from cryptoterm.adapters.sim.model import (
    REGIMES,
    MinuteBlock,
    ModelParams,
    SymbolTable,
    initial_state,
    simulate,
)
from cryptoterm.adapters.sim.packed_bars import PackedBars
from cryptoterm.adapters.sim.tier_candles import tier_candles
from cryptoterm.adapters.sim.trades import MinuteTrades, minute_trades
from cryptoterm.adapters.sim.universe import SymbolSpec, select_universe
from cryptoterm.config.schema import DemoConfig
from cryptoterm.domain.market import (
    BookTop,
    Candle,
    DepthSnapshot,
    MarketEvent,
    SymbolInfo,
    TickerStats,
    Trade,
)
from cryptoterm.domain.timeframes import DAY_MS, MINUTE_MS, bucket_start, timeframe_ms
from cryptoterm.ports.market import StreamHealth

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Live minutes simulated per model call: large enough to amortise numpy overhead, small enough to be instant.
LIVE_BLOCK_MINUTES: Final = 60
#: Random streams, one per purpose, so that (for example) subscribing to depth never changes the trades.
_HISTORY, _LIVE_MODEL, _LIVE_TRADES, _BOOK_TOP, _DEPTH, _ONE_OFF_DEPTH = range(6)
_SIDES: Final = np.array(["sell", "buy"], dtype=object)


def _wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class SimulatedMarket:
    """A seeded, offline market implementing `MarketStream` and `HistorySource`.

    `start_ms` is floored to the minute. `clock` is the wall clock used to pace `speed` > 0 (epoch ms;
    defaults to the system clock). `batch_ms` must divide a minute.
    """

    name = "sim"

    def __init__(
        self,
        config: DemoConfig,
        start_ms: int,
        clock: Callable[[], int] | None = None,
        *,
        batch_ms: int = 100,
        params: ModelParams | None = None,
    ) -> None:
        if config.speed < 0:
            raise ValueError(f"demo.speed must be >= 0 (0 = as fast as possible), got {config.speed}")
        if config.trades_per_second <= 0:
            raise ValueError(f"demo.trades_per_second must be > 0, got {config.trades_per_second}")
        if config.history_days < 1:
            raise ValueError(f"demo.history_days must be at least 1, got {config.history_days}")
        if batch_ms <= 0 or MINUTE_MS % batch_ms:
            raise ValueError(f"batch_ms must divide {MINUTE_MS} ms, got {batch_ms}")
        self.config = config
        self.batch_ms = batch_ms
        self.params = params or ModelParams()
        self.specs: tuple[SymbolSpec, ...] = select_universe(config.symbols)
        self._table = SymbolTable.build(self.specs)
        self._index = {spec.symbol: i for i, spec in enumerate(self.specs)}
        self._names = np.array([spec.symbol for spec in self.specs], dtype=object)
        self._ticks = np.array([spec.tick for spec in self.specs])
        self._tick_list = [spec.tick for spec in self.specs]
        self._lots = np.array([spec.lot for spec in self.specs])
        self._spread = np.array([spec.spread_ticks for spec in self.specs], dtype=np.int64)
        self._clock = clock or _wall_clock_ms
        self.start_ms = bucket_start(start_ms, MINUTE_MS)
        self.history_start_ms = bucket_start(self.start_ms - config.history_days * DAY_MS, DAY_MS)

        rng = self._rng(_HISTORY)
        first_minute = self.history_start_ms // MINUTE_MS
        state = initial_state(self._table, self.params, first_minute, rng)
        minutes = (self.start_ms - self.history_start_ms) // MINUTE_MS
        #: Where the 1m tier starts (a UTC midnight): the history before it is kept as 15m bars.
        self.minute_start_ms = max(
            self.history_start_ms, bucket_start(self.start_ms - config.minute_days * DAY_MS, DAY_MS)
        )
        generated = generate_history(
            self._table,
            self.params,
            state,
            minutes,
            rng,
            config.trades_per_second,
            coarse_minutes=(self.minute_start_ms - self.history_start_ms) // MINUTE_MS,
        )
        self._state = generated.state
        self._offsets = generated.offsets
        #: The recent 1m history, stored compactly; `.window` / `.row` decode to float `Bars`.
        self.history: PackedBars = generated.bars
        #: The older history as 15m bars (see `history.py`): what timeframes from 15m up read before the 1m tier.
        self.coarse_history: Bars = generated.coarse
        #: Regime code of every history minute (an index into `model.REGIMES`), for inspection and tests.
        self.history_regimes = generated.regimes

        self._now = self.start_ms
        self._live_bars = BarBuffer(len(self.specs))
        self._block: MinuteBlock | None = None
        self._block_levels: FloatArray | None = None
        self._minute: MinuteTrades | None = None
        self._minute_pos = 0
        self._next_trade_id = (
            self.history.trades_count.sum(axis=1, dtype=np.int64) + self.coarse_history.trades.sum(axis=1) + 1
        )
        end = len(self.history)
        last_close = self.history.window(end - 1, end).close[:, -1]
        self._last_price = last_close.copy()
        self._bid = np.rint(last_close / self._ticks).astype(np.int64)
        self._ask = self._bid + self._spread
        self._top_rng = self._rng(_BOOK_TOP)
        self._top_size = self._table.volume_per_min * 0.02
        self._depth = SimDepthFeed(
            self.specs,
            self._top_size,
            lambda i: self._rng(_DEPTH, i),
            lambda i, now: self._rng(_ONE_OFF_DEPTH, i, now),
        )
        self._closed = False
        self._messages = 0
        self._lag_ms = 0.0

    @classmethod
    def from_config(cls, config: DemoConfig, now_ms: int) -> SimulatedMarket:
        """The demo's market: history up to `now_ms` floored to the minute, paced by the system clock."""
        return cls(config, bucket_start(now_ms, MINUTE_MS))

    # ------------------------------------------------------------------ introspection

    @property
    def symbols(self) -> list[str]:
        return [spec.symbol for spec in self.specs]

    def now_ms(self) -> int:
        """Simulated time: the end of the last batch produced. This makes the market a `Clock` too, which is
        the clock the demo's services should read (at speed N it runs N times faster than the wall)."""
        return self._now

    @property
    def regime(self) -> str:
        """Name of the market regime in force now."""
        return REGIMES[self._state.regime].name

    def _rng(self, purpose: int, *key: int) -> np.random.Generator:
        return np.random.default_rng([self.config.seed, purpose, *key])

    def _symbol_index(self, symbol: str) -> int:
        try:
            return self._index[symbol]
        except KeyError:
            raise ValueError(f"unknown symbol {symbol!r}: the simulated market has {', '.join(self.symbols)}") from None

    # ------------------------------------------------------------------ live generation

    def _next_minute(self, start_ms: int) -> MinuteTrades:
        """The trades of the minute starting at `start_ms`, continuing the model state."""
        minute = start_ms // MINUTE_MS
        block = self._block
        if block is None or not block.first_minute <= minute < block.first_minute + block.minutes:
            rng = self._rng(_LIVE_MODEL, self._state.next_minute)
            block, self._state = simulate(
                self._table, self.params, self._state, LIVE_BLOCK_MINUTES, rng, self.config.trades_per_second
            )
            self._block = block
            self._block_levels = np.concatenate([block.start_level[:, None], block.level], axis=1)
        assert self._block_levels is not None
        j = minute - block.first_minute
        trades = minute_trades(
            start_ms,
            self._block_levels[:, j] + self._offsets,
            block.log_return[:, j],
            block.sigma[:, j],
            block.volume[:, j],
            block.trades[:, j],
            self._next_trade_id,
            self._ticks,
            self._lots,
            self._rng(_LIVE_TRADES, minute),
        )
        self._next_trade_id = self._next_trade_id + block.trades[:, j]
        return trades

    def next_batch(self) -> list[MarketEvent]:
        """Produce the next `batch_ms` of simulated time (synchronously; `batches()` paces this)."""
        start = self._now
        end = start + self.batch_ms
        minute_start = bucket_start(start, MINUTE_MS)
        if self._minute is None or self._minute.start_ms != minute_start:
            self._minute = self._next_minute(minute_start)
            self._minute_pos = 0
        minute = self._minute
        lo = self._minute_pos
        hi = int(np.searchsorted(minute.ts, end, side="left"))
        self._minute_pos = hi
        events: list[MarketEvent] = []
        if hi > lo:
            events.extend(
                map(
                    Trade,
                    self._names[minute.sym[lo:hi]].tolist(),
                    minute.ts[lo:hi].tolist(),
                    minute.price[lo:hi].tolist(),
                    minute.qty[lo:hi].tolist(),
                    _SIDES[minute.buy[lo:hi].astype(np.int64)].tolist(),
                    minute.trade_id[lo:hi].tolist(),
                )
            )
            events.extend(self._book_tops(minute, lo, hi, end - 1))
        events.extend(self._depth.events(end - 1, self._bid, self._ask))
        self._now = end
        if end % MINUTE_MS == 0:
            self._live_bars.append(minute.bar)
        self._messages += len(events)
        return events

    def _book_tops(self, minute: MinuteTrades, lo: int, hi: int, ts: int) -> list[BookTop]:
        """Best bid / ask after each traded symbol's last trade: the taker side sets which side it hit."""
        reversed_syms = minute.sym[lo:hi][::-1]
        traded, first_rev = np.unique(reversed_syms, return_index=True)
        last = hi - 1 - first_rev
        price = minute.price[last]
        ticks = np.rint(price / self._ticks[traded]).astype(np.int64)
        buy = minute.buy[last]
        spread = self._spread[traded]
        self._ask[traded] = np.where(buy, ticks, ticks + spread)
        self._bid[traded] = np.where(buy, ticks - spread, ticks)
        self._last_price[traded] = price
        sizes = self._top_rng.exponential(1.0, (2, traded.shape[0])) * self._top_size[traded]
        lots = self._lots[traded]
        sizes = np.round(np.maximum(np.rint(sizes / lots), 1.0) * lots, 10)
        tops: list[BookTop] = []
        for k, i in enumerate(traded.tolist()):
            if self.specs[i].symbol in self._depth.subscribed:
                continue  # the book's own top is published with its diff
            tick = self._tick_list[i]
            tops.append(
                BookTop(
                    self.specs[i].symbol,
                    ts,
                    round(int(self._bid[i]) * tick, 10),
                    float(sizes[0, k]),
                    round(int(self._ask[i]) * tick, 10),
                    float(sizes[1, k]),
                )
            )
        return tops

    # ------------------------------------------------------------------ MarketStream

    async def batches(self) -> AsyncIterator[Sequence[MarketEvent]]:
        """Batches of events in time order; at speed > 0 paced against the wall clock, else unpaced."""
        speed = self.config.speed
        wall_start = self._clock()
        sim_start = self._now
        while not self._closed:
            if speed > 0:
                due = wall_start + (self._now + self.batch_ms - sim_start) / speed
                delay = due - self._clock()
                self._lag_ms = max(0.0, -delay)
                await asyncio.sleep(max(0.0, delay) / 1000.0)
            else:
                await asyncio.sleep(0)  # let the rest of the loop run; never waits
            if self._closed:
                break
            batch = self.next_batch()
            if batch:
                yield batch

    async def subscribe(self, symbols: Sequence[str]) -> None:
        """Stream depth for these symbols (trades and book tops flow for every symbol regardless)."""
        for symbol in symbols:
            if symbol not in self._index:
                log.warning("demo market has no %s; not subscribed", symbol)
                continue
            self._depth.subscribe(symbol)

    async def unsubscribe(self, symbols: Sequence[str]) -> None:
        for symbol in symbols:
            if symbol in self._index:
                self._depth.unsubscribe(symbol)

    def health(self) -> list[StreamHealth]:
        return [
            StreamHealth(
                name=self.name,
                state="closed" if self._closed else "connected",
                messages=self._messages,
                last_message_ms=self._now,
                last_event_lag_ms=self._lag_ms,
                detail=(
                    f"simulated market: seed {self.config.seed}, {len(self.specs)} symbols, "
                    f"speed {self.config.speed:g}x, regime {self.regime}"
                ),
            )
        ]

    async def close(self) -> None:
        self._closed = True

    # ------------------------------------------------------------------ HistorySource

    async def markets(self) -> list[SymbolInfo]:
        return [SymbolInfo(spec.symbol, spec.base, spec.quote, spec.exchange_id) for spec in self.specs]

    def bars_1m(self, since_ms: int | None = None) -> Bars:
        """Closed 1m bars of every symbol (the 1m tier, then live) from `since_ms`; a fresh array, not a view."""
        history = self.history
        lo = 0 if since_ms is None else int(np.searchsorted(history.open_time, since_ms, side="left"))
        live = self._live_bars.view()
        live_lo = 0 if since_ms is None else int(np.searchsorted(live.open_time, since_ms, side="left"))
        return concat([history.window(lo, len(history)), live.window(live_lo, len(live))])

    def candles(self, symbol: str, timeframe: str, since_ms: int, until_ms: int | None = None) -> list[Candle]:
        """Closed candles with since_ms <= open_time < until_ms, aggregated exactly from the stored bars (below
        15m only the 1m tier's days and after have them; see `tier_candles`)."""
        i = self._symbol_index(symbol)
        tf_ms = timeframe_ms(timeframe)
        # One symbol's rows only: concatenating one row keeps per-call memory small.
        minutes = concat([self.history.row(i), self._live_bars.view().row(i)])
        coarse = self.coarse_history.row(i)
        until = self._now if until_ms is None else min(until_ms, self._now)
        return tier_candles(coarse, minutes, tf_ms, since_ms, until, self._now)

    async def fetch_candles(
        self, symbol: str, timeframe: str, since_ms: int, until_ms: int | None = None
    ) -> list[Candle]:
        return self.candles(symbol, timeframe, since_ms, until_ms)

    async def fetch_tickers(self, symbols: Sequence[str] | None = None) -> list[TickerStats]:
        """Rolling 24 h statistics from the closed 1m bars and the trades of the forming minute."""
        wanted = self.symbols if symbols is None else list(symbols)
        stats = day_stats(self.bars_1m(self._now - DAY_MS), self._minute, self._minute_pos)
        out: list[TickerStats] = []
        for symbol in wanted:
            i = self._symbol_index(symbol)
            tick = self._tick_list[i]
            bid, ask = round(int(self._bid[i]) * tick, 10), round(int(self._ask[i]) * tick, 10)
            last, opened = float(self._last_price[i]), float(stats.open[i])
            high, low = float(stats.high[i]), float(stats.low[i])
            volume, quote = float(stats.volume[i]), float(stats.quote_volume[i])
            out.append(TickerStats(symbol, self._now, last, opened, high, low, volume, quote, bid, ask))
        return out

    async def fetch_depth(self, symbol: str, limit: int = 1000) -> DepthSnapshot:
        """The live book of a subscribed symbol (its update id chains with the stream's diffs), else a one-off
        book around the current best bid / ask."""
        i = self._symbol_index(symbol)
        return self._depth.snapshot(i, self._now, int(self._bid[i]), int(self._ask[i]), limit)
