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
)

#: The mode the app opens in.
HOME = "dashboard"
