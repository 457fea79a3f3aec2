"""Shown instead of any layout when the terminal is below the smallest size the screens are laid out for."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Static

MIN_WIDTH = 60
MIN_HEIGHT = 15


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
