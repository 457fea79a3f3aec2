"""What the screens need from the rest of the product, as protocols.

The TUI sits above wiring, but screens and widgets depend only on these small shapes, so the Pilot and
snapshot tests drive the real app with a deterministic fake feed, and new screens plug in without knowing how
the runtime was built. `TuiSession` is the state every screen shares: config, options, the runtime, the
latest market snapshot and the recent log lines.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from cryptoterm.config.schema import AppConfig
from cryptoterm.domain.market import Candle
from cryptoterm.services.snapshots import FeedStats, MarketSnapshot
from cryptoterm.wiring.options import RunOptions

Publish = Callable[[MarketSnapshot], None]


class FeedView(Protocol):
    """The part of `services.market_feed.MarketFeed` the TUI reads (cheap, called on the UI thread)."""

    symbols: list[str]

    async def run(self) -> None: ...

    def snapshot(self) -> MarketSnapshot: ...

    def candles(self, symbol: str, timeframe: str, limit: int) -> list[Candle]: ...


class RuntimeView(Protocol):
    """The running product as the TUI sees it (built by `cryptoterm.wiring.build_runtime`)."""

    @property
    def feed(self) -> FeedView: ...

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


#: Builds the runtime: (config, options, publish) → runtime. Tests pass one that returns a fake.
RuntimeBuilder = Callable[[AppConfig, RunOptions, Publish], RuntimeView]


def exchange_label(config: AppConfig, options: RunOptions) -> str:
    """What the status bar calls the market before the runtime reports it itself."""
    return {"demo": "sim", "replay": "replay"}.get(options.mode, config.exchange.id)


class EmptyFeed:
    """The feed as screens see it before the runtime exists: no symbols, no bars, an empty snapshot."""

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

    @property
    def feed(self) -> FeedView:
        return self.runtime.feed

    @property
    def symbols(self) -> list[str]:
        return list(self.runtime.feed.symbols)
