"""The orders, OCO lists, trades and locks of the loopback spot account, and the rules that read their
parameters (names and messages as Binance answers them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from tests.loopback.binance_filters import Book
from tests.loopback.binance_signing import ApiError, mandatory

ZERO = Decimal(0)


@dataclass
class Lock:
    """Funds an order (or both legs of an OCO) holds: `amount` of `asset`, `per_unit` of it per base unit."""

    asset: str
    amount: Decimal
    per_unit: Decimal


@dataclass
class SpotOrder:
    symbol: str
    order_id: int
    client_id: str
    side: str
    type: str
    time_in_force: str
    price: Decimal
    orig_qty: Decimal
    stop_price: Decimal
    time: int
    lock: Lock
    order_list_id: int = -1
    executed: Decimal = ZERO
    quote_qty: Decimal = ZERO
    status: str = "NEW"
    update_time: int = 0
    working: bool = True

    @property
    def is_open(self) -> bool:
        return self.status in ("NEW", "PARTIALLY_FILLED")

    @property
    def remaining(self) -> Decimal:
        return self.orig_qty - self.executed


@dataclass
class OrderList:
    order_list_id: int
    client_id: str
    symbol: str
    orders: list[SpotOrder]
    time: int
    status: str = "EXECUTING"


@dataclass
class Trade:
    symbol: str
    id: int
    order: SpotOrder
    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str
    time: int
    maker: bool


def side_of(params: Mapping[str, str]) -> str:
    side = params.get("side", "")
    if not side:
        raise mandatory("side")
    if side not in ("BUY", "SELL"):
        raise ApiError(-1117, "Invalid side.")
    return side


def decimal_param(params: Mapping[str, str], name: str) -> Decimal:
    text = params.get(name, "")
    if not text:
        raise mandatory(name)
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value <= 0:
        raise ApiError(
            -1100,
            f"Illegal characters found in parameter '{name}'; legal range is '^([0-9]{{1,20}})(\\.[0-9]{{1,20}})?$'.",
        )
    return value


def triggers(type_: str, side: str, stop: Decimal, price: Decimal) -> bool:
    """Whether a trade at `price` triggers a stop: a stop-loss buys as the price rises to it and sells as it falls
    to it; a take-profit the other way round."""
    rising = price >= stop
    falling = price <= stop
    if type_.startswith("STOP"):
        return rising if side == "BUY" else falling
    return falling if side == "BUY" else rising


def crosses(side: str, price: Decimal, book: Book) -> bool:
    return price >= book.best_ask if side == "BUY" else price <= book.best_bid
