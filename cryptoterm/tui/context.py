"""What the screens need from the rest of the product, as protocols.

The TUI sits above wiring, but screens and widgets depend only on these small shapes, so the Pilot and
snapshot tests drive the real app with a deterministic fake feed, and new screens plug in without knowing how
the runtime was built. The engine's parts are declared, optional members — `RuntimeView.scanning` (the scan
session, absent in replays), `FeedView.books` (order books, absent where no depth streams) and the store — each
a Protocol of exactly what the screens use, which `services.engine.Engine`, `services.scan_session.ScanSession`
and the SQLite store satisfy structurally (mypy checks it where the app takes the engine from wiring).
`TuiSession` is the state every screen shares: config, options, the runtime and its typed parts, the scan
schedule, the latest market snapshot and the recent log lines.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from cryptoterm.config.schema import AppConfig
from cryptoterm.domain.market import Candle
from cryptoterm.ports.ui_state import UiState
from cryptoterm.services.market_snapshot import FeedStats, MarketSnapshot
from cryptoterm.wiring.options import RunOptions

if TYPE_CHECKING:  # types only: the scanner's stack must not delay the first frame
    from cryptoterm.domain.setups import Setup
    from cryptoterm.ports.setups import ScanRunRow, SetupEvent
    from cryptoterm.services.journal import Journal
    from cryptoterm.services.scan_report import ScanReport
    from cryptoterm.services.setup_tracker import TrackedChange
    from cryptoterm.services.strategy_book import ReloadResult, StrategyStatus
    from cryptoterm.services.trading_runtime import EngineBroker
    from cryptoterm.tui.alerts_view import AlertsView, AnomaliesView
    from cryptoterm.tui.market_views import MarketViewsView
    from cryptoterm.tui.pair_watch import WatchedPair

Publish = Callable[[MarketSnapshot], None]
Level = tuple[float, float]


class BookView(Protocol):
    """What the depth ladder reads of one `domain.orderbook.OrderBook`."""

    def top(self, n: int) -> tuple[list[Level], list[Level]]: ...

    @property
    def spread(self) -> float: ...

    @property
    def mid(self) -> float: ...

    def imbalance(self, n: int = 10) -> float: ...


class BooksView(Protocol):
    """The feed's order books (`services.order_books.OrderBooks`): a symbol's book only while it is in sync."""

    def get(self, symbol: str) -> BookView | None: ...


class FeedView(Protocol):
    """The part of `services.market_feed.MarketFeed` the TUI reads (cheap, called on the UI thread)."""

    symbols: list[str]

    @property
    def books(self) -> BooksView | None:
        """Order books (None where the market streams no depth)."""
        ...

    async def run(self) -> None: ...

    def snapshot(self) -> MarketSnapshot: ...

    def candles(self, symbol: str, timeframe: str, limit: int) -> list[Candle]: ...


class SetupRecordsView(Protocol):
    """What the scanner screens read of the stored setups and scans (`ports.setups.SetupRepository`)."""

    def recent_setups(self, limit: int = 100, states: Iterable[str] | None = None) -> list[Setup]: ...

    def get_setup(self, setup_id: int) -> Setup | None: ...

    def setup_events(self, setup_id: int) -> list[SetupEvent]: ...

    def scan_runs(self, limit: int = 50) -> list[ScanRunRow]: ...


class CandleHistoryView(Protocol):
    """Stored closed candles (`ports.candles.CandleReader.read_candles`), for setups off the watchlist."""

    def read_candles(
        self,
        exchange: str,
        symbol: str,
        timeframe: str,
        since_ms: int | None = None,
        until_ms: int | None = None,
        limit: int | None = None,
    ) -> list[Candle]: ...


class ScanningView(Protocol):
    """What the TUI uses of `services.scan_session.ScanSession`: strategies, the records it keeps, the candles
    it reads, and what the scan schedule needs (`services.scan_timer.ScanSource`)."""

    @property
    def repo(self) -> SetupRecordsView: ...

    @property
    def store(self) -> CandleHistoryView: ...

    @property
    def exchange(self) -> str: ...

    def strategies(self) -> list[StrategyStatus]: ...

    def set_enabled(self, name: str, enabled: bool) -> StrategyStatus: ...

    def reload(self, path: str | Path | None = None) -> ReloadResult: ...

    def running(self) -> Sequence[object]: ...

    def scan(self, origin: str = "manual") -> ScanReport: ...

    def on_scan_due(self, listener: Callable[[str], None]) -> None: ...

    def on_setups_changed(self, listener: Callable[[list[TrackedChange]], None]) -> None: ...


class WriterStatsView(Protocol):
    """The store writer's counters at one instant."""

    @property
    def queue_depth(self) -> int: ...

    @property
    def rows_written(self) -> int: ...

    @property
    def rows_dropped(self) -> int: ...

    @property
    def batches_written(self) -> int: ...

    @property
    def last_error(self) -> str: ...


class StoreHealthView(Protocol):
    """The store's file and writer at one instant."""

    @property
    def path(self) -> str: ...

    @property
    def file_size(self) -> int: ...

    @property
    def writer(self) -> WriterStatsView: ...


@runtime_checkable
class StoreView(Protocol):
    """What the health screen reads of the SQLite store: cheap health, and row counts (which scan tables)."""

    def health(self) -> StoreHealthView: ...

    def table_counts(self) -> dict[str, int]: ...


class RuntimeView(Protocol):
    """The running product as the TUI sees it (built by `cryptoterm.wiring.build_engine`)."""

    @property
    def feed(self) -> FeedView: ...

    @property
    def scanning(self) -> ScanningView | None:
        """The scan session (None before the engine has built it, and in modes without a scanner)."""
        ...

    @property
    def alerts(self) -> AlertsView | None:
        """The alert engine (None before the engine has built it)."""
        ...

    @property
    def anomalies(self) -> AnomaliesView | None:
        """Market anomaly events and attention scores (None before the engine built them, or turned off)."""
        ...

    @property
    def views(self) -> MarketViewsView | None:
        """Tape, book history, markets and movers, futures figures, replay controls (None before the engine)."""
        ...

    @property
    def broker(self) -> EngineBroker | None:
        """Where orders go: the paper account or the exchange (None before the engine has built it)."""
        ...

    @property
    def journal(self) -> Journal | None:
        """The trading journal (None before the engine has built it)."""
        ...

    @property
    def store(self) -> object:
        """The engine's store. The engine types it by what it writes (`services.engine.EngineStore`); the TUI
        shows its health where it reports one (`StoreView`, see `TuiSession.store`)."""
        ...

    @property
    def mode(self) -> str: ...

    @property
    def exchange(self) -> str: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def add_symbol(self, symbol: str) -> None:
        """Watch one more symbol (raises ValueError with a one-line reason when it cannot)."""
        ...

    async def remove_symbol(self, symbol: str) -> None: ...


#: Builds the engine: (config, options, publish) → runtime. Tests pass one that returns a fake.
EngineBuilder = Callable[[AppConfig, RunOptions, Publish], RuntimeView]


class ScanControl(Protocol):
    """The scan schedule as screens use it (the app's `ScanScheduler`)."""

    @property
    def available(self) -> bool:
        """True when this mode has a scanner."""
        ...

    def scan_now(self, origin: str = "manual") -> bool:
        """Ask for a scan; True when it starts now, False when it follows the one running (or none can run)."""
        ...


class NoScans:
    """The schedule before the app has one: nothing can be scanned."""

    available = False

    def scan_now(self, origin: str = "manual") -> bool:
        return False


def exchange_label(config: AppConfig, options: RunOptions) -> str:
    """What the status bar calls the market before the runtime reports it itself."""
    return {"demo": "sim", "replay": "replay"}.get(options.mode, config.exchange.id)


class EmptyFeed:
    """The feed as screens see it before the runtime exists: no symbols, no bars, an empty snapshot."""

    books: BooksView | None = None

    def __init__(self, mode: str, exchange: str) -> None:
        self.symbols: list[str] = []
        self._stats = FeedStats(mode=mode, exchange=exchange)

    async def run(self) -> None:
        raise RuntimeError("the market feed runs only once the runtime is built")

    def snapshot(self) -> MarketSnapshot:
        return MarketSnapshot(ts=0, tickers=(), stats=self._stats)

    def candles(self, symbol: str, timeframe: str, limit: int) -> list[Candle]:
        return []


class PendingRuntime:
    """Stands in for the runtime until the app has painted its first frame and built the real one.

    Building the runtime imports the storage and analysis stack (pandas, SQLite, the scanner), which takes
    longer than drawing the whole dashboard; doing it after the first frame keeps start-up snappy. The app
    replaces `TuiSession.runtime` with the real runtime before starting it, so screens that read
    `session.runtime` when they need it always see the current one.
    """

    scanning: ScanningView | None = None
    alerts: AlertsView | None = None
    anomalies: AnomaliesView | None = None
    views: MarketViewsView | None = None
    broker: EngineBroker | None = None
    journal: Journal | None = None
    store: object = None

    def __init__(self, config: AppConfig, options: RunOptions) -> None:
        self.mode: str = options.mode
        self.exchange = exchange_label(config, options)
        self.feed = EmptyFeed(self.mode, self.exchange)

    async def start(self) -> None:
        raise RuntimeError("a pending runtime cannot start; the app builds the real one first")

    async def close(self) -> None:
        """Nothing was opened yet, so there is nothing to close."""

    async def add_symbol(self, symbol: str) -> None:
        raise ValueError("the market is still starting; try again in a moment")

    async def remove_symbol(self, symbol: str) -> None:
        raise ValueError("the market is still starting; try again in a moment")


@dataclass(frozen=True, slots=True)
class LogLine:
    """One formatted, already-redacted log record as the log pane shows it."""

    created: float
    level: int
    level_name: str
    logger: str
    text: str


@dataclass(slots=True)
class TuiSession:
    """State shared by every screen. Mutated only on the UI thread (by the app's message handlers)."""

    config: AppConfig
    options: RunOptions
    runtime: RuntimeView
    snapshot: MarketSnapshot | None = None
    selected_symbol: str = ""
    timeframe: str = "1m"
    #: Market regime from the latest scan ("" until a scan has classified it).
    regime: str = ""
    logs: deque[LogLine] = field(default_factory=lambda: deque(maxlen=500))
    #: What the user chose and the workstation remembers across runs (saved by the app on `UiStateChanged`).
    ui: UiState = field(default_factory=UiState)
    #: When scans run (the app's scheduler, once the app exists).
    scans: ScanControl = field(default_factory=NoScans)
    #: The pair whose live z-score the dashboard shows (set from the screener or the pair detail).
    watched_pair: WatchedPair | None = None

    @property
    def feed(self) -> FeedView:
        return self.runtime.feed

    @property
    def scanning(self) -> ScanningView | None:
        """The scan session, when this mode has one."""
        return self.runtime.scanning

    @property
    def records(self) -> SetupRecordsView | None:
        """Stored setups and scans, when this mode scans."""
        scanning = self.runtime.scanning
        return scanning.repo if scanning is not None else None

    @property
    def books(self) -> BooksView | None:
        """The feed's order books, when the market streams depth."""
        return self.runtime.feed.books

    @property
    def store(self) -> StoreView | None:
        """The store, when it reports its health (the SQLite store does; a replay's or a test's may not)."""
        store = self.runtime.store
        return store if isinstance(store, StoreView) else None

    @property
    def symbols(self) -> list[str]:
        return list(self.runtime.feed.symbols)

    @property
    def broker(self) -> EngineBroker | None:
        """Where orders go, once the engine has built it."""
        return self.runtime.broker

    @property
    def journal(self) -> Journal | None:
        return self.runtime.journal

    @property
    def views(self) -> MarketViewsView | None:
        """What the market views read (None until the engine is built)."""
        return self.runtime.views
