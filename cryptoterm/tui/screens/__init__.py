"""The screen registry: every top-level screen (a Textual mode) is declared here, once.

The app builds its modes, its switch keys and its "Go to …" palette entries from `SCREENS`; adding a screen
is one `ScreenSpec` line here plus the screen module. Screens pushed over another (detail views, help) are
opened by their parent screen and don't belong in this list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.screen import Screen

from cryptoterm.tui.context import TuiSession
from cryptoterm.tui.screens.dashboard import DashboardScreen
from cryptoterm.tui.screens.health import HealthScreen
from cryptoterm.tui.screens.scan_log import ScanLogScreen
from cryptoterm.tui.screens.setups import SetupsScreen
from cryptoterm.tui.screens.strategies import StrategiesScreen
from cryptoterm.tui.screens.symbol import SymbolScreen


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
        "symbol", "Symbol detail", "s", "Chart with EMAs and Bollinger bands, depth ladder, data quality", SymbolScreen
    ),
    ScreenSpec("setups", "Setups", "u", "Every setup the scanner opened: sort, filter, open the detail", SetupsScreen),
    ScreenSpec(
        "strategies", "Strategies", "g", "Enable, disable and reload strategies; last scan results", StrategiesScreen
    ),
    ScreenSpec("scan-log", "Scan log", "c", "Every scan: when, how long, hits, new setups and errors", ScanLogScreen),
    ScreenSpec("health", "Health", "h", "Streams, latency, store and process health", HealthScreen),
)

#: The mode that shows the selected symbol in detail (opened with enter on a watchlist row).
SYMBOL_DETAIL = "symbol"

#: The mode the app opens in.
HOME = "dashboard"
