"""The order ticket: a modal form for a market, limit, stop, stop-limit or bracket order on one symbol.

Opened with `N` from the watchlist, the symbol detail and the order book (the selected symbol, its last price as
the limit), and from a setup with `k` ("take setup": a bracket from the setup's entry, stop and targets, sized by
its risk and the guards). The line under the fields follows the typing: the notional at the order's price, the
largest quantity the `[trading]` limits allow now, and the account's mode. `ctrl+s` (or enter in the last
field) checks the fields (`order_ticket_model`: one line naming the field) and closes with the request;
`ctrl+g` fills the largest allowed quantity; escape closes with nothing.
"""

from __future__ import annotations

import uuid
from typing import ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from cryptoterm.domain.trading.guards import GuardContext, GuardLimits, max_qty
from cryptoterm.domain.trading.order_text import number
from cryptoterm.domain.trading.orders import BracketRequest, OrderRequest, Side
from cryptoterm.tui.order_ticket_model import KINDS, TicketDraft, TicketKind, reference_of, sized, ticket_request

Ticket = OrderRequest | BracketRequest
FIELDS = ("qty", "price", "stop", "targets")


class OrderTicket(ModalScreen[Ticket | None]):
    """See the module docstring. `last` is the symbol's last price, `context` the account as the guards see it."""

    DEFAULT_CSS = """
    OrderTicket { align: center middle; }
    OrderTicket > Vertical { width: 76; max-width: 98%; height: auto; padding: 0 1; border: round $accent;
        background: $panel; }
    OrderTicket #ticket-title { text-style: bold; margin-bottom: 1; }
    OrderTicket Horizontal { height: auto; }
    OrderTicket .field-label { width: 9; padding-top: 1; }
    OrderTicket Input { width: 1fr; }
    OrderTicket Select { width: 1fr; }
    OrderTicket #ticket-summary { height: auto; color: $text-muted; }
    OrderTicket #ticket-error { height: auto; color: $error; }
    OrderTicket #ticket-keys { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", tooltip="Close the ticket without placing"),
        Binding("ctrl+s", "place", "Place", tooltip="Check the ticket and place the order"),
        Binding("ctrl+g", "max_size", "Max size", tooltip="Fill in the largest quantity the limits allow"),
    ]

    def __init__(
        self, draft: TicketDraft, *, last: float | None, limits: GuardLimits, context: GuardContext, mode: str
    ) -> None:
        super().__init__()
        self.draft = draft
        self.last = last
        self.limits = limits
        self.context = context
        self.mode = mode

    def compose(self) -> ComposeResult:
        d = self.draft
        title = f"{'Take setup' if d.setup_id is not None else 'New order'} · {d.symbol} · {self.mode}"
        with Vertical():
            yield Label(title, id="ticket-title")
            with Horizontal():
                yield Label("side", classes="field-label")
                yield Select([("buy", "buy"), ("sell", "sell")], value=d.side, allow_blank=False, id="ticket-side")
                yield Label("type", classes="field-label")
                yield Select(
                    [(k.replace("_", "-"), k) for k in KINDS], value=d.kind, allow_blank=False, id="ticket-kind"
                )
            with Horizontal():
                yield Label("qty", classes="field-label")
                yield Input(d.qty, placeholder="quantity", id="ticket-qty")
                yield Label("price", classes="field-label")
                yield Input(d.price, placeholder="limit (bracket: empty = market)", id="ticket-price")
            with Horizontal():
                yield Label("stop", classes="field-label")
                yield Input(d.stop, placeholder="stop price", id="ticket-stop")
                yield Label("targets", classes="field-label")
                yield Input(d.targets, placeholder="62000, 64000", id="ticket-targets")
            yield Static("", id="ticket-summary")
            yield Static("", id="ticket-error")
            yield Label("ctrl+s place · ctrl+g max size · escape cancel", id="ticket-keys")

    def on_mount(self) -> None:
        self.query_one("#ticket-qty", Input).focus()
        self._show_summary()

    # ----------------------------------------------------------------- reading the form
    def current(self) -> TicketDraft:
        side = cast(Side, self.query_one("#ticket-side", Select).value)
        kind = cast(TicketKind, self.query_one("#ticket-kind", Select).value)
        texts = {name: self.query_one(f"#ticket-{name}", Input).value for name in FIELDS}
        return TicketDraft(
            symbol=self.draft.symbol,
            side=side,
            kind=kind,
            qty=texts["qty"],
            price=texts["price"],
            stop=texts["stop"],
            targets=texts["targets"],
            reduce_only=self.draft.reduce_only,
            setup_id=self.draft.setup_id,
        )

    def allowed_qty(self, draft: TicketDraft) -> float:
        price = reference_of(draft, self.last)
        return max_qty(draft.side, price, self.context, self.limits) if price is not None else 0.0

    def _show_summary(self) -> None:
        draft = self.current()
        price = reference_of(draft, self.last)
        quote = self.limits.quote
        parts = []
        try:
            qty = float(draft.qty.replace(",", "")) if draft.qty.strip() else 0.0
        except ValueError:
            qty = 0.0
        if price is not None:
            parts.append(f"notional {qty * price:,.2f} {quote} at {number(price)}")
            parts.append(f"max {number(self.allowed_qty(draft))} by the limits")
        else:
            parts.append("no price yet for this symbol")
        parts.append(f"{self.mode} account")
        self.query_one("#ticket-summary", Static).update(" · ".join(parts))

    def on_input_changed(self, _event: Input.Changed) -> None:
        self._show_summary()
        self.query_one("#ticket-error", Static).update("")

    def on_select_changed(self, _event: Select.Changed) -> None:
        self._show_summary()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "ticket-targets":
            self.action_place()
            return
        self.focus_next()

    # ----------------------------------------------------------------- actions
    def action_place(self) -> None:
        try:
            request = ticket_request(self.current(), f"t-{uuid.uuid4().hex[:12]}")
        except ValueError as exc:
            self.query_one("#ticket-error", Static).update(str(exc))
            return
        self.dismiss(request)

    def action_max_size(self) -> None:
        draft = self.current()
        self.query_one("#ticket-qty", Input).value = sized(draft, self.allowed_qty(draft)).qty

    def action_cancel(self) -> None:
        self.dismiss(None)
