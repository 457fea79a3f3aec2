"""The live brackets of an account: each one's plan, its entry and every order its roles had.

The account tells the book about every order version it stores (`track`) and asks it to `reconcile` a bracket
after any of its orders changed; the book works out the children (`brackets`) and acts through the account's
`OrderDesk` (place, cancel, amend), so there is one path by which orders change.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from cryptoterm.domain.trading import brackets as bk
from cryptoterm.domain.trading.guards import QTY_EPSILON
from cryptoterm.domain.trading.orders import Order, OrderRequest, OrderStatus


class OrderDesk(Protocol):
    """What a bracket needs from its account to act on its children."""

    def new_order(self, request: OrderRequest, now_ms: int) -> Order: ...

    def finish(self, order: Order, status: OrderStatus, reason: str, now_ms: int) -> Order: ...

    def store(self, order: Order) -> None: ...


class BracketBook:
    """See the module docstring."""

    def __init__(self) -> None:
        self.plans: dict[str, bk.BracketPlan] = {}
        self._entries: dict[str, Order] = {}
        #: bracket id → role → every order that role had (by id, oldest first).
        self._children: dict[str, dict[str, dict[str, Order]]] = {}
        self._detached: dict[str, set[str]] = {}
        self._busy: set[str] = set()

    def add(self, plan: bk.BracketPlan, entry: Order | None = None) -> None:
        self.plans[plan.bracket_id] = plan
        self._children.setdefault(plan.bracket_id, {})
        if entry is not None:
            self._entries[plan.bracket_id] = entry

    def is_entry(self, order: Order) -> bool:
        plan = self.plans.get(order.request.bracket_id or order.request.client_id)
        return plan is not None and plan.entry_order_id == order.id

    def track(self, order: Order) -> None:
        """Remember the newest version of one of a live bracket's orders (others are ignored)."""
        request = order.request
        bracket_id = request.bracket_id or request.client_id
        plan = self.plans.get(bracket_id)
        if plan is None:
            return
        if order.id == plan.entry_order_id:
            self._entries[bracket_id] = order
            return
        role = bk.role_of(bracket_id, request.client_id)
        if role is not None:
            self._children[bracket_id].setdefault(role, {})[order.id] = order

    def detach(self, order: Order) -> None:
        """The trader cancelled one of the children: its role is not placed again."""
        bracket_id = order.request.bracket_id
        if bracket_id is None or bracket_id not in self.plans or self.is_entry(order):
            return
        role = bk.role_of(bracket_id, order.request.client_id)
        if role is not None:
            self._detached.setdefault(bracket_id, set()).add(role)

    def reconcile(self, bracket_id: str, desk: OrderDesk, now_ms: int) -> None:
        """Bring a bracket's children in line with what its entry filled and they took (`brackets`)."""
        plan = self.plans.get(bracket_id)
        entry = self._entries.get(bracket_id)
        if plan is None or entry is None or bracket_id in self._busy:
            return
        self._busy.add(bracket_id)
        try:
            self._reconcile_children(plan, entry, desk, now_ms)
            children = self.role_orders(bracket_id)
            entry = self._entries[bracket_id]
            if bk.stop_filled(children) and not entry.is_final:
                entry = desk.finish(entry, "cancelled", "bracket: the stop filled", now_ms)
        finally:
            self._busy.discard(bracket_id)
        if bk.bracket_finished(entry, self.role_orders(bracket_id)):
            for table in (self.plans, self._entries, self._children, self._detached):
                table.pop(bracket_id, None)

    def _reconcile_children(self, plan: bk.BracketPlan, entry: Order, desk: OrderDesk, now_ms: int) -> None:
        bracket_id = plan.bracket_id
        children = self.role_orders(bracket_id)
        detached = self._detached.get(bracket_id, set())
        for role, remaining in bk.desired_remaining(plan, entry, children, detached).items():
            orders = children.get(role, [])
            live = bk.live_child(orders)
            if live is None:
                if remaining > QTY_EPSILON:
                    desk.new_order(bk.child_request(plan, entry.request, role, remaining, len(orders) + 1), now_ms)
            elif remaining <= QTY_EPSILON:
                reason = "bracket: the stop filled" if bk.stop_filled(children) else "bracket: the position is flat"
                desk.finish(live, "cancelled", reason, now_ms)
            elif abs(live.remaining_qty - remaining) > QTY_EPSILON:
                request = replace(live.request, qty=live.filled_qty + remaining)
                desk.store(replace(live, request=request, updated_ms=now_ms))

    def role_orders(self, bracket_id: str) -> dict[str, list[Order]]:
        return {role: list(orders.values()) for role, orders in self._children.get(bracket_id, {}).items()}
