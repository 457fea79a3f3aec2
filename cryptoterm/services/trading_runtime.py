"""What the engine and the screens need from the broker they run, beyond the `Broker` port.

The engine feeds it the market's trades, starts it once the market is open and closes it before the store; the
screens read a cheap, synchronous view of the account (on the engine's loop, where the broker lives) after each
`on_update` and with each market snapshot. The paper broker implements it; so must any broker the engine runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptoterm.domain.market import Trade
from cryptoterm.domain.trading.orders import Order, Position
from cryptoterm.ports.broker import Broker
from cryptoterm.services.pairs_trader import PairsTrader


@dataclass(frozen=True, slots=True)
class AccountView:
    """The account as the screens show it, marked at the last trades. `positions` pairs each position with its
    mark; amounts are in the account's quote asset."""

    ts: int
    quote: str
    equity: float
    cash: float
    free: float
    locked: float
    unrealized: float
    day_pnl: float
    positions: tuple[tuple[Position, float], ...]
    orders: tuple[Order, ...]


class EngineBroker(Broker, Protocol):
    """A broker the engine runs. `pairs` trades pairs positions on it (None where it cannot)."""

    pairs: PairsTrader | None

    def on_trades(self, trades: Sequence[Trade]) -> None:
        """The feed's trades, in order; called on the loop for every batch, so it must be cheap."""
        ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    def on_update(self, listener: Callable[[], None]) -> None:
        """Call `listener` on the loop after every change of orders or positions."""
        ...

    def view(self) -> AccountView: ...

    async def close_position(self, symbol: str, pair_id: str | None = None, client_id: str | None = None) -> Order:
        """Flatten one position with a reduce-only market order."""
        ...
