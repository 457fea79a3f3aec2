"""The screen registry: every top-level screen (a Textual mode) is declared here, once.

The app builds its modes, its switch keys and its "Go to …" palette entries from `SCREENS`; adding a screen
is one `ScreenSpec` line here plus the screen module. Screens pushed over another (detail views, help) are
opened by their parent screen and don't belong in this list.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from textual.screen import Screen

from cryptoterm.tui.context import TuiSession
from cryptoterm.tui.screens.dashboard import DashboardScreen


@dataclass(frozen=True, slots=True)
class LazyScreen:
    """A screen factory that imports the screen's module on first use.

    Screens pull in what they show (pandas frames, the scanner, the store); importing all of them up front
    would delay the first frame by far more than drawing the dashboard takes. The app preloads them in a
    thread once the runtime is up, so the first visit to a screen doesn't wait either.
    """

    module: str
    class_name: str

    def screen_class(self) -> type[Screen[None]]:
        return cast(type[Screen[None]], getattr(importlib.import_module(self.module), self.class_name))

    def __call__(self, session: TuiSession) -> Screen[None]:
        factory = cast(Callable[[TuiSession], Screen[None]], self.screen_class())
        return factory(session)


def preload_screens() -> None:
    """Import every lazily registered screen module (call from a thread)."""
    for spec in SCREENS:
        if isinstance(spec.factory, LazyScreen):
            spec.factory.screen_class()


@dataclass(frozen=True, slots=True)
class ScreenSpec:
    """A top-level screen: its mode name, title, the key that switches to it, and how to build it."""

    name: str
    title: str
    key: str
    description: str
    factory: Callable[[TuiSession], Screen[None]]


SCREENS: tuple[ScreenSpec, ...] = (
    ScreenSpec("dashboard", "Dashboard", "d", "Watchlist, chart, log and status", DashboardScreen),
    ScreenSpec(
        "symbol",
        "Symbol detail",
        "s",
        "Chart with EMAs and Bollinger bands, depth ladder, data quality",
        LazyScreen("cryptoterm.tui.screens.symbol", "SymbolScreen"),
    ),
    ScreenSpec(
        "markets",
        "Markets",
        "m",
        "Every market of the exchange: search by base / quote, filter, open one, add it to the watchlist",
        LazyScreen("cryptoterm.tui.screens.markets", "MarketsScreen"),
    ),
    ScreenSpec(
        "movers",
        "Movers",
        "M",
        "Top gainers, losers and volume surges over 1 h / 24 h across every market",
        LazyScreen("cryptoterm.tui.screens.movers", "MoversScreen"),
    ),
    ScreenSpec(
        "order-book",
        "Order book",
        "O",
        "The full book of the selected symbol: grouped levels, cumulative depth, depth chart, spread history, tape",
        LazyScreen("cryptoterm.tui.screens.order_book", "OrderBookScreen"),
    ),
    ScreenSpec(
        "tape",
        "Trade tape",
        "T",
        "Time and sales of the selected symbol: prints aggregated by size, large prints highlighted",
        LazyScreen("cryptoterm.tui.screens.tape", "TapeScreen"),
    ),
    ScreenSpec(
        "setups",
        "Setups",
        "u",
        "Every setup the scanner opened: sort, filter, open the detail",
        LazyScreen("cryptoterm.tui.screens.setups", "SetupsScreen"),
    ),
    ScreenSpec(
        "strategies",
        "Strategies",
        "g",
        "Enable, disable and reload strategies; last scan results",
        LazyScreen("cryptoterm.tui.screens.strategies", "StrategiesScreen"),
    ),
    ScreenSpec(
        "scan-log",
        "Scan log",
        "c",
        "Every scan: when, how long, hits, new setups and errors",
        LazyScreen("cryptoterm.tui.screens.scan_log", "ScanLogScreen"),
    ),
    ScreenSpec(
        "alerts",
        "Alerts",
        "w",
        "Alert rules from the config and this app: create, edit, pause, delete, test-fire; their firings",
        LazyScreen("cryptoterm.tui.screens.alerts", "AlertsScreen"),
    ),
    ScreenSpec(
        "data",
        "Data",
        "i",
        "Stored series and system statistics; import candle files, export any table",
        LazyScreen("cryptoterm.tui.screens.data", "DataScreen"),
    ),
    ScreenSpec(
        "screener",
        "Pairs screener",
        "P",
        "Every pair of the stored universe tested for cointegration: run, sort, filter, open a pair, watch it",
        LazyScreen("cryptoterm.tui.screens.screener", "ScreenerScreen"),
    ),
    ScreenSpec(
        "backtest",
        "Backtest",
        "B",
        "The configured strategies on stored candles: run, sweep params, equity, stats, trades, compare runs",
        LazyScreen("cryptoterm.tui.screens.backtest", "BacktestScreen"),
    ),
    ScreenSpec(
        "positions",
        "Positions",
        "p",
        "The account: positions, open orders, fills and pairs positions; cancel, flatten, journal",
        LazyScreen("cryptoterm.tui.screens.positions", "PositionsScreen"),
    ),
    ScreenSpec(
        "journal",
        "Journal",
        "j",
        "Trading journal entries and their statistics by strategy and tag",
        LazyScreen("cryptoterm.tui.screens.journal", "JournalScreen"),
    ),
    ScreenSpec(
        "health",
        "Health",
        "h",
        "Streams, latency, store and process health",
        LazyScreen("cryptoterm.tui.screens.health", "HealthScreen"),
    ),
)

#: The mode that shows the selected symbol in detail (opened with enter on a watchlist row).
SYMBOL_DETAIL = "symbol"

#: The mode the app opens in.
HOME = "dashboard"
