"""The help screen: every key of the screen it was opened over, and every command-palette entry.

Both lists are collected at the moment `?` is pressed (from the screen's active bindings and from
`palette_commands`), so new screens and actions appear here without editing this file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from cryptoterm.tui.commands import PaletteCommand

#: (key as shown, description)
KeyHelp = tuple[str, str]


def keys_table(keys: Sequence[KeyHelp]) -> Table:
    table = Table(box=None, show_header=True, header_style="bold", expand=True, padding=(0, 2, 0, 0))
    table.add_column("Key", style="bold cyan", no_wrap=True)
    table.add_column("Action")
    for key, description in keys:
        table.add_row(key, description)
    return table


def commands_table(commands: Sequence[PaletteCommand]) -> Table:
    table = Table(box=None, show_header=True, header_style="bold", expand=True, padding=(0, 2, 0, 0))
    table.add_column("Command", style="bold", no_wrap=True)
    table.add_column("Key", style="cyan", no_wrap=True)
    table.add_column("What it does")
    for command in commands:
        table.add_row(command.title, command.key, command.help)
    return table


class HelpScreen(ModalScreen[None]):
    """A scrollable overlay; escape, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close"),
        Binding("q", "dismiss", "Close", show=False),
        Binding("question_mark", "dismiss", "Close", show=False),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%; max-width: 100; height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    HelpScreen .heading { text-style: bold; color: $accent; margin: 1 0 0 0; }
    """

    def __init__(self, keys: Sequence[KeyHelp], commands: Sequence[PaletteCommand]) -> None:
        super().__init__()
        self.keys = list(keys)
        self.commands = list(commands)

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "cryptoterm help  (esc closes)"
            yield Static(Text("Keys"), classes="heading")
            yield Static(keys_table(self.keys), id="help-keys")
            yield Static(Text("Command palette (ctrl+p)"), classes="heading")
            yield Static(commands_table(self.commands), id="help-commands")
