"""The chart's study chooser: the configured studies as a checklist; space toggles, enter keeps, escape cancels.

It returns the texts of the studies left ticked (in the configured order), or None when cancelled, so the
screen that opened it decides what to remember (per symbol) and redraws once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, SelectionList
from textual.widgets.selection_list import Selection

from cryptoterm.domain.chart_study_terms import Study, study_label


class StudyChooser(ModalScreen[list[str] | None]):
    """Ticks the studies shown on `symbol`'s chart."""

    DEFAULT_CSS = """
    StudyChooser { align: center middle; }
    StudyChooser > Vertical { width: 48; max-width: 95%; height: auto; padding: 1 2; border: round $accent;
        background: $panel; }
    StudyChooser Label { width: 100%; }
    StudyChooser SelectionList { height: auto; max-height: 14; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("enter", "keep", "Keep", priority=True),
    ]

    def __init__(self, symbol: str, studies: Sequence[Study], shown: Sequence[str]) -> None:
        super().__init__()
        self.symbol = symbol
        self.studies = tuple(studies)
        self.shown = set(shown)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Studies on {self.symbol or 'the chart'} — space: show / hide, enter: keep")
            yield SelectionList[str](
                *(
                    Selection(f"{study_label(s)}  ({s.text})", s.text, s.text in self.shown, id=f"study-{i}")
                    for i, s in enumerate(self.studies)
                ),
                id="study-list",
            )

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_keep(self) -> None:
        ticked = set(self.query_one(SelectionList).selected)
        self.dismiss([s.text for s in self.studies if s.text in ticked])

    def action_cancel(self) -> None:
        self.dismiss(None)
