"""The kill switch's one question: everything it is about to cancel and flatten, before it does.

`K` on any live screen reads the account (`kill_switch_plan`) and shows this dialog: the mode, the open orders
it cancels and the positions it closes with reduce-only market orders. `y` runs it, `n` or escape does not;
nothing is the default. Live, this one answer stands for every order the kill switch sends.
"""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from cryptoterm.domain.trading.order_text import describe_request, number
from cryptoterm.services.kill_switch import KillSwitchPlan

#: Orders and positions listed before "+N more" (the dialog fits 80×24).
LISTED = 8


def plan_table(plan: KillSwitchPlan) -> Table:
    """The orders to cancel and the positions to flatten, one row each."""
    table = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
    table.add_column(style="dim", no_wrap=True)
    table.add_column()
    rows = [("cancel", f"{o.id} {describe_request(o.request)}") for o in plan.orders]
    rows += [("flatten", f"{p.symbol} {'long' if p.qty > 0 else 'short'} {number(abs(p.qty))}") for p in plan.positions]
    for action, what in rows[:LISTED]:
        table.add_row(action, what)
    if len(rows) > LISTED:
        table.add_row("", f"+{len(rows) - LISTED} more")
    return table


class ConfirmKillSwitch(ModalScreen[bool]):
    """Asks before the kill switch runs; dismisses with True only on `y`."""

    DEFAULT_CSS = """
    ConfirmKillSwitch { align: center middle; }
    ConfirmKillSwitch > Vertical { width: 72; max-width: 98%; height: auto; max-height: 98%; padding: 0 2;
        border: thick $error; background: $panel; }
    ConfirmKillSwitch #kill-title { text-style: bold; color: $error; }
    ConfirmKillSwitch #kill-summary { margin-bottom: 1; }
    ConfirmKillSwitch #kill-keys { margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Run", tooltip="Cancel every open order and flatten every position now"),
        Binding("n", "decline", "Don't run", tooltip="Leave the account as it is"),
        Binding("escape", "decline", "Don't run", show=False),
    ]

    def __init__(self, plan: KillSwitchPlan) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Kill switch · {self.plan.mode.upper()} account", id="kill-title")
            yield Label(self.plan.describe(), id="kill-summary")
            yield Static(plan_table(self.plan), id="kill-plan")
            yield Label("y run · n / escape don't run", id="kill-keys")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_decline(self) -> None:
        self.dismiss(False)
