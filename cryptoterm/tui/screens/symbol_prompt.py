"""A one-line prompt for a symbol to add to the watchlist."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class SymbolPrompt(ModalScreen[str | None]):
    """Asks for a symbol such as BTC/USDT; enter returns it (upper-cased), escape returns None."""

    DEFAULT_CSS = """
    SymbolPrompt { align: center middle; }
    SymbolPrompt > Vertical { width: 50; height: auto; padding: 1 2; border: round $accent; background: $panel; }
    SymbolPrompt Label { margin-bottom: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Add to the watchlist (e.g. BTC/USDT), enter to add, escape to cancel")
            yield Input(placeholder="BASE/QUOTE", id="symbol-input")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip().upper()
        self.dismiss(value or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
