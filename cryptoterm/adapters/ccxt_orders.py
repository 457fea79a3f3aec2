"""Orders and trades between the project's model and ccxt's Binance spot structures, both ways.

Out: an `OrderRequest` becomes `create_order` arguments as Binance spot takes them — `market`; `limit` (GTC);
`stop_limit` as STOP_LOSS_LIMIT (a buy triggers as the price rises to the stop, a sell as it falls to it: the
same trigger as a paper stop); `stop` as STOP_LOSS where the symbol lists that type (many spot symbols do not:
the refusal says to use a stop-limit). The request's `client_id` is the `newClientOrderId`. Quantities and
prices must already sit on the symbol's lot step and tick: ccxt would silently truncate or round them, so an
order would differ from the one confirmed; it is refused here instead, naming the step.

In: ccxt orders and trades become `Order`, `Fill` and `SpotTrade`. Binance's own status (`info.status`) decides
the order status; fees are valued in the quote asset (a base-asset fee at the trade's price; a fee in a third
asset such as BNB cannot be valued here and counts as 0 — the account pays it outside the symbol's books).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from cryptoterm.adapters.ccxt_client import num
from cryptoterm.domain.trading.order_text import describe_request, number
from cryptoterm.domain.trading.orders import Fill, Order, OrderRejected, OrderRequest, OrderStatus, OrderType
from cryptoterm.domain.trading.spot_ledger import SpotTrade

#: Binance's client order id alphabet and length.
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,36}$")
_BINANCE_STATUS: Mapping[str, OrderStatus] = {
    "NEW": "open",
    "PENDING_NEW": "pending",
    "PARTIALLY_FILLED": "partially_filled",
    "FILLED": "filled",
    "CANCELED": "cancelled",
    "PENDING_CANCEL": "open",
    "REJECTED": "rejected",
    "EXPIRED": "expired",
    "EXPIRED_IN_MATCH": "expired",
}
_CCXT_STATUS: Mapping[str, OrderStatus] = {
    "open": "open",
    "closed": "filled",
    "canceled": "cancelled",
    "expired": "expired",
    "rejected": "rejected",
}
_BINANCE_TYPE: Mapping[str, OrderType] = {
    "LIMIT": "limit",
    "LIMIT_MAKER": "limit",
    "MARKET": "market",
    "STOP_LOSS": "stop",
    "TAKE_PROFIT": "stop",
    "STOP_LOSS_LIMIT": "stop_limit",
    "TAKE_PROFIT_LIMIT": "stop_limit",
}
_REASONS = {"expired": "expired on the exchange (nothing left to fill it)", "rejected": "rejected by the exchange"}


def create_order_arguments(
    request: OrderRequest, market: Mapping[str, Any], exchange: Any
) -> tuple[str, str, float, float | None, dict[str, Any]]:
    """(type, side, amount, price, params) for `exchange.create_order(symbol, …)`; `OrderRejected` when Binance
    spot cannot take the request as asked."""
    what = describe_request(request)
    if not CLIENT_ID.match(request.client_id):
        raise OrderRejected(f"{what}: client id {request.client_id!r} must be 1 to 36 letters, digits, '-' or '_'")
    qty = on_lot_step(request, market, exchange)
    price = on_tick(request, request.price, market, exchange) if request.price is not None else None
    params: dict[str, Any] = {"newClientOrderId": request.client_id}
    if request.stop_price is not None:
        params["stopPrice"] = on_tick(request, request.stop_price, market, exchange)
    order_types = set(market.get("info", {}).get("orderTypes", ()))
    if request.type == "market":
        return "market", request.side, qty, None, params
    if request.type == "limit":
        return "limit", request.side, qty, price, params | {"timeInForce": "GTC"}
    if request.type == "stop_limit":
        return "STOP_LOSS_LIMIT", request.side, qty, price, params | {"timeInForce": "GTC"}
    if "STOP_LOSS" not in order_types:
        listed = ", ".join(sorted(order_types)) or "none listed"
        raise OrderRejected(
            f"{what}: {request.symbol} takes no stop (market) orders on this exchange; use a stop-limit "
            f"(its order types: {listed})"
        )
    return "STOP_LOSS", request.side, qty, None, params


def on_lot_step(request: OrderRequest, market: Mapping[str, Any], exchange: Any) -> float:
    """The quantity, which must already be a multiple of the symbol's lot step."""
    step = market.get("precision", {}).get("amount")
    try:
        rounded = float(exchange.amount_to_precision(market["symbol"], request.qty))
    except Exception:  # ccxt's InvalidOrder: below one step
        rounded = 0.0
    if rounded <= 0 or not math.isclose(rounded, request.qty, rel_tol=1e-9, abs_tol=0.0):
        below = f" (the nearest below is {number(rounded)})" if rounded > 0 else ""
        raise OrderRejected(
            f"{describe_request(request)}: the quantity must be a multiple of {request.symbol}'s lot step "
            f"{number(float(step)) if step else '?'}{below}"
        )
    return rounded


def on_tick(request: OrderRequest, price: float, market: Mapping[str, Any], exchange: Any) -> float:
    """A price of the request, which must already sit on the symbol's tick."""
    tick = market.get("precision", {}).get("price")
    try:
        rounded = float(exchange.price_to_precision(market["symbol"], price))
    except Exception:  # ccxt's InvalidOrder: below one tick
        rounded = 0.0
    if rounded <= 0 or not math.isclose(rounded, price, rel_tol=1e-12, abs_tol=0.0):
        raise OrderRejected(
            f"{describe_request(request)}: the price {number(price)} is not on {request.symbol}'s tick "
            f"{number(float(tick)) if tick else '?'}"
        )
    return rounded


def status_of(raw: Mapping[str, Any]) -> OrderStatus:
    info = raw.get("info") or {}
    status = _BINANCE_STATUS.get(str(info.get("status", "")))
    if status is None:
        status = _CCXT_STATUS.get(str(raw.get("status", "")), "open")
    if status == "open" and (raw.get("filled") or 0) > 0:
        return "partially_filled"
    return status


def request_from_ccxt(raw: Mapping[str, Any], symbol: str) -> OrderRequest:
    """The request behind an order this process did not place (found on the exchange)."""
    info = raw.get("info") or {}
    order_type = _BINANCE_TYPE.get(str(info.get("type", "")).upper(), "limit")
    price = raw.get("price") if order_type in ("limit", "stop_limit") else None
    stop = raw.get("triggerPrice") or raw.get("stopPrice") if order_type in ("stop", "stop_limit") else None
    return OrderRequest(
        # A cancel's answer names the cancel request `clientOrderId`; the order's own is `origClientOrderId`.
        client_id=str(info.get("origClientOrderId") or raw.get("clientOrderId") or raw.get("id")),
        symbol=symbol,
        side="sell" if raw.get("side") == "sell" else "buy",
        type=order_type,
        qty=float(raw.get("amount") or 0.0),
        price=float(price) if price else None,
        stop_price=float(stop) if stop else None,
    )


def fee_in_quote(fees: Sequence[Mapping[str, Any]] | None, market: Mapping[str, Any], price: float | None) -> float:
    """Fees valued in the quote asset (a base-asset fee at `price`; other assets count 0, see the module)."""
    total = 0.0
    for fee in fees or ():
        cost = fee.get("cost")
        if cost is None:
            continue
        if fee.get("currency") == market.get("quote"):
            total += float(cost)
        elif fee.get("currency") == market.get("base") and price is not None and math.isfinite(price):
            total += float(cost) * price
    return total


def order_from_ccxt(
    raw: Mapping[str, Any], market: Mapping[str, Any], symbol: str, request: OrderRequest | None, now_ms: int
) -> Order:
    """The project's order from a ccxt order (`request` when this process placed it)."""
    status = status_of(raw)
    average = raw.get("average")
    avg_price = float(average) if average else None
    created = int(raw.get("timestamp") or now_ms)
    updated = int(raw.get("lastUpdateTimestamp") or raw.get("lastTradeTimestamp") or created)
    fees = raw.get("fees") or ([raw["fee"]] if raw.get("fee") else [])
    return Order(
        id=str(raw.get("id")),
        request=request if request is not None else request_from_ccxt(raw, symbol),
        status=status,
        mode="live",
        created_ms=created,
        updated_ms=updated,
        filled_qty=float(raw.get("filled") or 0.0),
        avg_fill_price=avg_price,
        fees=fee_in_quote(fees, market, avg_price),
        reason=_REASONS.get(status),
    )


def spot_trade_from_ccxt(raw: Mapping[str, Any], market: Mapping[str, Any]) -> SpotTrade:
    price = num(raw.get("price"))
    quote_fee = base_fee = 0.0
    for fee in raw.get("fees") or ([raw["fee"]] if raw.get("fee") else []):
        cost = float(fee.get("cost") or 0.0)
        if fee.get("currency") == market.get("quote"):
            quote_fee += cost
        elif fee.get("currency") == market.get("base"):
            base_fee += cost
    return SpotTrade(
        side="sell" if raw.get("side") == "sell" else "buy",
        qty=float(raw.get("amount") or 0.0),
        price=price,
        time_ms=int(raw.get("timestamp") or 0),
        quote_fee=quote_fee,
        base_fee=base_fee,
    )


def fill_from_ccxt(raw: Mapping[str, Any], market: Mapping[str, Any], symbol: str) -> Fill:
    trade = spot_trade_from_ccxt(raw, market)
    return Fill(
        order_id=str(raw.get("order")),
        symbol=symbol,
        side=trade.side,
        qty=trade.qty,
        price=trade.price,
        fee=trade.fee_in_quote,
        time_ms=trade.time_ms,
        liquidity="maker" if raw.get("takerOrMaker") == "maker" else "taker",
        trade_id=str(raw.get("id")) if raw.get("id") is not None else None,
    )
