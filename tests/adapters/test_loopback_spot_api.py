"""The loopback exchange's signed spot endpoints, spoken to without ccxt: Binance's signature and timestamp rules,
its filters and error bodies, the account's balances, and the market knob that fills resting orders."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.loopback.binance_signing import sign_params
from tests.loopback.binance_spot_api import LoopbackSpotExchange

KEY, SECRET = "loopback-key-1", "loopback-secret-1"


@pytest.fixture
async def exchange(shared_data: Path) -> AsyncIterator[LoopbackSpotExchange]:
    async with LoopbackSpotExchange(shared_data, {KEY: SECRET}) as ex:
        ex.account.deposit("USDT", "10000")
        yield ex


def now_ms() -> int:
    return int(time.time() * 1000)


async def call(
    ex: LoopbackSpotExchange,
    method: str,
    path: str,
    params: dict[str, Any],
    *,
    secret: str = SECRET,
    key: str | None = KEY,
    in_body: bool = False,
    tamper: str = "",
) -> tuple[int, Any]:
    signed = sign_params({**params, "timestamp": params.get("timestamp", now_ms())}, secret)
    if tamper:
        signed = signed.replace(tamper, tamper + "0", 1)
    headers = {"X-MBX-APIKEY": key} if key is not None else {}
    url = f"{ex.url}{path}"
    async with aiohttp.ClientSession() as http:
        if in_body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            response = await http.request(method, url, data=signed, headers=headers)
        else:
            response = await http.request(method, f"{url}?{signed}", headers=headers)
        async with response:
            return response.status, await response.json()


def limit(qty: str = "0.01000", price: str = "60000.00", **extra: str) -> dict[str, Any]:
    return {
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": qty,
        "price": price,
    } | extra


async def test_a_signed_order_in_the_body_is_accepted_and_locks_the_quote(exchange: LoopbackSpotExchange) -> None:
    status, body = await call(exchange, "POST", "/api/v3/order", limit(newClientOrderId="a1"), in_body=True)
    assert status == 200, body
    assert body["status"] == "NEW" and body["clientOrderId"] == "a1"
    assert exchange.account.locked("USDT") == 600


@pytest.mark.parametrize(
    ("secret", "tamper", "in_body"),
    [("not-the-secret", "", True), (SECRET, "quantity=0.01", True), (SECRET, "quantity=0.01", False)],
    ids=["wrong-secret", "body-changed-after-signing", "query-changed-after-signing"],
)
async def test_a_bad_signature_is_refused_and_places_nothing(
    exchange: LoopbackSpotExchange, secret: str, tamper: str, in_body: bool
) -> None:
    status, body = await call(exchange, "POST", "/api/v3/order", limit(), secret=secret, tamper=tamper, in_body=in_body)
    assert (status, body) == (400, {"code": -1022, "msg": "Signature for this request is not valid."})
    assert exchange.account.orders == []


async def test_keys_are_checked_before_anything_else(exchange: LoopbackSpotExchange) -> None:
    assert await call(exchange, "GET", "/api/v3/account", {}, key=None) == (
        401,
        {"code": -2014, "msg": "API-key format invalid."},
    )
    assert await call(exchange, "GET", "/api/v3/account", {}, key="someone-else") == (
        401,
        {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."},
    )


async def test_a_request_outside_its_receive_window_is_refused(exchange: LoopbackSpotExchange) -> None:
    stale = {"timestamp": now_ms() - 60_000, "recvWindow": 5000}
    assert await call(exchange, "GET", "/api/v3/account", stale) == (
        400,
        {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."},
    )


@pytest.mark.parametrize(
    ("order", "message"),
    [
        (limit(qty="0.000015"), "Filter failure: LOT_SIZE"),
        (limit(price="60000.005"), "Filter failure: PRICE_FILTER"),
        (limit(qty="0.00010"), "Filter failure: MIN_NOTIONAL"),
        (limit(price="500000.00"), "Filter failure: PERCENT_PRICE"),
    ],
)
async def test_filter_failures_are_the_exchanges_answers(
    exchange: LoopbackSpotExchange, order: dict[str, Any], message: str
) -> None:
    assert await call(exchange, "POST", "/api/v3/order", order) == (400, {"code": -1013, "msg": message})


async def test_balance_duplicates_and_unknown_orders(exchange: LoopbackSpotExchange) -> None:
    insufficient = {"code": -2010, "msg": "Account has insufficient balance for requested action."}
    assert await call(exchange, "POST", "/api/v3/order", limit(qty="1.00000")) == (400, insufficient)
    assert (await call(exchange, "POST", "/api/v3/order", limit(newClientOrderId="same")))[0] == 200
    duplicate = (400, {"code": -2010, "msg": "Duplicate order sent."})
    assert await call(exchange, "POST", "/api/v3/order", limit(newClientOrderId="same")) == duplicate
    missing = (400, {"code": -2013, "msg": "Order does not exist."})
    assert await call(exchange, "GET", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "nope"}) == missing
    unknown = (400, {"code": -2011, "msg": "Unknown order sent."})
    assert await call(exchange, "DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": "42"}) == unknown


async def test_a_market_buy_walks_the_real_book_and_pays_commission_in_the_coin(exchange: LoopbackSpotExchange) -> None:
    exchange.account.deposit("USDT", "190000")
    order = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "2.00000"}
    status, body = await call(exchange, "POST", "/api/v3/order", order)
    assert status == 200 and body["status"] == "FILLED"
    prices = [float(f["price"]) for f in body["fills"]]
    assert prices[0] == 61837.64 and prices == sorted(prices) and len(prices) > 1  # the recorded asks, level by level
    assert float(exchange.account.free("BTC")) == pytest.approx(2 * 0.999)
    cost = sum(float(f["price"]) * float(f["qty"]) for f in body["fills"])
    assert float(exchange.account.free("USDT")) == pytest.approx(200_000 - cost)


async def test_a_trade_through_a_resting_order_fills_it_and_the_oco_partner_expires(
    exchange: LoopbackSpotExchange,
) -> None:
    exchange.account.deposit("BTC", "0.02")
    oco = {
        "symbol": "BTCUSDT",
        "side": "SELL",
        "quantity": "0.01000",
        "aboveType": "LIMIT_MAKER",
        "abovePrice": "64000.00",
        "belowType": "STOP_LOSS_LIMIT",
        "belowStopPrice": "60000.00",
        "belowPrice": "59700.00",
        "belowTimeInForce": "GTC",
    }
    status, body = await call(exchange, "POST", "/api/v3/orderList/oco", oco, in_body=True)
    assert status == 200, body
    assert float(exchange.account.locked("BTC")) == pytest.approx(0.01)  # one lock for both legs
    take, stop = exchange.account.lists[0].orders
    exchange.account.trade_at("BTCUSDT", "59650")  # through the stop, below the stop's limit: it waits
    assert (stop.working, stop.status, take.status) == (True, "NEW", "NEW")
    exchange.account.trade_at("BTCUSDT", "59700")  # back at the limit: the stop sells there
    assert (stop.status, take.status) == ("FILLED", "EXPIRED")
    assert exchange.account.locked("BTC") == 0
    assert float(exchange.account.free("USDT")) == pytest.approx(10_000 + 0.01 * 59700 * 0.999)
    status, trades = await call(exchange, "GET", "/api/v3/myTrades", {"symbol": "BTCUSDT"})
    assert [(t["price"], t["isMaker"]) for t in trades] == [("59700.00000000", True)]
