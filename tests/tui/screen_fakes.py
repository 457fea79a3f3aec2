"""A runtime for the screen tests: the seeded fake feed plus order books, a real store and real scanning.

Everything is deterministic: the feed's clock is frozen (`FakeFeed.now_ms`), the scanner's clock is the same
frozen time, the store is a temporary SQLite file holding the fake feed's 1m bars, and the order books are
built from a fixed snapshot per symbol (one symbol, `UNSYNCED`, never gets one: its ladder says "syncing…").
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from cryptoterm.adapters.clock import FrozenClock
from cryptoterm.adapters.store.sqlite_store import SqliteStore, StoreHealth
from cryptoterm.adapters.store.writer import WriterStats
from cryptoterm.config.schema import AppConfig, LevelsConfig, ScannerConfig, StrategyConfig, UniverseConfig
from cryptoterm.domain.market import DepthSnapshot
from cryptoterm.domain.orderbook import OrderBook
from cryptoterm.ports.market import StreamHealth
from cryptoterm.ports.ui_state import UiStateStore
from cryptoterm.services.market_snapshot import MarketSnapshot
from cryptoterm.services.scan_session import ScanSession
from cryptoterm.tui.app import CryptotermApp
from cryptoterm.tui.context import Publish
from cryptoterm.wiring.build import build_scan_session
from cryptoterm.wiring.options import RunOptions
from tests.tui.fakes import FakeFeed, FakeRuntime
from tests.waiting import eventually

EXCHANGE = "sim"
UNSYNCED = "ETH/USDT"
SCANNED = ["BTC/USDT", "BNB/USDT", "SOL/USDT", "XRP/USDT"]


def book_for(symbol: str, mid: float, levels: int = 25) -> OrderBook:
    """A synced book around `mid`: sizes grow away from the touch, a little heavier on the bid side."""
    tick = mid * 0.0001
    bids = tuple((round(mid - tick * (i + 1), 10), round(1.0 + 0.4 * i + 0.3, 6)) for i in range(levels))
    asks = tuple((round(mid + tick * (i + 1), 10), round(1.0 + 0.4 * i, 6)) for i in range(levels))
    book = OrderBook(symbol)
    book.on_snapshot(DepthSnapshot(symbol, 0, 100, bids, asks))
    return book


class FakeBooks:
    """`MarketFeed.books` shape (the TUI's `BooksView`): `get` returns a synced book or None."""

    def __init__(self, books: dict[str, OrderBook]) -> None:
        self._books = books
        self.requests: list[str] = []

    def get(self, symbol: str) -> OrderBook | None:
        self.requests.append(symbol)
        return self._books.get(symbol)


class BookFeed(FakeFeed):
    """The fake feed with order books and two streams in its health."""

    def __init__(self, symbols: Sequence[str], *, publish: Publish | None = None) -> None:
        super().__init__(symbols, publish=publish)
        self.books = FakeBooks({s: book_for(s, self.ticker(s).last) for s in self.symbols if s != UNSYNCED})

    def snapshot(self) -> MarketSnapshot:
        snapshot = super().snapshot()
        health = (
            StreamHealth(
                "trades", "connected", messages=120_400, last_message_ms=self.now_ms - 250, last_event_lag_ms=42.0
            ),
            StreamHealth(
                "depth",
                "reconnecting",
                messages=80_200,
                reconnects=2,
                errors=1,
                last_message_ms=self.now_ms - 4_200,
                breaker="half-open",
                detail="connection reset; retrying in 4 s",
            ),
        )
        stats = dataclasses.replace(snapshot.stats, health=health, store_queue=3)
        return MarketSnapshot(ts=snapshot.ts, tickers=snapshot.tickers, stats=stats, forming=snapshot.forming)


@dataclass
class FixedStore:
    """Wraps the real store but reports fixed health and counts (file sizes vary between runs)."""

    inner: SqliteStore
    counted: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {"candles": 14_400, "setups": 4, "scan_runs": 2})

    def health(self) -> StoreHealth:
        writer = WriterStats(
            queue_depth=3, rows_written=14_412, rows_dropped=0, batches_written=57, last_error="", running=True
        )
        return StoreHealth(path="/data/cryptoterm.db", file_size=5_242_880, writer=writer)

    def table_counts(self) -> dict[str, int]:
        self.counted += 1
        return dict(self.counts)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def always(name: str = "always-long", symbols: Sequence[str] = SCANNED) -> StrategyConfig:
    return StrategyConfig(
        name=name,
        timeframe="1m",
        when=["close > 0"],
        levels=LevelsConfig(entry="close", stop="close - 2 * atr(14)", targets=["2R", "3R"]),
        universe=UniverseConfig(symbols=list(symbols)),
        description="Fires on every bar (a test strategy).",
    )


def screen_config(*strategies: StrategyConfig, source: str = "") -> AppConfig:
    """Default config with the given strategies, no timed scans (scans happen when the tests say)."""
    config = AppConfig()
    scanner = ScannerConfig(interval_s=0.0, on_candle_close=False, history_bars=200)
    chosen = list(strategies) if strategies else [always()]
    return msgspec.structs.replace(config, scanner=scanner, strategy=chosen, source=source)


class ScreenRuntime(FakeRuntime):
    """`FakeRuntime` plus `store` and `scanning`, built over a temporary database."""

    def __init__(self, feed: BookFeed, config: AppConfig, db_path: Path, *, fixed_store: bool) -> None:
        super().__init__(feed, mode="demo", exchange=EXCHANGE)
        self.real_store = SqliteStore(db_path, batch_ms=0)
        for symbol in feed.symbols:
            self.real_store.write_candles(
                EXCHANGE, symbol, "1m", [c for c in feed.candles(symbol, "1m", 1440) if c.closed]
            )
        self.store: SqliteStore | FixedStore = FixedStore(self.real_store) if fixed_store else self.real_store
        self.clock = FrozenClock(feed.now_ms)
        self.scanning: ScanSession = build_scan_session(
            config, self.real_store, EXCHANGE, self.clock, default_symbols=feed.symbols
        )

    async def start(self) -> None:
        await super().start()
        await self.scanning.start()
        await self.scanning.wait_ready()

    async def close(self) -> None:
        await super().close()
        self.scanning.close()
        self.real_store.close()


def screen_app(
    tmp_path: Path, config: AppConfig | None = None, *, fixed_store: bool = True, ui_state: UiStateStore | None = None
) -> CryptotermApp:
    """The real app over `ScreenRuntime`."""
    chosen = config or screen_config()

    def build(config: AppConfig, options: RunOptions, publish: Publish) -> ScreenRuntime:
        feed = BookFeed(config.watchlist.symbols, publish=publish)
        return ScreenRuntime(feed, config, tmp_path / "screens.db", fixed_store=fixed_store)

    return CryptotermApp(chosen, RunOptions(mode="demo"), build_engine=build, ui_state=ui_state)  # type: ignore[arg-type]


def runtime_of(app: CryptotermApp) -> ScreenRuntime:
    runtime = app.session.runtime
    assert isinstance(runtime, ScreenRuntime)
    return runtime


async def settle(pilot: Any, until: Callable[[], bool] | None = None) -> None:
    """Pause until the runtime has started, the startup scan has finished and `until` holds."""
    app = pilot.app

    def settled() -> bool:
        scans = app.scans
        started = app.session.snapshot is not None and scans.scans_started >= 1
        return started and not scans.running and not scans.pending_origin and (until is None or until())

    await eventually(
        settled, "the runtime started, the scans idle and the condition true", pause=lambda: pilot.pause(0.02)
    )
    await pilot.pause()


SettleStep = Callable[[Any], Awaitable[None]]


def static_text(widget: Any, width: int = 200) -> str:
    """What a `Static` shows, as plain text (its content rendered by rich at `width` columns)."""
    from rich.console import Console

    console = Console(width=width, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()
