"""The running product: a market stream, a history source, the store and the market feed, started and closed
together. See the package docstring for what is cheap (construction) and what is not (`start`)."""

from __future__ import annotations

import asyncio
import difflib
import importlib
import logging
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptoterm.adapters.store import SqliteStore, StoreError
from cryptoterm.config import AppConfig
from cryptoterm.domain.market import Candle, Reconnected
from cryptoterm.domain.timeframes import TIMEFRAMES, timeframe_ms
from cryptoterm.ports.market import HistorySource, MarketStream, StreamHealth
from cryptoterm.services.market_feed import MarketFeed
from cryptoterm.services.quality_monitor import QualityMonitor
from cryptoterm.services.snapshots import MarketSnapshot
from cryptoterm.wiring.errors import SetupError
from cryptoterm.wiring.options import RunOptions
from cryptoterm.wiring.paths import resolve_db_path

if TYPE_CHECKING:
    from cryptoterm.adapters.sim.market import SimulatedMarket
    from cryptoterm.wiring.scanning import Scanning

log = logging.getLogger(__name__)

Publish = Callable[[MarketSnapshot], None]

#: Bars per timeframe kept in memory for charts (the store keeps everything).
CHART_HISTORY_BARS = 1500
#: Live bars close this long after their period ends, so trades delayed by clock skew or the network still count.
LIVE_CLOSE_GRACE_MS = 2_000
#: Exchange key under which the simulated market's candles are stored, apart from real exchanges' data.
DEMO_EXCHANGE = "sim"


def fold_forming(open_time: int, minutes: list[Candle]) -> Candle | None:
    """The still-forming bar of a larger timeframe, from the closed 1m bars it already contains."""
    if not minutes:
        return None
    return Candle(
        open_time,
        minutes[0].open,
        max(c.high for c in minutes),
        min(c.low for c in minutes),
        minutes[-1].close,
        sum(c.volume for c in minutes),
        sum(c.quote_volume for c in minutes),
        sum(c.trades for c in minutes),
        closed=False,
    )


def _build_demo_market(
    config: AppConfig, now_ms: int
) -> tuple[SimulatedMarket, dict[tuple[str, str], tuple[list[Candle], Candle | None]]]:
    """The simulated market plus, per symbol and timeframe, its chart history and the bar forming now."""
    from cryptoterm.adapters.sim.market import SimulatedMarket

    sim = SimulatedMarket.from_config(config.demo, now_ms)
    now = sim.now_ms()
    series: dict[tuple[str, str], tuple[list[Candle], Candle | None]] = {}
    largest = max(timeframe_ms(tf) for tf in TIMEFRAMES)
    for symbol in sim.symbols:
        # The minutes of the largest forming bar, fetched once: every smaller forming bar is a suffix of them.
        recent = sim.candles(symbol, "1m", now - now % largest, now)
        for timeframe in TIMEFRAMES:
            step = timeframe_ms(timeframe)
            closed = sim.candles(symbol, timeframe, now - CHART_HISTORY_BARS * step, now)
            bucket = now - now % step
            minutes = [c for c in recent if c.open_time >= bucket] if step > 60_000 else []
            series[symbol, timeframe] = (closed, fold_forming(bucket, minutes))
    return sim, series


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


class Runtime:
    """Stream + history + store + feed for one mode. `start()` loads history; the caller runs `feed.run()`."""

    def __init__(self, config: AppConfig, options: RunOptions, publish: Publish | None, store: SqliteStore) -> None:
        self.config = config
        self.options = options
        self.mode = options.mode
        self.store = store
        self.history: HistorySource | None = None
        self._stream: MarketStream | None = None
        self._clock: Callable[[], int] = _wall_ms
        if self.mode == "demo":
            self.exchange = DEMO_EXCHANGE
            symbols: list[str] = []
        elif self.mode == "replay":
            self.exchange = "replay"
            symbols = []
        else:
            self.exchange = config.exchange.id
            symbols = list(config.watchlist.symbols)
        self.feed = MarketFeed(
            _PendingStream(),
            exchange=self.exchange,
            mode=self.mode,
            symbols=symbols,
            clock=self.now_ms,
            publish=publish,
            max_fps=config.ui.max_fps,
            sink=None if self.mode == "replay" else store,
            sink_queue=lambda: store.writer.queue_depth,
            history_limit=CHART_HISTORY_BARS,
            close_grace_ms=LIVE_CLOSE_GRACE_MS if self.mode == "live" else 0,
        )
        self.feed.on_reconnected(self._on_reconnected)
        self._background: set[asyncio.Task[None]] = set()
        #: Periodic data-quality checks of the watched series (stored in `quality_metrics`).
        self.quality = QualityMonitor(self.feed, store, self.exchange, config.quality, self.now_ms)
        #: Scanner, setup tracker and notifier (demo and live; built in `start()`).
        self.scanning: Scanning | None = None

    def now_ms(self) -> int:
        """The market's clock: simulated time in the demo, the newest event time in a replay, else the wall."""
        return self._clock()

    # ----------------------------------------------------------------- start
    async def start(self) -> None:
        if self.mode == "demo":
            await self._start_demo()
        elif self.mode == "replay":
            self._start_replay()
        else:
            await self._start_live()
        if self.mode != "replay":
            self._spawn(self.quality.run(), "data quality")
        if self.mode != "replay":
            await self._start_scanning()

    async def _start_scanning(self) -> None:
        # The scanning stack (apprise, the strategy compiler) takes a while to import: not on the event loop.
        await asyncio.to_thread(importlib.import_module, "cryptoterm.wiring.scanning")
        from cryptoterm.wiring.scanning import build_scanning

        self.scanning = build_scanning(self)
        self.feed.on_bar_closed(self.scanning.on_bar_closed)
        await self.scanning.start()
        if self.mode == "demo":
            # The demo's history is read from the simulated market, which the feed advances once it runs:
            # finish reading before that (about 0.4 s for the default demo and example strategies).
            await self.scanning.wait_ready()

    async def _start_demo(self) -> None:
        # Generating weeks of 1m history for 20 symbols and slicing it into chart series is CPU work: it runs in
        # a thread, and only the cheap hand-over to the feed happens on the event loop.
        sim, series = await asyncio.to_thread(_build_demo_market, self.config, _wall_ms())
        self._clock = sim.now_ms
        self.history = sim
        self._stream = sim
        self.feed.symbols = sim.symbols
        self.feed.attach(sim)
        for (symbol, timeframe), (closed, forming) in series.items():
            self.feed.add_history(symbol, timeframe, closed)
            self.feed.seed_forming(symbol, timeframe, closed, forming)
        await sim.subscribe(sim.symbols)
        log.info(
            "demo market: %d symbols, %d days of history, speed %s×",
            len(sim.symbols),
            self.config.demo.history_days,
            self.config.demo.speed,
        )

    def _start_replay(self) -> None:
        from cryptoterm.adapters.replay import ReplayStream

        assert self.options.replay_path is not None
        stream = ReplayStream(self.options.replay_path, speed=self.options.replay_speed)
        self._stream = stream
        self._clock = lambda: self.feed.last_event_ms
        self.feed.attach(stream)
        self.feed.discover_symbols = True
        log.info("replaying %s at %s×", Path(self.options.replay_path).name, self.options.replay_speed or "max")

    async def _start_live(self) -> None:
        from cryptoterm.adapters.ccxt_history import CcxtHistory

        exchange = self.config.exchange
        history = CcxtHistory(exchange)
        self.history = history
        recorder = None
        if self.options.record_path:
            from cryptoterm.adapters.recorder import Recorder

            recorder = Recorder(self.options.record_path, append=True)
        stream: MarketStream
        if exchange.id == "binance":
            from cryptoterm.adapters.binance.ws_stream import BinanceStream

            stream = BinanceStream(exchange, self.feed.symbols, fetch_depth=history.fetch_depth, recorder=recorder)
        else:
            from cryptoterm.adapters.ccxt_stream import CcxtStream

            if recorder is not None:
                log.warning("--record captures Binance websocket messages only; %s is not recorded", exchange.id)
            stream = CcxtStream(exchange, self.feed.symbols)
        self._stream = stream
        self.feed.attach(stream)
        await asyncio.to_thread(self._load_stored_history)
        self._spawn(self._backfill_watchlist(), "backfill")

    def _load_stored_history(self) -> None:
        now = _wall_ms()
        for timeframe in TIMEFRAMES:
            since = now - CHART_HISTORY_BARS * timeframe_ms(timeframe)
            for symbol in self.feed.symbols:
                candles = self.store.read_candles(self.exchange, symbol, timeframe, since_ms=since)
                self.feed.add_history(symbol, timeframe, candles)

    async def _backfill_watchlist(self, since_ms: int | None = None, until_ms: int | None = None) -> None:
        await self._backfill_symbols(list(self.feed.symbols), since_ms, until_ms)

    async def _backfill_symbols(
        self, symbols: list[str], since_ms: int | None = None, until_ms: int | None = None
    ) -> None:
        """Fetch what the store is missing for `symbols`, then show it. Errors are logged, never fatal."""
        from cryptoterm.services.backfill import Backfiller

        assert self.history is not None
        backfiller = Backfiller(self.history, self.store, self.exchange)
        now = _wall_ms()
        start = since_ms if since_ms is not None else now - int(self.config.watchlist.backfill_days * 86_400_000)
        for symbol in symbols:
            for timeframe in ("1m", "1h", "4h", "1d"):
                step = timeframe_ms(timeframe)
                begin = max(start - step, now - CHART_HISTORY_BARS * step) if since_ms is None else start - step
                try:
                    result = await backfiller.backfill(symbol, timeframe, begin, until_ms)
                except Exception as exc:
                    log.warning("backfill %s %s failed: %s", symbol, timeframe, exc)
                    continue
                if result.fetched:
                    candles = await asyncio.to_thread(
                        self.store.read_candles, self.exchange, symbol, timeframe, since_ms=begin
                    )
                    self.feed.add_history(symbol, timeframe, candles)

    async def add_symbol(self, symbol: str) -> None:
        """Watch one more symbol: check the market exists, load its history, then subscribe the stream.

        Raises `ValueError` with a one-line message for a symbol this market does not list.
        """
        symbol = symbol.strip().upper()
        if symbol in self.feed.symbols:
            return
        if self.history is None:
            raise ValueError(f"{symbol}: symbols cannot be added to a replay")
        known = {m.symbol for m in await self.history.markets()}
        if symbol not in known:
            close = difflib.get_close_matches(symbol, sorted(known), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ValueError(f"{symbol}: not listed on {self.exchange}{hint}")
        if self.mode == "demo":
            await asyncio.to_thread(self._load_demo_symbol, symbol)
        else:
            await asyncio.to_thread(self._load_stored_symbol, symbol)
        await self.feed.watch(symbol)
        log.info("watching %s", symbol)
        if self.mode == "live":
            self._spawn(self._backfill_symbols([symbol]), f"backfill {symbol}")

    async def remove_symbol(self, symbol: str) -> None:
        """Stop watching `symbol` (its stored candles stay)."""
        if await self.feed.unwatch(symbol):
            log.info("no longer watching %s", symbol)

    def _load_demo_symbol(self, symbol: str) -> None:
        sim = self.history
        assert sim is not None and hasattr(sim, "candles")
        now = self.now_ms()
        for timeframe in TIMEFRAMES:
            step = timeframe_ms(timeframe)
            closed = sim.candles(symbol, timeframe, now - CHART_HISTORY_BARS * step, now)
            self.feed.add_history(symbol, timeframe, closed)

    def _load_stored_symbol(self, symbol: str) -> None:
        now = _wall_ms()
        for timeframe in TIMEFRAMES:
            since = now - CHART_HISTORY_BARS * timeframe_ms(timeframe)
            self.feed.add_history(
                symbol, timeframe, self.store.read_candles(self.exchange, symbol, timeframe, since_ms=since)
            )

    def _on_reconnected(self, event: Reconnected) -> None:
        if self.history is None or self.mode != "live":
            return
        log.info(
            "%s reconnected after a gap of %.1f s; backfilling",
            event.source,
            (event.gap_end_ms - event.gap_start_ms) / 1000,
        )
        self._spawn(self._backfill_watchlist(event.gap_start_ms, event.gap_end_ms), "gap backfill")

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ----------------------------------------------------------------- close
    async def close(self) -> None:
        """Stop everything; always closes network clients and flushes the store, whatever failed before."""
        self.feed.stop()
        for task in list(self._background):
            task.cancel()
        if self.scanning is not None:
            try:
                await asyncio.to_thread(self.scanning.close)
            except Exception:
                log.exception("closing the scanner failed")
        closers: list[MarketStream | HistorySource] = []
        for part in (self._stream, self.history):
            if part is not None and all(part is not seen for seen in closers):
                closers.append(part)
        for closer in closers:
            try:
                await closer.close()
            except Exception:
                log.exception("closing %s failed", closer.name)
        await asyncio.to_thread(self.store.close)


class _PendingStream:
    """Stands in for the stream until `start()` attaches the real one (construction must stay cheap)."""

    name = "starting"

    async def batches(self):  # type: ignore[no-untyped-def]
        raise RuntimeError("the market stream is not started yet")
        yield []  # pragma: no cover

    async def subscribe(self, symbols: object) -> None:
        return None

    async def unsubscribe(self, symbols: object) -> None:
        return None

    def health(self) -> list[StreamHealth]:
        return []

    async def close(self) -> None:
        return None


def build_runtime(config: AppConfig, options: RunOptions, publish: Publish | None = None) -> Runtime:
    """Validate and construct the runtime for `options.mode`; raises `SetupError` with a one-line message."""
    if options.mode == "replay":
        path = Path(options.replay_path or "")
        if not path.is_file():
            raise SetupError(f"{path}: replay file not found")
    db_path = resolve_db_path(config, options)
    try:
        store = SqliteStore(db_path, batch_ms=config.store.batch_ms)
    except StoreError as exc:
        raise SetupError(str(exc)) from None
    return Runtime(config, options, publish, store)
