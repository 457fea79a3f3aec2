"""A one-line prompt for a symbol to add to the watchlist: BTC/USDT, btc/usdt and BTCUSDT alike."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from cryptoterm.domain.symbol_text import parse_symbol


class SymbolPrompt(ModalScreen[str | None]):
    """Asks for a symbol; enter returns it unified ("BTC/USDT", `domain.symbol_text`) or says under the field why
    the text names no market; escape returns None."""

    DEFAULT_CSS = """
    SymbolPrompt { align: center middle; }
    SymbolPrompt > Vertical { width: 50; height: auto; padding: 1 2; border: round $accent; background: $panel; }
    SymbolPrompt Label { margin-bottom: 1; }
    SymbolPrompt #symbol-error { color: $error; margin: 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Add to the watchlist (BTC/USDT, btc/usdt or BTCUSDT), enter to add, escape to cancel")
            yield Input(placeholder="BASE/QUOTE", id="symbol-input")
            yield Label("", id="symbol-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.dismiss(None)
            return
        try:
            self.dismiss(parse_symbol(event.value))
        except ValueError as exc:
            self.query_one("#symbol-error", Label).update(str(exc))

    def action_cancel(self) -> None:
        self.dismiss(None)
