"""A one-line prompt that checks what is typed before it closes: the replay's "go to", the log filter.

`check` turns the text into the value asked for or raises `ValueError`; its message shows under the field and the
prompt stays open, so a typo costs one key, not the whole question. Escape closes it with None.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Generic, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

T = TypeVar("T")


class TextPrompt(ModalScreen[T | None], Generic[T]):
    """Asks `question`; enter returns `check(text)` (or shows why it cannot), escape returns None."""

    DEFAULT_CSS = """
    TextPrompt { align: center middle; }
    TextPrompt > Vertical { width: 64; max-width: 95%; height: auto; padding: 1 2; border: round $accent;
        background: $panel; }
    TextPrompt Label { width: 100%; }
    TextPrompt #prompt-error { color: $error; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, check: Callable[[str], T], *, value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.question = question
        self.check = check
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question)
            yield Input(value=self.value, placeholder=self.placeholder, id="prompt-input")
            yield Label("", id="prompt-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        try:
            result = self.check(event.value)
        except ValueError as exc:
            self.query_one("#prompt-error", Label).update(str(exc))
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)
