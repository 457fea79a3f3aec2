"""A bracket's protective stop and targets, sized from what its entry filled and what they already took.

The rules:

* nothing is placed before the entry fills; after each entry fill the stop covers everything still held
  (entry filled − stop and targets filled) and target *i* covers its share of the entry filled, less what it
  already took, never more in total than what is held;
* a target fill shrinks the stop (the stop always covers what is left), and the stop is cancelled once the
  targets took everything (one cancels the other when flat); if more of the entry fills later, the stop and
  the targets' shares of it are placed again;
* a stop fill ends the bracket: the targets and the entry's unfilled rest are cancelled (the trade idea failed);
* a child the trader cancelled is not placed again.

Children are reduce-only orders with client ids derived from the bracket id (`<id>:stop`, `<id>:t1` …), so a
restart finds them again from the stored orders alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptoterm.domain.trading.guards import QTY_EPSILON
from cryptoterm.domain.trading.orders import BracketRequest, Order, OrderRequest, Side

STOP_ROLE = "stop"


@dataclass(frozen=True, slots=True)
class BracketPlan:
    """A bracket as the account keeps it: the entry's order id and client id, the stop and the targets."""

    bracket_id: str
    entry_order_id: str
    stop: float
    targets: tuple[tuple[float, float], ...]

    @classmethod
    def of(cls, bracket: BracketRequest, entry_order_id: str) -> BracketPlan:
        return cls(bracket_id_of(bracket.entry), entry_order_id, bracket.stop, bracket.targets)

    def roles(self) -> list[str]:
        return [STOP_ROLE, *(target_role(i) for i in range(len(self.targets)))]


def bracket_id_of(entry: OrderRequest) -> str:
    return entry.bracket_id or entry.client_id


def target_role(index: int) -> str:
    return f"t{index + 1}"


def child_client_id(bracket_id: str, role: str, generation: int = 1) -> str:
    """`<bracket>:<role>`, and `#<n>` for the n-th order of a role placed again after the position was flat."""
    base = f"{bracket_id}:{role}"
    return base if generation <= 1 else f"{base}#{generation}"


def role_of(bracket_id: str, client_id: str) -> str | None:
    """The role a child's client id names, or None when it is not a child of this bracket."""
    prefix = f"{bracket_id}:"
    if not client_id.startswith(prefix):
        return None
    return client_id[len(prefix) :].split("#", 1)[0]


def opposite(side: Side) -> Side:
    return "sell" if side == "buy" else "buy"


def child_request(plan: BracketPlan, entry: OrderRequest, role: str, qty: float, generation: int = 1) -> OrderRequest:
    """The reduce-only order of `role` (the stop or a target) for `qty`."""
    is_stop = role == STOP_ROLE
    price = None if is_stop else plan.targets[int(role[1:]) - 1][0]
    return OrderRequest(
        client_id=child_client_id(plan.bracket_id, role, generation),
        symbol=entry.symbol,
        side=opposite(entry.side),
        type="stop" if is_stop else "limit",
        qty=qty,
        price=price,
        stop_price=plan.stop if is_stop else None,
        reduce_only=True,
        bracket_id=plan.bracket_id,
        setup_id=entry.setup_id,
        pair_id=entry.pair_id,
    )


def live_child(orders: Sequence[Order]) -> Order | None:
    """The role's order that can still fill (the newest, when it is not final)."""
    return orders[-1] if orders and not orders[-1].is_final else None


def stop_filled(children: Mapping[str, Sequence[Order]]) -> bool:
    return any(order.filled_qty > QTY_EPSILON for order in children.get(STOP_ROLE, ()))


def desired_remaining(
    plan: BracketPlan, entry: Order, children: Mapping[str, Sequence[Order]], detached: frozenset[str] | set[str]
) -> dict[str, float]:
    """The unfilled quantity each role's live order should have now (see the module docstring). `children`
    holds every order each role had, oldest first (a role placed again after the position was flat has more
    than one); roles the trader cancelled (`detached`) are left out."""
    took = {role: sum(order.filled_qty for order in orders) for role, orders in children.items()}
    held = max(entry.filled_qty - sum(took.values()), 0.0)
    if stop_filled(children):
        return {role: 0.0 for role in plan.roles() if role not in detached}
    out: dict[str, float] = {}
    room = held
    for index, (_price, share) in enumerate(plan.targets):
        role = target_role(index)
        if role in detached:
            continue
        want = min(max(share * entry.filled_qty - took.get(role, 0.0), 0.0), room)
        out[role] = want if want > QTY_EPSILON else 0.0
        room -= out[role]
    if STOP_ROLE not in detached:
        out[STOP_ROLE] = held if held > QTY_EPSILON else 0.0
    return out


def bracket_finished(entry: Order, children: Mapping[str, Sequence[Order]]) -> bool:
    """Whether nothing of the bracket can fill any more: its stop filled, or the entry is final and every
    child is final."""
    if stop_filled(children):
        return all(order.is_final for orders in children.values() for order in orders)
    return entry.is_final and all(order.is_final for orders in children.values() for order in orders)
