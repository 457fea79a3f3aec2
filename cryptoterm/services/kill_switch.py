"""The kill switch: cancel every open order, then flatten every position — on paper or live, through the same
`Broker` port.

Cancelling comes first so no resting order can fill (or, on spot, keep coins locked) while the positions close.
Each position is then closed by a reduce-only market order for its whole quantity (a short is bought back); a
reduce-only order passes every guard, since closing risk is never refused. Every step is attempted even after
another failed, and the report says what was done, what failed (one line each) and what is still open or held,
read back from the broker afterwards. Live, flatten through `GuardedLiveBroker.with_confirm(already_confirmed)`:
the trader confirmed the kill switch as a whole, not each of its orders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from cryptoterm.domain.trading.guards import QTY_EPSILON
from cryptoterm.domain.trading.order_text import number
from cryptoterm.domain.trading.orders import Order, OrderRejected, OrderRequest, Position, TradingMode
from cryptoterm.ports.broker import Broker


class ClosableBroker(Broker, Protocol):
    """A broker opened for one run of the kill switch (the command closes it when done)."""

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class KillSwitchPlan:
    """What the kill switch would do now: the open orders it cancels and the positions it flattens."""

    mode: TradingMode
    orders: tuple[Order, ...]
    positions: tuple[Position, ...]

    @property
    def empty(self) -> bool:
        return not self.orders and not self.positions

    def describe(self) -> str:
        """One line for a confirmation: "cancel 2 open orders and flatten 1 position (BTC/USDT 0.02)"."""
        orders = f"{len(self.orders)} open order{'s' * (len(self.orders) != 1)}"
        held = ", ".join(f"{p.symbol} {number(p.qty)}" for p in self.positions)
        positions = f"{len(self.positions)} position{'s' * (len(self.positions) != 1)}"
        return f"cancel {orders} and flatten {positions}" + (f" ({held})" if held else "")


@dataclass(frozen=True, slots=True)
class KillSwitchReport:
    """What the kill switch did: orders cancelled, flattening orders placed, failures (one line each), and what
    was still open or held when it finished."""

    mode: TradingMode
    cancelled: tuple[Order, ...]
    flattened: tuple[Order, ...]
    failures: tuple[str, ...]
    still_open: tuple[Order, ...]
    still_held: tuple[Position, ...]

    @property
    def ok(self) -> bool:
        """Nothing failed and no order is left open."""
        return not self.failures and not self.still_open


def _holding(positions: tuple[Position, ...] | list[Position]) -> tuple[Position, ...]:
    return tuple(p for p in positions if abs(p.qty) > QTY_EPSILON)


async def kill_switch_plan(broker: Broker) -> KillSwitchPlan:
    """The open orders and the positions as they stand (for the confirmation)."""
    return KillSwitchPlan(broker.mode, tuple(await broker.open_orders()), _holding(list(await broker.positions())))


async def run_kill_switch(broker: Broker, *, now_ms: Callable[[], int]) -> KillSwitchReport:
    """Cancel everything open, flatten everything held, and report."""
    failures: list[str] = []
    cancelled: tuple[Order, ...] = ()
    try:
        cancelled = tuple(await broker.cancel_all())
    except OrderRejected as exc:
        failures.append(f"cancelling open orders: {exc}")
    flattened: list[Order] = []
    try:
        positions = _holding(list(await broker.positions()))
    except OrderRejected as exc:
        failures.append(f"reading positions: {exc}")
        positions = ()
    stamp = now_ms()
    for index, position in enumerate(positions, start=1):
        request = OrderRequest(
            client_id=f"kill-{stamp}-{index}",
            symbol=position.symbol,
            side="sell" if position.qty > 0 else "buy",
            type="market",
            qty=abs(position.qty),
            reduce_only=True,
        )
        try:
            flattened.append(await broker.place(request))
        except OrderRejected as exc:
            failures.append(f"flattening {position.symbol} {number(position.qty)}: {exc}")
    still_open: tuple[Order, ...] = ()
    still_held: tuple[Position, ...] = ()
    try:
        still_open = tuple(await broker.open_orders())
        still_held = _holding(list(await broker.positions()))
    except OrderRejected as exc:
        failures.append(f"reading the account back: {exc}")
    return KillSwitchReport(broker.mode, cancelled, tuple(flattened), tuple(failures), still_open, still_held)
