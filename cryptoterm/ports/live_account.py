"""What the live trading service needs from an exchange account beyond the `Broker` port.

The guards value an order at the market and count the day's loss; on an exchange both come from the exchange
itself (its book, its daily candle, the account's trades), so the live adapter answers them. Brackets on an
exchange are followed by the adapter too: their protective orders go in once the entry has filled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptoterm.domain.trading.orders import Order
from cryptoterm.ports.broker import Broker


@dataclass(frozen=True, slots=True)
class Quote:
    """The touch of a symbol's book and its last price (None when the exchange has none)."""

    symbol: str
    bid: float | None
    ask: float | None
    last: float | None


class LiveAccount(Protocol):
    async def quote(self, symbol: str) -> Quote:
        """The symbol's best bid and ask now (`OrderRejected` when the exchange cannot say)."""
        ...

    async def day_pnl(self, day_start_ms: int) -> float:
        """The account's profit since `day_start_ms` (00:00 UTC), marked to market."""
        ...

    async def follow_brackets(self) -> Sequence[Order]:
        """Place the protective orders of every bracket whose entry has filled; returns the orders placed."""
        ...

    async def close(self) -> None: ...


class LiveExchange(Broker, LiveAccount, Protocol):
    """A live exchange account: a broker that can also quote, count the day and follow brackets."""
