"""Shown instead of any layout when the terminal is below the smallest size the screens are laid out for."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Static

#: The smallest size every screen is laid out for (and tested at): the dashboard's table and chart, the detail's
#: chart and ladder, the setups table all fit at 80×24. Below it (60×20 was tried) tables scroll sideways and
#: the chart collapses, so the notice is shown instead of a broken layout.
MIN_WIDTH = 80
MIN_HEIGHT = 24


def too_small(width: int, height: int) -> bool:
    return width < MIN_WIDTH or height < MIN_HEIGHT


def too_small_message(width: int, height: int) -> str:
    return (
        f"Terminal too small: {width}×{height}\n"
        f"cryptoterm needs at least {MIN_WIDTH}×{MIN_HEIGHT}.\n"
        "Enlarge the window, or press q to quit."
    )


class TooSmallScreen(Screen[None]):
    """A full-screen notice; the app pops it as soon as the terminal is big enough again."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "app.quit", "Quit")]

    DEFAULT_CSS = """
    TooSmallScreen { align: center middle; }
    TooSmallScreen #too-small { width: auto; height: auto; text-align: center; color: $warning; }
    """

    def compose(self) -> ComposeResult:
        with Middle(), Center():
            yield Static(too_small_message(self.app.size.width, self.app.size.height), id="too-small")

    def on_resize(self) -> None:
        self.query_one("#too-small", Static).update(too_small_message(self.size.width, self.size.height))
