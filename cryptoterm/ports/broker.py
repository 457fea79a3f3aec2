"""What the trading faces (order ticket, positions screen, kill switch, CLI) need from a broker — paper or live.

Both brokers keep the same promises: `place` returns the order as accepted or raises `OrderRejected` with one
line; a placement interrupted by the network is resolved by looking the request's `client_id` up, so an order is
never placed twice; `cancel_all` cancels every open order (the kill switch's first half, flattening the second).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from cryptoterm.domain.trading.orders import Balance, BracketRequest, Fill, Order, OrderRequest, Position, TradingMode


class Broker(Protocol):
    """An account that takes orders."""

    @property
    def mode(self) -> TradingMode: ...

    async def place(self, request: OrderRequest) -> Order:
        """The order as the broker accepted it; `OrderRejected` (one line) when refused."""
        ...

    async def place_bracket(self, bracket: BracketRequest) -> Order:
        """The entry order; its stop and targets follow its fills (`BracketRequest`)."""
        ...

    async def cancel(self, order_id: str) -> Order:
        """The order after cancelling; a final order is returned unchanged."""
        ...

    async def cancel_all(self, symbol: str | None = None) -> Sequence[Order]:
        """Every open order (of `symbol`) cancelled; returns them as they ended."""
        ...

    async def order_by_client_id(self, client_id: str) -> Order | None:
        """The order placed under `client_id`, or None when the broker never received it."""
        ...

    async def open_orders(self, symbol: str | None = None) -> Sequence[Order]: ...

    async def fills(self, symbol: str | None = None, since_ms: int | None = None) -> Sequence[Fill]: ...

    async def balances(self) -> Mapping[str, Balance]: ...

    async def positions(self) -> Sequence[Position]: ...
