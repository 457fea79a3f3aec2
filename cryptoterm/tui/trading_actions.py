"""Orders and journal entries from any screen: open the ticket, confirm a live order, place it, write an entry.

Screens call these with themselves and the session; each step reports in one line (a notification and the log):
the order as the broker took it, or why it was refused. Placement runs in an app worker on the engine's loop
(the broker lives there); journal look-ups and writes touch the database, so they run in thread workers.
Every order whose broker is live goes through `ConfirmOrder` first, whichever screen it came from: the dialog is
attached to the live broker (`set_confirm`), which asks it after its guards passed, for every order it sends.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.screen import Screen

from cryptoterm.domain.journal.entries import JournalEntry, JournalError
from cryptoterm.domain.setups import Setup
from cryptoterm.domain.trading.guards import GuardContext, open_qty_by_side
from cryptoterm.domain.trading.order_text import describe_request, number
from cryptoterm.domain.trading.orders import BracketRequest, Order, OrderRejected, OrderRequest
from cryptoterm.tui.order_ticket_model import TicketDraft, draft_from_setup, guard_limits

if TYPE_CHECKING:
    from cryptoterm.tui.context import TuiSession

log = logging.getLogger("cryptoterm.trading")
#: Live brokers the dialog is attached to (weakly: a broker ends with its engine).
_CONFIRMING: weakref.WeakSet[object] = weakref.WeakSet()


def guard_context(session: TuiSession, symbol: str) -> GuardContext:
    """The account as the guards see it for `symbol` (empty before the broker exists)."""
    broker = session.broker
    if broker is None:
        return GuardContext()
    view = broker.view()
    held = sum(p.qty for p, _mark in view.positions if p.symbol == symbol)
    buy, sell = open_qty_by_side(view.orders, symbol)
    return GuardContext(held, buy, sell, view.day_pnl)


def last_price(session: TuiSession, symbol: str) -> float | None:
    candles = session.feed.candles(symbol, "1m", 1)
    return candles[-1].close if candles else None


def open_ticket(screen: Screen[Any], session: TuiSession, draft: TicketDraft) -> bool:
    """Push the order ticket for `draft`; what it returns is placed (after a confirmation when live)."""
    from cryptoterm.tui.screens.order_ticket import OrderTicket, Ticket

    broker = session.broker
    if broker is None:
        screen.notify("orders open once the market has started", severity="warning")
        return False
    if not draft.symbol:
        screen.notify("no symbol selected: pick one on the watchlist first", severity="warning")
        return False
    limits = guard_limits(session.config.trading)
    ticket = OrderTicket(
        draft,
        last=last_price(session, draft.symbol),
        limits=limits,
        context=guard_context(session, draft.symbol),
        mode=broker.mode,
    )

    def done(request: Ticket | None) -> None:
        if request is not None:
            submit(screen, session, request)

    screen.app.push_screen(ticket, done)
    return True


def ticket_for_symbol(screen: Screen[Any], session: TuiSession, symbol: str) -> bool:
    """A limit ticket at the last price (the order book's and the watchlist's `N`)."""
    last = last_price(session, symbol)
    price = number(float(f"{last:.8g}")) if last else ""  # eight significant figures, as a price is typed
    return open_ticket(screen, session, TicketDraft(symbol=symbol, price=price))


def take_setup(screen: Screen[Any], session: TuiSession, setup: Setup) -> bool:
    """The ticket filled from the setup: a bracket from its levels, sized by its risk and the guards."""
    limits = guard_limits(session.config.trading)
    return open_ticket(screen, session, draft_from_setup(setup, limits, guard_context(session, setup.symbol)))


def submit(screen: Screen[Any], session: TuiSession, request: OrderRequest | BracketRequest) -> None:
    """Place `request`; a live broker asks the trader first, through the dialog `attach_confirm` attached."""
    if session.broker is None:
        return
    attach_confirm(screen.app, session)
    _place(screen, session, request)


def attach_confirm(app: App[Any], session: TuiSession) -> bool:
    """Give a live broker the confirmation dialog (once per broker); True when one is attached now or before.

    The guarded live broker values each order at the book, checks the limits, then awaits this confirmation:
    the dialog shows the order at the price the guards valued it and answers with the trader's key.
    """
    broker = session.broker
    set_confirm = getattr(broker, "set_confirm", None)
    if broker is None or set_confirm is None:
        return False
    if broker in _CONFIRMING:
        return True
    quote = session.config.trading.quote

    async def confirm(request: OrderRequest, price: float) -> bool:
        from cryptoterm.tui.screens.confirm_order import ConfirmOrder

        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        def answered(send: bool | None) -> None:
            if not answer.done():
                answer.set_result(bool(send))

        app.push_screen(ConfirmOrder(request, price, broker.mode, quote), answered)
        send = await answer
        if not send:
            log.info("not sent: %s", describe_request(request))
        return send

    set_confirm(confirm)
    _CONFIRMING.add(broker)
    return True


def _place(screen: Screen[Any], session: TuiSession, request: OrderRequest | BracketRequest) -> None:
    broker = session.broker
    if broker is None:
        return
    entry = request.entry if isinstance(request, BracketRequest) else request
    app = screen.app

    async def place() -> None:
        try:
            if isinstance(request, BracketRequest):
                order = await broker.place_bracket(request)
            else:
                order = await broker.place(request)
        except OrderRejected as exc:
            log.warning("order refused: %s: %s", describe_request(entry), exc)
            app.notify(f"order refused: {exc}", severity="error", timeout=8)
            return
        log.info("%s order %s: %s, %s", broker.mode, order.id, describe_request(entry), order_state(order))
        app.notify(f"{order.id} {describe_request(entry)}: {order_state(order)}")

    app.run_worker(place(), name="place order", group="orders", exit_on_error=False)


def order_state(order: Order) -> str:
    if order.filled_qty > 0 and order.avg_fill_price is not None:
        return f"{order.status} {number(order.filled_qty)} @ {number(order.avg_fill_price)}"
    return order.status


def cancel_order(screen: Screen[Any], session: TuiSession, order_id: str) -> None:
    broker = session.broker
    if broker is None:
        return
    app = screen.app

    async def cancel() -> None:
        try:
            order = await broker.cancel(order_id)
        except OrderRejected as exc:
            app.notify(str(exc), severity="error")
            return
        app.notify(f"{order.id}: {order.status}")

    app.run_worker(cancel(), name="cancel order", group="orders", exit_on_error=False)


def cancel_all(screen: Screen[Any], session: TuiSession) -> None:
    broker = session.broker
    if broker is None:
        return
    app = screen.app

    async def cancel() -> None:
        ended = await broker.cancel_all()
        app.notify(f"cancelled {len(ended)} open order{'s' if len(ended) != 1 else ''}")

    app.run_worker(cancel(), name="cancel all", group="orders", exit_on_error=False)


def close_position(screen: Screen[Any], session: TuiSession, symbol: str, pair_id: str | None) -> None:
    broker = session.broker
    if broker is None:
        return
    app = screen.app

    async def close() -> None:
        try:
            order = await broker.close_position(symbol, pair_id)
        except OrderRejected as exc:
            app.notify(f"{symbol}: {exc}", severity="error")
            return
        app.notify(f"closed {symbol}: {order_state(order)}")

    attach_confirm(app, session)  # live: the broker asks before the closing order is sent
    app.run_worker(close(), name="close position", group="orders", exit_on_error=False)


def journal_entry(screen: Screen[Any], session: TuiSession, draft: Callable[[], JournalEntry]) -> bool:
    """Draft an entry (in a thread: it reads the store), then open the journal form over it."""
    journal = session.journal
    if journal is None:
        screen.notify("the journal opens once the market has started", severity="warning")
        return False
    app = screen.app

    def drafted() -> None:
        from cryptoterm.tui.screens.journal_form import JournalForm

        try:
            entry = draft()
        except JournalError as exc:
            app.call_from_thread(app.notify, str(exc), severity="error")
            return
        app.call_from_thread(app.push_screen, JournalForm(entry, journal))

    app.run_worker(drafted, name="journal draft", group="journal", thread=True, exit_on_error=False)
    return True
