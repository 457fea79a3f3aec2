"""The confirmation every live order passes: what is about to be sent, in full, before it is sent.

Shown for each order when the broker's mode is "live" (never on paper): symbol, side, type, quantity, price
(the limit, the stop, or the price the order is valued at for a market order), the notional and the mode,
plus a bracket's stop and targets. `y` sends, `n` or escape does not; nothing is the default.
"""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from cryptoterm.domain.trading.order_text import number
from cryptoterm.domain.trading.orders import BracketRequest, OrderRequest


def order_facts(
    request: OrderRequest | BracketRequest, price: float | None, mode: str, quote: str
) -> list[tuple[str, str]]:
    """(label, value) rows the dialog shows."""
    entry = request.entry if isinstance(request, BracketRequest) else request
    kind = "bracket" if isinstance(request, BracketRequest) else entry.type.replace("_", "-")
    shown = entry.price if entry.price is not None else entry.stop_price if entry.stop_price is not None else price
    notional = f"{entry.qty * shown:,.2f} {quote}" if shown is not None else "unknown (no price)"
    rows = [
        ("mode", mode.upper()),
        ("symbol", entry.symbol),
        ("side", entry.side),
        ("type", kind + (" (reduce-only)" if entry.reduce_only else "")),
        ("quantity", number(entry.qty)),
        ("price", number(shown) if shown is not None else "market"),
        ("notional", notional),
    ]
    if entry.stop_price is not None and entry.price is not None:
        rows.append(("stop", number(entry.stop_price)))
    if isinstance(request, BracketRequest):
        rows.append(("stop", number(request.stop)))
        if request.targets:
            rows.append(("targets", ", ".join(f"{number(p)} ({s:.0%})" for p, s in request.targets)))
    return rows


class ConfirmOrder(ModalScreen[bool]):
    """Asks before a live order is sent; dismisses with True only on `y`."""

    DEFAULT_CSS = """
    ConfirmOrder { align: center middle; }
    ConfirmOrder > Vertical { width: 60; max-width: 98%; height: auto; padding: 0 2; border: thick $error;
        background: $panel; }
    ConfirmOrder #confirm-title { text-style: bold; color: $error; margin-bottom: 1; }
    ConfirmOrder #confirm-keys { margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Send", tooltip="Send this order to the exchange"),
        Binding("n", "decline", "Don't send", tooltip="Do not send the order"),
        Binding("escape", "decline", "Don't send", show=False),
    ]

    def __init__(self, request: OrderRequest | BracketRequest, price: float | None, mode: str, quote: str) -> None:
        super().__init__()
        self.request = request
        self.facts = order_facts(request, price, mode, quote)

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
        table.add_column(style="dim")
        table.add_column()
        for label, value in self.facts:
            table.add_row(label, Text(value, style="bold") if label in ("side", "quantity", "notional") else value)
        with Vertical():
            yield Label("Send this order to the exchange?", id="confirm-title")
            yield Static(table, id="confirm-facts")
            yield Label("y send · n / escape don't send", id="confirm-keys")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_decline(self) -> None:
        self.dismiss(False)
