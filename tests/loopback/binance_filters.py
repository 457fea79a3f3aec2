"""A spot symbol's trading rules from the real exchangeInfo, checked as Binance checks a new order.

Every failure is `{"code": -1013, "msg": "Filter failure: NAME"}`, the exchange's own answer, in the order the
filters are listed for the symbol. Market orders are valued at the book's mid price (the exchange uses its
average price of the last `avgPriceMins`; the recorded snapshot is all the loopback knows of the market).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tests.loopback.binance_signing import ApiError

ZERO = Decimal(0)


@dataclass(frozen=True)
class SymbolRules:
    symbol: str
    base: str
    quote: str
    order_types: frozenset[str]
    filters: tuple[Mapping[str, Any], ...]

    @classmethod
    def of(cls, info: Mapping[str, Any]) -> SymbolRules:
        return cls(
            symbol=info["symbol"],
            base=info["baseAsset"],
            quote=info["quoteAsset"],
            order_types=frozenset(info["orderTypes"]),
            filters=tuple(info["filters"]),
        )


@dataclass(frozen=True)
class Book:
    """A recorded depth snapshot: bids high to low, asks low to high."""

    bids: tuple[tuple[Decimal, Decimal], ...]
    asks: tuple[tuple[Decimal, Decimal], ...]

    @classmethod
    def of(cls, raw: Mapping[str, Sequence[Sequence[str]]]) -> Book:
        return cls(
            tuple((Decimal(p), Decimal(q)) for p, q in raw["bids"]),
            tuple((Decimal(p), Decimal(q)) for p, q in raw["asks"]),
        )

    @property
    def best_bid(self) -> Decimal:
        return self.bids[0][0]

    @property
    def best_ask(self) -> Decimal:
        return self.asks[0][0]

    @property
    def mid(self) -> Decimal:
        return (self.best_bid + self.best_ask) / 2

    def walk(self, side: str, qty: Decimal, limit: Decimal | None) -> list[tuple[Decimal, Decimal]]:
        """The (price, quantity) levels an order of `qty` takes, up to its limit price."""
        levels = self.asks if side == "BUY" else self.bids
        taken: list[tuple[Decimal, Decimal]] = []
        left = qty
        for price, size in levels:
            if left <= 0 or (limit is not None and (price > limit if side == "BUY" else price < limit)):
                break
            take = min(size, left)
            taken.append((price, take))
            left -= take
        return taken


def check_filters(
    rules: SymbolRules,
    type_: str,
    qty: Decimal,
    price: Decimal,
    stop: Decimal,
    book: Book | None,
    open_orders: Iterable[Any],
) -> None:
    """Raise the exchange's -1013 for the first filter the order fails."""
    market = type_ == "MARKET"
    value_price = price if not market else (book.mid if book is not None else ZERO)
    open_list = list(open_orders)
    for spec in rules.filters:
        kind = spec["filterType"]
        if kind == "PRICE_FILTER" and not all(_price_ok(spec, p) for p in (price, stop) if p > 0):
            raise _failure(kind)
        if kind == "PERCENT_PRICE" and price > 0 and book is not None:
            up, down = Decimal(spec["multiplierUp"]), Decimal(spec["multiplierDown"])
            if not (book.mid * down <= price <= book.mid * up):
                raise _failure(kind)
        if kind == "LOT_SIZE" and not _step_ok(spec, qty):
            raise _failure(kind)
        if kind == "MARKET_LOT_SIZE" and market and not _step_ok(spec, qty):
            raise _failure(kind)
        applies = not market or spec.get("applyToMarket", True)
        if kind == "MIN_NOTIONAL" and applies and 0 < value_price * qty < Decimal(spec["minNotional"]):
            raise _failure(kind)
        if kind == "NOTIONAL" and value_price > 0:
            notional = value_price * qty
            if (not market or spec.get("applyMinToMarket", True)) and notional < Decimal(spec["minNotional"]):
                raise _failure(kind)
            if (not market or spec.get("applyMaxToMarket", False)) and notional > Decimal(spec["maxNotional"]):
                raise _failure(kind)
        if kind == "MAX_NUM_ORDERS" and len(open_list) >= int(spec["maxNumOrders"]):
            raise _failure(kind)
        algos = sum(1 for o in open_list if o.stop_price > 0)
        if kind == "MAX_NUM_ALGO_ORDERS" and stop > 0 and algos >= int(spec["maxNumAlgoOrders"]):
            raise _failure(kind)


def _failure(kind: str) -> ApiError:
    return ApiError(-1013, f"Filter failure: {kind}")


def _price_ok(spec: Mapping[str, Any], price: Decimal) -> bool:
    low, high, tick = Decimal(spec["minPrice"]), Decimal(spec["maxPrice"]), Decimal(spec["tickSize"])
    if (low > 0 and price < low) or (high > 0 and price > high):
        return False
    return tick == 0 or (price - low) % tick == 0


def _step_ok(spec: Mapping[str, Any], qty: Decimal) -> bool:
    low, high, step = Decimal(spec["minQty"]), Decimal(spec["maxQty"]), Decimal(spec["stepSize"])
    if qty < low or (high > 0 and qty > high):
        return False
    return step == 0 or (qty - low) % step == 0
