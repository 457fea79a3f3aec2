"""Where a broker's account is kept between runs: orders, fills, positions, equity history (`adapters.store`).

The paper broker writes what each market step changed (`Changes`) without waiting for the disk (the store's one
writer batches it, in order) and reads its state back once, at start; screens and commands read the history.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Protocol

from cryptoterm.domain.trading.brackets import BracketPlan
from cryptoterm.domain.trading.orders import Fill, Order, Position
from cryptoterm.domain.trading.pair_trade import PairSpec, PairStatus
from cryptoterm.domain.trading.paper_account import Changes
from cryptoterm.domain.trading.positions import position_key


@dataclass(frozen=True, slots=True)
class EquitySample:
    """The account's value at `ts`: cash plus what is held at the marks; `unrealized` is the held part's profit."""

    ts: int
    equity: float
    cash: float
    unrealized: float


@dataclass(frozen=True, slots=True)
class PositionRecord:
    """A position's life as stored: the position as the last fill left it, and when that fill closed it."""

    position: Position
    closed_ms: int | None
    updated_ms: int

    @property
    def key(self) -> str:
        return position_key(self.position)


@dataclass(frozen=True, slots=True)
class StoredAccount:
    """What a broker needs back at start. `orders` holds the open orders and every order of a live bracket,
    oldest first; `last` is the newest equity sample (None for a new account) — its time is when the account
    last saw the market, its cash the cash then; `day_start` the first sample of that sample's UTC day."""

    positions: Sequence[Position] = ()
    orders: Sequence[Order] = ()
    plans: Sequence[BracketPlan] = ()
    triggered: Sequence[str] = ()
    last: EquitySample | None = None
    day_start: EquitySample | None = None
    last_order_number: int = 0
    marks: dict[str, float] = field(default_factory=dict)


class TradingStore(Protocol):
    """The `orders`, `fills`, `positions` and `equity` tables of one database."""

    def load_account(self, account: str) -> StoredAccount: ...

    def submit_changes(self, account: str, changes: Changes, sample: EquitySample | None = None) -> Future[None]:
        """Queue what one step changed (and an equity sample) as one transaction; returns at once, with the
        future of its commit (reads that must see it wait for that)."""
        ...

    def submit_equity(self, account: str, sample: EquitySample) -> Future[None]: ...

    def reset_account(self, account: str) -> None:
        """Forget every order, fill, position and sample of `account` (waits for the write)."""
        ...

    def orders(self, account: str, *, open_only: bool = False, limit: int = 500) -> list[Order]:
        """Newest first."""
        ...

    def order_by_client_id(self, account: str, client_id: str) -> Order | None: ...

    def order_by_id(self, account: str, order_id: str) -> Order | None: ...

    def fills(
        self, account: str, symbol: str | None = None, since_ms: int | None = None, limit: int = 1000
    ) -> list[Fill]:
        """Oldest first (the newest `limit`)."""
        ...

    def positions(self, account: str, *, open_only: bool = True, limit: int = 500) -> list[PositionRecord]:
        """Open positions, or every position's life newest first."""
        ...

    def equity_history(self, account: str, since_ms: int | None = None, limit: int = 10_000) -> list[EquitySample]:
        """Oldest first (the newest `limit`)."""
        ...

    def accounts(self) -> list[str]:
        """Every account with a stored order or sample."""
        ...


class PairPositionStore(Protocol):
    """The `pair_positions` table: each pairs position's spec and where its bot stands."""

    def pair_positions(self, account: str, *, active_only: bool = True) -> list[tuple[PairSpec, PairStatus]]:
        """Oldest first; `active_only` leaves out the ones closed for good."""
        ...

    def save_pair(self, account: str, spec: PairSpec, status: PairStatus, created_ms: int) -> Future[None]:
        """Insert or update (returns at once, with the future of the commit)."""
        ...
