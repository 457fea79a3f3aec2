"""The alert rule form: every field of a rule, checked as you type by the same `build_rule` the config and
`cryptoterm alerts add` use, so the error under the form names the field and the term
(`when: "price crosses_belw 2675": unknown comparison "crosses_belw" (did you mean "crosses_below"?)`).
Save (ctrl+s, or enter in a field) is refused while the rule does not build; escape leaves without saving.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Static

from cryptoterm.domain.alerts import AlertRuleError, RuleFields, build_rule

#: (field, label, placeholder)
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("name", "Name", "eth-dip"),
    ("symbol", "Symbol", "ETH/USDT"),
    ("when", "When", "price crosses_below 2675 · change 1h above 5% · rsi(14) @4h < 25"),
    ("timeframe", "Timeframe", "(volume, z-score, conditions) 1m 5m 15m 1h 4h 1d"),
    ("cooldown", "Cooldown", "10m (0 = none)"),
    ("expires", "Expires", "2024-12-31T18:00 (UTC; empty = never)"),
    ("tags", "Tags", "telegram, desk (apprise #tags; empty = untagged URLs)"),
    ("message", "Message", "{name}: {symbol} at {price} ({when})"),
)


class AlertForm(ModalScreen[RuleFields | None]):
    """Returns the checked fields (Save) or None (escape)."""

    DEFAULT_CSS = """
    AlertForm { align: center middle; }
    AlertForm > VerticalScroll {
        width: 90%; max-width: 110; height: auto; max-height: 95%;
        border: round $accent; background: $panel; padding: 0 1;
    }
    AlertForm .form-row { height: 3; }
    AlertForm .form-row Label { width: 11; padding: 1 1 0 0; }
    AlertForm .form-row Input { width: 1fr; }
    AlertForm #alert-form-checks { height: 3; }
    AlertForm #alert-form-error { height: auto; min-height: 1; margin: 1 0 0 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def __init__(self, fields: RuleFields | None = None, *, title: str = "New alert") -> None:
        super().__init__()
        self.initial = fields or RuleFields(name="", when="")
        self.title_text = title
        self.error = ""
        self.checks = 0

    def compose(self) -> ComposeResult:
        initial = self.initial
        values = {
            "name": initial.name,
            "symbol": initial.symbol,
            "when": initial.when,
            "timeframe": initial.timeframe,
            "cooldown": initial.cooldown if initial.cooldown != "0" else "",
            "expires": initial.expires,
            "tags": ", ".join(initial.tags),
            "message": initial.message,
        }
        with VerticalScroll() as box:
            box.border_title = f"{self.title_text} — ctrl+s saves, escape cancels"
            for key, label, placeholder in FIELDS:
                with Horizontal(classes="form-row"):
                    yield Label(label)
                    yield Input(values[key], placeholder=placeholder, id=f"alert-{key}")
            with Horizontal(id="alert-form-checks"):
                yield Checkbox("Fire once ever", initial.once, id="alert-once")
                yield Checkbox("Enabled", initial.enabled, id="alert-enabled")
            yield Static(id="alert-form-error")

    def on_mount(self) -> None:
        self.query_one("#alert-name", Input).focus()
        self.validate_form()

    def fields(self) -> RuleFields:
        def value(key: str) -> str:
            return self.query_one(f"#alert-{key}", Input).value

        return RuleFields(
            name=value("name"),
            when=value("when"),
            symbol=value("symbol"),
            timeframe=value("timeframe").strip(),
            cooldown=value("cooldown").strip() or "0",
            once=self.query_one("#alert-once", Checkbox).value,
            expires=value("expires"),
            enabled=self.query_one("#alert-enabled", Checkbox).value,
            tags=tuple(t.strip() for t in value("tags").split(",") if t.strip()),
            message=value("message"),
        )

    def validate_form(self) -> str:
        """Check the fields now; the error ("" when the rule builds) is shown under the form."""
        self.checks += 1
        fields = self.fields()
        if not fields.name.strip() and not fields.when.strip():
            self.error = "name and when are required"
        else:
            try:
                build_rule(fields)
                self.error = ""
            except AlertRuleError as exc:
                self.error = (
                    str(exc).split(", ", 1)[1] if str(exc).startswith("alert") and ", " in str(exc) else str(exc)
                )
        shown = Text(f"✗ {self.error}", style="bold red") if self.error else Text("✓ the rule is valid", style="green")
        self.query_one("#alert-form-error", Static).update(shown)
        return self.error

    def on_input_changed(self, event: Input.Changed) -> None:
        self.validate_form()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self.validate_form()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_save()

    def action_save(self) -> None:
        if self.validate_form():
            self.notify(self.error, title="The alert is not saved", severity="error")
            return
        self.dismiss(self.fields())

    def action_cancel(self) -> None:
        self.dismiss(None)
