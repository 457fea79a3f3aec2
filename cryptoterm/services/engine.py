"""The running product: a market, the feed that turns it into bars and snapshots, the store, data-quality
checks and the scan session — the one engine the TUI and `--headless` drive.

Wiring decides what the market is (the exchange's streams, the simulated market, a recording) and hands the
engine a `MarketOpener` plus the parts that exist in that mode; the engine only runs them, the same way in
every mode. Construction is cheap (the TUI builds it right after its first frame); everything slow happens in
`start()`: opening the market (the demo generates weeks of history in a thread), loading chart history,
building the scan session (its imports and strategy compilation run in a thread too) and its preparation.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from cryptoterm.config.schema import AppConfig
from cryptoterm.domain.market import Candle, Reconnected
from cryptoterm.domain.redaction import redact
from cryptoterm.domain.symbol_text import parse_symbol
from cryptoterm.domain.timeframes import TIMEFRAMES
from cryptoterm.ports.candles import CandleStore
from cryptoterm.ports.clock import Clock
from cryptoterm.ports.futures import FuturesSource
from cryptoterm.ports.market import HistorySource, MarketStream, StreamHealth
from cryptoterm.ports.quality import QualityStore
from cryptoterm.ports.replay import ReplayControl
from cryptoterm.services.market_feed import MarketFeed
from cryptoterm.services.market_snapshot import MarketSnapshot
from cryptoterm.services.market_views import MarketViews
from cryptoterm.services.quality_monitor import QualityMonitor
from cryptoterm.services.watchlist_backfill import WatchlistBackfill

if TYPE_CHECKING:  # types only: the scan session's stack is imported when it is built, in a thread
    from cryptoterm.services.alert_engine import AlertEngine
    from cryptoterm.services.anomaly_monitor import AnomalyMonitor
    from cryptoterm.services.journal import Journal
    from cryptoterm.services.scan_session import ScanSession
    from cryptoterm.services.trading_runtime import EngineBroker

log = logging.getLogger(__name__)

Publish = Callable[[MarketSnapshot], None]

#: Bars per timeframe kept in memory for charts (the store keeps everything).
CHART_HISTORY_BARS = 1500


class ChartHistory(Protocol):
    """Where a symbol's chart history comes from before the stream adds to it (the store, or the simulation)."""

    def chart_series(
        self, symbol: str, timeframe: str, bars: int, now_ms: int
    ) -> tuple[Sequence[Candle], Candle | None]:
        """Up to `bars` closed candles before `now_ms`, and the bar forming at `now_ms` if known."""
        ...


class EngineStore(CandleStore, QualityStore, Protocol):
    """The store the engine writes bars and quality rows into."""

    @property
    def queue_depth(self) -> int: ...


@dataclass(frozen=True, slots=True)
class OpenedMarket:
    """A mode's market once opened: its stream, history source, chart history, symbols and clock."""

    stream: MarketStream
    history: HistorySource | None
    charts: ChartHistory | None
    symbols: tuple[str, ...]
    #: The market's clock in epoch ms; None means "the newest event's time" (a replay).
    clock: Callable[[], int] | None
    #: One line for the log saying what was opened.
    description: str = ""
    #: Symbols join the watchlist as their first trade arrives (a replay of a recording).
    discover_symbols: bool = False
    #: The replay's pause / speed / seek controls (a replay only).
    replay: ReplayControl | None = None
    #: Mark price, funding and open interest over REST (USDⓈ-M only).
    futures: FuturesSource | None = None
    #: The history source is local (the simulated market): its tickers can be sampled every few seconds.
    history_is_local: bool = False


MarketOpener = Callable[[], Awaitable[OpenedMarket]]
#: Builds the scan session once the market is open (called in a thread: it imports and compiles).
ScanSessionFactory = Callable[[OpenedMarket, Clock], "ScanSession"]
#: Builds the alert engine once the market is open (called in a thread: it reads the stored rules).
AlertEngineFactory = Callable[[OpenedMarket, "Engine"], "AlertEngine"]
#: Builds the market anomaly monitor over the engine's feed (cheap).
AnomalyMonitorFactory = Callable[["Engine"], "AnomalyMonitor"]
#: Builds the broker orders go to, over the engine's feed (cheap; its `start()` reads the account back).
BrokerFactory = Callable[["Engine"], "EngineBroker"]
#: Builds the trading journal over the engine's store (called in a thread).
JournalFactory = Callable[["Engine"], "Journal"]


@dataclass(frozen=True, slots=True)
class EnginePlan:
    """What wiring decided for a mode; the engine has no `mode ==` branch of its own."""

    config: AppConfig
    mode: str
    exchange: str
    store: EngineStore
    open_market: MarketOpener
    #: None: no scanner in this mode (replays).
    build_scans: ScanSessionFactory | None = None
    #: None: no alerts in this mode.
    build_alerts: AlertEngineFactory | None = None
    #: None: no anomaly events in this mode (`[anomaly].enabled = false`).
    build_anomalies: AnomalyMonitorFactory | None = None
    #: None: no orders in this mode.
    build_broker: BrokerFactory | None = None
    #: None: no journal in this mode.
    build_journal: JournalFactory | None = None
    #: Periodic data-quality checks of the watched series.
    quality_checks: bool = True
    #: Closed live bars (and the quality reports of their series) are written to the store.
    store_bars: bool = True
    #: Live bars close this long after their period ends (trades delayed by clock skew or the network count).
    close_grace_ms: int = 0
    #: Backfill the watchlist over REST at start, after every reconnect and for every added symbol.
    backfill_history: bool = False
    #: The scan session prepares before the feed runs (the demo: its history is read from the simulated market,
    #: which the feed advances once it runs).
    prepare_before_feed: bool = False


class Engine:
    """Stream + feed + store + quality + scan session for one mode. See the module docstring."""

    def __init__(self, plan: EnginePlan, publish: Publish | None = None) -> None:
        self.plan = plan
        self.config = plan.config
        self.mode = plan.mode
        self.exchange = plan.exchange
        self.store = plan.store
        self.history: HistorySource | None = None
        self._stream: MarketStream | None = None
        self._charts: ChartHistory | None = None
        self._clock: Callable[[], int] = _wall_ms
        self.feed = MarketFeed(
            _PendingStream(),
            exchange=self.exchange,
            mode=self.mode,
            symbols=[],
            clock=self.now_ms,
            publish=publish,
            max_fps=plan.config.ui.max_fps,
            sink=plan.store if plan.store_bars else None,
            record_trades=plan.config.store.record_trades,
            sink_queue=lambda: plan.store.queue_depth,
            history_limit=CHART_HISTORY_BARS,
            close_grace_ms=plan.close_grace_ms,
        )
        self.feed.on_reconnected(self._on_reconnected)
        #: The tape, book history, market list and movers, futures figures and replay controls the views read.
        self.views = MarketViews(self.feed, plan.config, self.now_ms)
        self._background: set[asyncio.Task[None]] = set()
        self.quality = (
            QualityMonitor(
                self.feed, plan.store if plan.store_bars else None, self.exchange, plan.config.quality, self.now_ms
            )
            if plan.quality_checks
            else None
        )
        #: Scanner, setup tracker and notifications (built in `start()` where the mode has them).
        self.scanning: ScanSession | None = None
        #: Alert rules checked on trades, bar closes and data events (built in `start()`).
        self.alerts: AlertEngine | None = None
        #: Market anomaly events and each symbol's attention score (built in `start()`).
        self.anomalies: AnomalyMonitor | None = None
        #: Where orders go: the paper account on this market, or the exchange (built in `start()`).
        self.broker: EngineBroker | None = None
        #: The trading journal (built in `start()`).
        self.journal: Journal | None = None
        self._backfill: WatchlistBackfill | None = None

    def now_ms(self) -> int:
        """The market's clock: simulated time in the demo, the newest event time in a replay, else the wall."""
        return self._clock()

    # ----------------------------------------------------------------- start
    async def start(self) -> None:
        opened = await self.plan.open_market()
        self._stream, self.history, self._charts = opened.stream, opened.history, opened.charts
        self._clock = opened.clock if opened.clock is not None else (lambda: self.feed.last_event_ms)
        self.feed.symbols = list(opened.symbols)
        self.feed.discover_symbols = opened.discover_symbols
        self.feed.attach(opened.stream)
        self.views.open(opened.history, replay=opened.replay, futures=opened.futures, local=opened.history_is_local)
        self._spawn(self.views.run(), "market views")
        if opened.description:
            log.info("%s", opened.description)
        if self._charts is not None:
            await self._load_charts(list(self.feed.symbols))
        if self.quality is not None:
            self._spawn(self.quality.run(), "data quality")
        if self.plan.backfill_history and self.history is not None:
            self._backfill = WatchlistBackfill(
                self.history,
                self.store,
                self.exchange,
                self.config.watchlist.backfill_days,
                self.feed,
                CHART_HISTORY_BARS,
            )
            self._spawn(self._backfill.backfill(list(self.feed.symbols)), "backfill")
        if self.plan.build_alerts is not None:
            self.alerts = await asyncio.to_thread(self.plan.build_alerts, opened, self)
            self.feed.on_trades(self.alerts.on_trades)
            self.feed.on_bar_closed(self.alerts.on_bar_closed)
            await self.alerts.start()
        if self.plan.build_anomalies is not None:
            self.anomalies = self.plan.build_anomalies(self)
            self.feed.on_bar_closed(self.anomalies.on_bar_closed)
        if self.plan.build_broker is not None:
            self.broker = self.plan.build_broker(self)
            self.feed.on_trades(self.broker.on_trades)
            await self.broker.start()
        if self.plan.build_journal is not None:
            self.journal = await asyncio.to_thread(self.plan.build_journal, self)
        if self.plan.build_scans is not None:
            factory = self.plan.build_scans
            self.scanning = await asyncio.to_thread(factory, opened, self)
            self.feed.on_bar_closed(self.scanning.on_bar_closed)
            await self.scanning.start()
            if self.plan.prepare_before_feed:
                await self.scanning.wait_ready()

    async def _load_charts(self, symbols: Sequence[str]) -> None:
        """Chart history read in a thread, then handed to the feed on the loop: the feed's series and tickers are
        the loop's (a thread writing them while trades arrive broke their iteration)."""
        charts = self._charts
        if charts is None:
            return
        now = self.now_ms()

        def read() -> list[tuple[str, str, Sequence[Candle], Candle | None]]:
            return [
                (symbol, timeframe, *charts.chart_series(symbol, timeframe, CHART_HISTORY_BARS, now))
                for symbol in symbols
                for timeframe in TIMEFRAMES
            ]

        for symbol, timeframe, closed, forming in await asyncio.to_thread(read):
            self.feed.add_history(symbol, timeframe, closed)
            if forming is not None:
                self.feed.seed_forming(symbol, timeframe, closed, forming)

    # ----------------------------------------------------------------- the watchlist
    async def add_symbol(self, symbol: str) -> None:
        """Watch one more symbol: check the market exists, load its history, then subscribe the stream.

        Raises `ValueError` with a one-line message for a symbol this market does not list or the exchange
        refuses to stream.
        """
        text = symbol
        symbol = parse_symbol(text)  # BTCUSDT, btc/usdt and BTC/USDT alike (raises ValueError naming the text)
        if symbol in self.feed.symbols:
            return
        if self.history is None:
            raise ValueError(f"{symbol}: symbols cannot be added to a replay")
        markets = await self.history.markets()
        symbol = parse_symbol(text, markets)  # split as the exchange lists it (ETHBTC: ETH/BTC)
        if symbol in self.feed.symbols:
            return
        known = {m.symbol for m in markets}
        if symbol not in known:
            close = _closest(symbol, known)
            hint = f" (did you mean {close}?)" if close else ""
            raise ValueError(f"{symbol}: not listed on {self.exchange}{hint}")
        await self._load_charts([symbol])
        try:
            await self.feed.watch(symbol)
        except ValueError:
            raise
        except Exception as exc:  # the exchange refused the subscription: a message for the user, not a crash
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise ValueError(redact(f"{symbol}: the exchange refused to stream it ({reason})")) from None
        log.info("watching %s", symbol)
        if self._backfill is not None:
            self._spawn(self._backfill.backfill([symbol]), f"backfill {symbol}")

    async def remove_symbol(self, symbol: str) -> None:
        """Stop watching `symbol` (its stored candles stay)."""
        if await self.feed.unwatch(symbol):
            log.info("no longer watching %s", symbol)

    def _on_reconnected(self, event: Reconnected) -> None:
        if self._backfill is None:
            return
        log.info(
            "%s reconnected after a gap of %.1f s; backfilling",
            event.source,
            (event.gap_end_ms - event.gap_start_ms) / 1000,
        )
        self._spawn(self._backfill.backfill(list(self.feed.symbols), event.gap_start_ms, event.gap_end_ms), "gap")

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
        if self.alerts is not None:
            try:
                await self.alerts.close()
            except Exception:
                log.exception("closing the alert engine failed")
        if self.anomalies is not None:
            await asyncio.to_thread(self.anomalies.close)
        if self.broker is not None:
            try:
                await self.broker.close()
            except Exception:
                log.exception("closing the broker failed")
        await asyncio.to_thread(self.store.close)


def _closest(symbol: str, known: set[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(symbol, sorted(known), n=1)
    return found[0] if found else None


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


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
