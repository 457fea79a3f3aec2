"""The journal form: an entry drafted from a setup, an order or a position, completed with notes, tags and an
outcome, and stored. The draft's facts (what it links to, the profit, the risk and R, the hold time) show at the
top; `ctrl+s` saves (errors — a tag that is not one word, a risk that is not positive — show under the fields),
escape closes without saving."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static, TextArea

from cryptoterm.domain.journal.entries import JournalEntry, JournalError, Outcome, parse_tags
from cryptoterm.services.journal import Journal

OUTCOME_CHOICES: list[tuple[str, str]] = [
    ("from the profit", "auto"),
    ("open", "open"),
    ("win", "win"),
    ("loss", "loss"),
    ("breakeven", "breakeven"),
]


def draft_facts(entry: JournalEntry) -> str:
    """One or two lines: what the entry is about and what is known of how it went."""
    link = (
        f"setup {entry.setup_id}"
        if entry.setup_id is not None and entry.position_key is None and entry.order_id is None
        else f"order {entry.order_id}"
        if entry.order_id
        else f"position {entry.position_key}"
        if entry.position_key
        else "by hand"
    )
    parts = [entry.symbol or "-", entry.direction or "-", entry.strategy or "(manual)", link]
    known = []
    if entry.pnl is not None:
        known.append(f"profit {entry.pnl:,.2f}")
    if entry.risk is not None:
        known.append(f"risk {entry.risk:,.2f}")
    if entry.r_multiple is not None:
        known.append(f"{entry.r_multiple:+.2f} R")
    if entry.hold_ms is not None:
        known.append(f"held {entry.hold_ms / 3_600_000:.1f} h")
    if entry.outcome:
        known.append(entry.outcome)
    return " · ".join(parts) + ("\n" + " · ".join(known) if known else "")


class JournalForm(ModalScreen[JournalEntry | None]):
    """See the module docstring; dismisses with the stored entry (None when cancelled)."""

    DEFAULT_CSS = """
    JournalForm { align: center middle; }
    JournalForm > Vertical { width: 76; max-width: 98%; height: auto; max-height: 98%; padding: 0 1;
        border: round $accent; background: $panel; }
    JournalForm #journal-title { text-style: bold; }
    JournalForm #journal-facts { height: auto; color: $text-muted; margin-bottom: 1; }
    JournalForm Horizontal { height: auto; }
    JournalForm .field-label { width: 9; padding-top: 1; }
    JournalForm Input { width: 1fr; }
    JournalForm Select { width: 1fr; }
    JournalForm TextArea { height: 5; }
    JournalForm #journal-error { height: auto; color: $error; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", tooltip="Close without saving"),
        Binding("ctrl+s", "save", "Save", tooltip="Store the journal entry"),
    ]

    def __init__(self, draft: JournalEntry, journal: Journal) -> None:
        super().__init__()
        self.draft = draft
        self.journal = journal
        self.saved: JournalEntry | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Journal entry", id="journal-title")
            yield Static(draft_facts(self.draft), id="journal-facts")
            yield Label("notes")
            yield TextArea(self.draft.notes, id="journal-notes")
            with Horizontal():
                yield Label("tags", classes="field-label")
                yield Input(" ".join(self.draft.tags), placeholder="breakout, news", id="journal-tags")
            with Horizontal():
                yield Label("outcome", classes="field-label")
                yield Select(OUTCOME_CHOICES, value="auto", allow_blank=False, id="journal-outcome")
                yield Label("risk", classes="field-label")
                risk = f"{self.draft.risk:g}" if self.draft.risk is not None else ""
                yield Input(risk, placeholder="at risk, for R", id="journal-risk")
            yield Static("", id="journal-error")
            yield Label("ctrl+s save · escape cancel")

    def on_mount(self) -> None:
        self.query_one("#journal-notes", TextArea).focus()

    def entry(self) -> tuple[JournalEntry, dict[str, object]]:
        """The draft and what the form adds to it; `JournalError` naming a field that cannot be stored."""
        tags = parse_tags(self.query_one("#journal-tags", Input).value)
        notes = self.query_one("#journal-notes", TextArea).text.strip()
        choice = str(self.query_one("#journal-outcome", Select).value)
        outcome = None if choice == "auto" else cast(Outcome, choice)
        risk_text = self.query_one("#journal-risk", Input).value.strip()
        risk = None
        if risk_text:
            try:
                risk = float(risk_text.replace(",", ""))
            except ValueError:
                raise JournalError(f"risk: {risk_text!r} is not a number") from None
        draft = replace(self.draft, tags=())
        return draft, {"notes": notes, "tags": tags, "outcome": outcome, "risk": risk}

    def action_save(self) -> None:
        try:
            draft, fields = self.entry()
        except JournalError as exc:
            self.query_one("#journal-error", Static).update(str(exc))
            return
        journal = self.journal

        def store() -> None:
            try:
                saved = journal.add(draft, **fields)  # type: ignore[arg-type]
            except JournalError as exc:
                self.app.call_from_thread(self.query_one("#journal-error", Static).update, str(exc))
                return
            self.app.call_from_thread(self._saved, saved)

        self.run_worker(store, name="journal save", thread=True, exit_on_error=False)

    def _saved(self, entry: JournalEntry) -> None:
        self.saved = entry
        self.app.notify(f"journal entry {entry.id} saved ({entry.outcome or 'no outcome'})")
        self.dismiss(entry)

    def action_cancel(self) -> None:
        self.dismiss(None)
