"""Trading from every live screen: the order-ticket key, the kill switch, the positions panel's repaint.

`LiveScreen` derives from `TradingScreen`, so `N` opens the ticket for the selected symbol on the dashboard
(the highlighted watchlist row), the symbol detail and the order book alike, `K` runs the kill switch after its
question on any of them, and every screen that shows a `PositionsPanel` keeps it current with each market
snapshot. With the first snapshot after a live broker exists, its orders' confirmation dialog is attached.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from textual.binding import Binding, BindingType
from textual.screen import Screen

from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.trading_actions import attach_confirm, cancel_all, ticket_for_symbol
from cryptoterm.tui.trading_pairs import trade_watched_pair
from cryptoterm.tui.widgets.positions_panel import PositionsPanel

if TYPE_CHECKING:
    from cryptoterm.tui.context import TuiSession


def kill_switch(screen: Screen[Any], session: TuiSession) -> None:
    """`K`: the kill switch, after its question (imported on first use: it brings the live broker's module)."""
    from cryptoterm.tui.trading_kill_switch import kill_switch as run

    run(screen, session)


TICKET_BINDING = Binding(
    "N",
    "order_ticket",
    "Order",
    show=False,  # in `?` and the palette; the positions screen shows it in its footer
    tooltip="Order ticket for the selected symbol: market, limit, stop, bracket",
)
KILL_SWITCH_BINDING = Binding(
    "K", "kill_switch", "Kill switch", show=False, tooltip="Kill switch: cancel every order, flatten every position"
)


class TradingScreen(Screen[None]):
    """The trading keys of a live screen (see the module docstring)."""

    BINDINGS: ClassVar[list[BindingType]] = [TICKET_BINDING, KILL_SWITCH_BINDING]
    session: TuiSession

    def action_order_ticket(self) -> None:
        ticket_for_symbol(self, self.session, self.session.selected_symbol)

    def action_kill_switch(self) -> None:
        kill_switch(self, self.session)

    def show_account(self) -> None:
        """Repaint the positions panels of this screen from the broker's view (and attach the live dialog)."""
        broker = self.session.broker
        if broker is not None:
            attach_confirm(self.app, self.session)  # a live account asks the trader before each order
        panels = self.query(PositionsPanel)
        if not panels:
            return
        view = broker.view() if broker is not None else None
        for panel in panels:
            panel.show(view, broker.mode if broker is not None else "paper")


def trading_palette_commands(screen: Screen[Any], session: TuiSession) -> list[PaletteCommand]:
    """The app's trading entries (the screens add their own), acting on the current screen."""

    def ticket() -> None:
        ticket_for_symbol(screen, session, session.selected_symbol)

    return [
        PaletteCommand("New order", "Order ticket for the selected symbol: market, limit, stop, bracket", ticket, "N"),
        PaletteCommand(
            "Trade the watched pair",
            "The watched pair as a pairs position, by its live z-score",
            partial(trade_watched_pair, screen, session),
        ),
        PaletteCommand(
            "Cancel every open order", "Cancel all open orders of the account", partial(cancel_all, screen, session)
        ),
        PaletteCommand(
            "Kill switch",
            "Cancel every open order, then flatten every position (asks first)",
            partial(kill_switch, screen, session),
            "K",
        ),
    ]
