"""The alerts screen: every rule — from the config and created here — with its state, and the newest firings.

`n` creates a rule and `e` (or enter) edits one in a form checked as you type; `p` pauses or resumes, `x`
deletes, `t` test-fires (the rule's message now, marked as a test, through its channels). Rules created here are
stored in the database and survive restarts; config rules are edited in the config file (pausing one lasts until
the next start). Changes go through the engine's alert engine in a worker thread (they write the store); the
table follows the engine's own word (its listeners post `AlertsChanged`), never a timer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Static

from cryptoterm.tui.alerts_view import AlertsChanged, AlertsView, delivery_text
from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.context import TuiSession
from cryptoterm.tui.screens.base import LiveScreen
from cryptoterm.tui.widgets.row_table import Column, RowTable
from cryptoterm.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from cryptoterm.domain.alerts import RuleFields
    from cryptoterm.services.alert_engine import RuleStatus

NO_ALERTS = "Alerts start with the engine (they run in the TUI and --headless, live, demo and replay)."


def _when(ms: int | None) -> str:
    if ms is None:
        return "—"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%m-%d %H:%M")


def _state(status: RuleStatus) -> Text:
    if status.spent:
        return Text("spent", style="dim")
    if not status.rule.enabled:
        return Text("paused", style="yellow")
    return Text("active", style="green")


class RulesTable(RowTable["RuleStatus"]):
    COLUMNS: tuple[Column, ...] = (
        ("name", "Name", 18),
        ("state", "State", 7),
        ("symbol", "Symbol", 10),
        ("when", "When", 30),
        ("cooldown", "Cooldown", 8),
        ("fired", "Fired", 5),
        ("last", "Last", 11),
        ("origin", "From", 6),
    )

    def key_of(self, row: RuleStatus) -> str:
        return row.rule.name

    def cells_of(self, row: RuleStatus) -> list[Text]:
        from cryptoterm.domain.alerts import rule_fields

        rule = row.rule
        cooldown = rule_fields(rule).cooldown
        return [
            Text(rule.name, style="bold"),
            _state(row),
            Text(rule.symbol or "any"),
            Text(rule.when),
            Text(("once" if rule.once else cooldown) if rule.once or rule.cooldown_ms else "—", justify="right"),
            Text(str(row.state.fired), justify="right"),
            Text(_when(row.state.last_fired_ms)),
            Text(rule.origin),
        ]

    def grow(self) -> dict[str, int]:
        return {"when": 60, "name": 28}


class AlertsScreen(LiveScreen):
    """See the module docstring."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_rule", "New", tooltip="Create an alert rule"),
        Binding("e", "edit_rule", "Edit", tooltip="Edit the highlighted rule"),
        Binding("p", "toggle_rule", "Pause", tooltip="Pause or resume the highlighted rule"),
        Binding("t", "test_rule", "Test", tooltip="Send the highlighted rule's message now, marked as a test"),
        Binding("x", "delete_rule", "Delete", tooltip="Delete the highlighted rule (created here)"),
        Binding("escape", "app.switch_mode('dashboard')", "Back", show=False, tooltip="Back to the dashboard"),
    ]

    DEFAULT_CSS = """
    AlertsScreen #alert-rules { height: 1fr; }
    AlertsScreen #alert-rule-panel { height: auto; max-height: 50%; border: round $primary; padding: 0 1; }
    """

    def __init__(self, session: TuiSession) -> None:
        super().__init__(session, name="alerts", id="alerts")
        self._bound: AlertsView | None = None
        self.loads = 0

    def compose(self) -> ComposeResult:
        yield RulesTable(id="alert-rules")
        yield Static(id="alert-rule-panel")
        yield StatusBar(self.session.runtime.mode, self.session.runtime.exchange, id="alerts-status")
        yield Footer()

    @property
    def alerts(self) -> AlertsView | None:
        return self.session.runtime.alerts

    @property
    def table(self) -> RulesTable:
        return self.query_one(RulesTable)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#alert-rule-panel", Static).border_title = "Rule"
        self.table.focus()
        self.load()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.load()

    def load(self) -> None:
        """Show the engine's rules (in memory: cheap), listening to it from the first time it exists."""
        alerts = self.alerts
        if alerts is not None and self._bound is None:
            self._bound = alerts

            def changed(*_: object) -> None:
                self.post_message(AlertsChanged())

            alerts.on_rules_changed(changed)
            alerts.on_event(changed)
        self.loads += 1
        self.table.show(alerts.statuses() if alerts is not None else [])
        self.paint_panel()

    def on_alerts_changed(self, message: AlertsChanged) -> None:
        self.load()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.paint_panel()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_edit_rule()

    def selected(self) -> RuleStatus | None:
        key = self.table.selected_key
        return next((row for row in self.table.rows_loaded if row.rule.name == key), None)

    def paint_panel(self) -> None:
        self.query_one("#alert-rule-panel", Static).update(self.panel())

    def panel(self) -> RenderableType:
        alerts = self.alerts
        if alerts is None:
            return Text(NO_ALERTS, style="dim")
        status = self.selected()
        if status is None:
            return Text("No alert rules yet: n creates one (or add [[alert]] tables to the config).", style="dim")
        rule = status.rule
        lines: list[RenderableType] = [
            Text.assemble((rule.name, "bold"), f"  {rule.symbol or 'every symbol'}  ", (rule.when, "cyan")),
        ]
        details = [f"from {'the config file' if rule.origin == 'config' else 'this app'}"]
        if rule.timeframe:
            details.append(f"checked on {rule.timeframe} closes")
        if rule.tags:
            details.append("to " + ", ".join(f"#{t}" for t in rule.tags))
        if rule.expires_ms is not None:
            details.append(f"expires {_when(rule.expires_ms)}")
        lines.append(Text(" · ".join(details), style="dim"))
        firings = [e for e in alerts.recent() if e.firing.rule_name == rule.name][:5]
        for event in firings:
            lines.append(Text(f"{_when(event.firing.ts)}  {delivery_text(event):<18} {event.firing.message}"))
        if not firings:
            lines.append(Text("has not fired yet", style="dim"))
        return Group(*lines)

    # ------------------------------------------------------------------ actions
    def _run(self, job: Callable[[], object], done: str) -> None:
        """Run a change through the alert engine in a thread; say how it went."""

        def work() -> None:
            try:
                job()
            except ValueError as exc:  # AlertRuleError is one: the message names the field
                self.app.call_from_thread(self.notify, str(exc), title="Alerts", severity="error")
                return
            self.app.call_from_thread(self.notify, done, title="Alerts", timeout=3)
            self.app.call_from_thread(self.load)

        self.run_worker(work, thread=True, group="alert-change", exit_on_error=False)

    def action_new_rule(self) -> None:
        if self.alerts is None:
            self.notify(NO_ALERTS, severity="warning")
            return
        from cryptoterm.tui.screens.alert_form import AlertForm

        self.app.push_screen(AlertForm(), self._save)

    def action_edit_rule(self) -> None:
        status = self.selected()
        if status is None or self.alerts is None:
            return
        if status.rule.origin == "config":
            self.notify(f'"{status.rule.name}" is defined in the config file: edit it there.', severity="warning")
            return
        from cryptoterm.domain.alerts import rule_fields
        from cryptoterm.tui.screens.alert_form import AlertForm

        self.app.push_screen(AlertForm(rule_fields(status.rule), title=f"Edit {status.rule.name}"), self._save)

    def _save(self, fields: RuleFields | None) -> None:
        alerts = self.alerts
        if fields is None or alerts is None:
            return
        self._run(partial(alerts.add_rule, fields), f"Saved alert {fields.name.strip()}")

    def action_toggle_rule(self) -> None:
        status, alerts = self.selected(), self.alerts
        if status is None or alerts is None:
            return
        enable = not status.rule.enabled
        verb = "Resumed" if enable else "Paused"
        self._run(partial(alerts.set_enabled, status.rule.name, enable), f"{verb} alert {status.rule.name}")

    def action_test_rule(self) -> None:
        status, alerts = self.selected(), self.alerts
        if status is None or alerts is None:
            return
        self._run(partial(alerts.test_fire, status.rule.name), f"Test message of {status.rule.name} sent")

    def action_delete_rule(self) -> None:
        status, alerts = self.selected(), self.alerts
        if status is None or alerts is None:
            return
        self._run(partial(alerts.remove_rule, status.rule.name), f"Deleted alert {status.rule.name}")

    def palette_commands(self) -> list[PaletteCommand]:
        return [
            PaletteCommand("New alert", "Create an alert rule", self.action_new_rule, "n"),
            PaletteCommand("Edit alert", "Edit the highlighted alert rule", self.action_edit_rule, "e"),
            PaletteCommand(
                "Pause / resume alert", "Pause or resume the highlighted rule", self.action_toggle_rule, "p"
            ),
            PaletteCommand("Test-fire alert", "Send the highlighted rule's message now", self.action_test_rule, "t"),
            PaletteCommand("Delete alert", "Delete the highlighted rule", self.action_delete_rule, "x"),
        ]
