"""The loopback exchange's SIGNED spot endpoints: orders, OCO lists, open orders, the account and its trades.

`LoopbackSpotExchange` is the market-data server of `http_server.LoopbackBinance` (real exchangeInfo, klines,
depth, tickers) with these routes added, speaking Binance's REST wire protocol to the real ccxt client:

    POST / GET / DELETE /api/v3/order      GET / DELETE /api/v3/openOrders      POST /api/v3/orderList/oco
    GET /api/v3/account                    GET /api/v3/myTrades

Every one is SIGNED (`binance_signing`: key header, HMAC-SHA256 over the exact query and body, timestamp inside
`recvWindow` by the server's wall clock, `clock_ms`); the account (`binance_account`) keeps its own market time,
`account.now_ms`, which stamps orders and trades. Answers are the exchange's JSON shapes and error bodies.

Fault knob: `drop_after_accept_next(count)` — the next `count` new orders are accepted (they exist on the
account, their trades happened) and then the connection is cut before the answer is written: the lost-answer
case a client must resolve by asking for its client order id, never by placing again.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from tests.loopback.binance_account import SpotAccount
from tests.loopback.binance_filters import Book, SymbolRules
from tests.loopback.binance_orders import SpotOrder, Trade
from tests.loopback.binance_signing import ApiError, mandatory, verify_signed
from tests.loopback.http_server import LoopbackBinance

EXCHANGE_INFO = "rest/cryptofeed_binance-spot_exchangeInfo_2021-10-12.json.gz"
BTC_BOOK = "orderbook/hftbacktest_binance-spot_BTCUSDT_depth-snapshot_2024-08-08.json"
OTHER_BOOKS = "rest/cryptofeed_binance-spot_depth-snapshots_2021-10-12.jsonl.gz"
DAY_MS = 86_400_000


def load_account(data_dir: Path, now_ms: Callable[[], int]) -> SpotAccount:
    """An empty account over the real spot rules and the recorded books (BTCUSDT 2024-08-08, and the symbols
    of cryptofeed's 2021-10-12 snapshots)."""
    with gzip.open(data_dir / EXCHANGE_INFO, "rb") as fh:
        info = json.load(fh)
    rules = {s["symbol"]: SymbolRules.of(s) for s in info["symbols"]}
    books = {"BTCUSDT": Book.of(json.loads((data_dir / BTC_BOOK).read_text()))}
    with gzip.open(data_dir / OTHER_BOOKS) as fh:
        for line in fh:
            record = json.loads(line)
            symbol = record["url"].split("symbol=")[1].split("&")[0]
            books.setdefault(symbol, Book.of(record["body"]))
    return SpotAccount(rules, books, now_ms)


@dataclass
class LoopbackSpotExchange:
    """`async with LoopbackSpotExchange(shared_data, {"KEY": "SECRET"}) as ex:` — point ccxt at `ex.url`."""

    data_dir: Path
    api_keys: dict[str, str]
    market_time_ms: Callable[[], int] | None = None
    clock_ms: Callable[[], int] = field(default=lambda: int(time.time() * 1000))
    server: LoopbackBinance = field(init=False)
    account: SpotAccount = field(init=False)
    drops: int = 0
    placed_requests: int = 0

    def __post_init__(self) -> None:
        self.server = LoopbackBinance(self.data_dir)
        self.account = load_account(self.data_dir, self.market_time_ms or self.clock_ms)
        self.server.extra_routes.extend(
            [
                web.post("/api/v3/order", self._new_order),
                web.get("/api/v3/order", self._query_order),
                web.delete("/api/v3/order", self._cancel_order),
                web.get("/api/v3/openOrders", self._open_orders),
                web.delete("/api/v3/openOrders", self._cancel_open_orders),
                web.post("/api/v3/orderList/oco", self._new_oco),
                web.get("/api/v3/account", self._account),
                web.get("/api/v3/myTrades", self._my_trades),
            ]
        )

    @property
    def url(self) -> str:
        return self.server.url

    async def start(self) -> str:
        return await self.server.start()

    async def stop(self) -> None:
        await self.server.stop()

    async def __aenter__(self) -> LoopbackSpotExchange:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def drop_after_accept_next(self, count: int = 1) -> None:
        """The next `count` new orders are taken, then their connections cut before the answer."""
        self.drops += count

    # -- plumbing --------------------------------------------------------------------------------------------

    async def _signed(self, request: web.Request) -> dict[str, str]:
        body = await request.text() if request.can_read_body else ""
        return verify_signed(self.api_keys, request.headers, request.rel_url.raw_query_string, body, self.clock_ms())

    async def _answer(self, request: web.Request, work: Callable[[dict[str, str]], Any]) -> web.StreamResponse:
        try:
            params = await self._signed(request)
            return _json(work(params))
        except ApiError as exc:
            return _json(exc.body(), exc.status)

    # -- handlers --------------------------------------------------------------------------------------------

    async def _new_order(self, request: web.Request) -> web.StreamResponse:
        try:
            params = await self._signed(request)
            self.placed_requests += 1
            order, trades = self.account.place(params)
        except ApiError as exc:
            return _json(exc.body(), exc.status)
        if self.drops > 0:
            self.drops -= 1
            assert request.transport is not None
            request.transport.abort()  # the order exists; its answer never leaves
            return web.Response(status=200)  # written to a closed transport: nothing reaches the client
        return _json(_new_order_answer(order, trades, params.get("newOrderRespType", "FULL")))

    async def _query_order(self, request: web.Request) -> web.StreamResponse:
        return await self._answer(request, lambda p: _order_query(self.account.find(p.get("symbol"), p)))

    async def _cancel_order(self, request: web.Request) -> web.StreamResponse:
        def cancel(params: dict[str, str]) -> dict[str, Any]:
            self.account.cancel(params.get("symbol"), params)
            wanted = self.account.find(params.get("symbol"), params)
            return _cancel_answer(wanted)

        return await self._answer(request, cancel)

    async def _open_orders(self, request: web.Request) -> web.StreamResponse:
        return await self._answer(
            request, lambda p: [_order_query(o) for o in self.account.open_orders(p.get("symbol"))]
        )

    async def _cancel_open_orders(self, request: web.Request) -> web.StreamResponse:
        def cancel_all(params: dict[str, str]) -> list[dict[str, Any]]:
            answers: list[dict[str, Any]] = []
            for group in self.account.cancel_open(params.get("symbol")):
                if len(group) > 1:
                    order_list = self.account.order_list(group[0])
                    assert order_list is not None
                    answers.append(_list_answer(self.account, order_list, [_cancel_answer(o) for o in group]))
                else:
                    answers.append(_cancel_answer(group[0]))
            return answers

        return await self._answer(request, cancel_all)

    async def _new_oco(self, request: web.Request) -> web.StreamResponse:
        def oco(params: dict[str, str]) -> dict[str, Any]:
            order_list = self.account.place_oco(params)
            reports = [_new_order_answer(o, [], "RESULT") for o in order_list.orders]
            return _list_answer(self.account, order_list, reports)

        return await self._answer(request, oco)

    async def _account(self, request: web.Request) -> web.StreamResponse:
        def account(_params: dict[str, str]) -> dict[str, Any]:
            balances = [
                {"asset": asset, "free": _fmt(free), "locked": _fmt(locked)}
                for asset, (free, locked) in sorted(self.account.balances.items())
            ]
            return {
                "makerCommission": 10,
                "takerCommission": 10,
                "buyerCommission": 0,
                "sellerCommission": 0,
                "commissionRates": {
                    "maker": "0.00100000",
                    "taker": "0.00100000",
                    "buyer": "0.00000000",
                    "seller": "0.00000000",
                },
                "canTrade": True,
                "canWithdraw": True,
                "canDeposit": True,
                "brokered": False,
                "requireSelfTradePrevention": False,
                "preventSor": False,
                "updateTime": self.account.now_ms(),
                "accountType": "SPOT",
                "balances": balances,
                "permissions": ["SPOT"],
            }

        return await self._answer(request, account)

    async def _my_trades(self, request: web.Request) -> web.StreamResponse:
        def my_trades(params: dict[str, str]) -> list[dict[str, Any]]:
            symbol = params.get("symbol")
            if not symbol:
                raise mandatory("symbol")
            if symbol not in self.account.rules:
                raise ApiError(-1121, "Invalid symbol.")
            limit = min(int(params.get("limit", 500)), 1000)
            trades = [t for t in self.account.trades if t.symbol == symbol]
            if "orderId" in params:
                trades = [t for t in trades if str(t.order.order_id) == params["orderId"]]
            if "fromId" in params:
                return [_trade_answer(t) for t in trades if t.id >= int(params["fromId"])][:limit]
            start = int(params["startTime"]) if "startTime" in params else None
            end = int(params["endTime"]) if "endTime" in params else None
            if start is not None and end is not None and end - start > DAY_MS:
                raise ApiError(-1127, "More than 24 hours between startTime and endTime.")
            if start is not None or end is not None:
                low = start if start is not None else end - DAY_MS  # type: ignore[operator]
                high = end if end is not None else low + DAY_MS
                return [_trade_answer(t) for t in trades if low <= t.time <= high][:limit]
            return [_trade_answer(t) for t in trades[-limit:]]

        return await self._answer(request, my_trades)


# -- the exchange's JSON shapes ------------------------------------------------------------------------------


def _fmt(value: Decimal) -> str:
    return f"{value:.8f}"


def _base_fields(order: SpotOrder) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "symbol": order.symbol,
        "orderId": order.order_id,
        "orderListId": order.order_list_id,
        "clientOrderId": order.client_id,
    }
    return fields


def _state_fields(order: SpotOrder) -> dict[str, Any]:
    fields = {
        "price": _fmt(order.price),
        "origQty": _fmt(order.orig_qty),
        "executedQty": _fmt(order.executed),
        "cummulativeQuoteQty": _fmt(order.quote_qty),
        "status": order.status,
        "timeInForce": order.time_in_force,
        "type": order.type,
        "side": order.side,
    }
    if order.stop_price > 0:
        fields["stopPrice"] = _fmt(order.stop_price)
    return fields


def _new_order_answer(order: SpotOrder, trades: list[Trade], resp_type: str) -> dict[str, Any]:
    answer = _base_fields(order) | {"transactTime": order.time}
    if resp_type == "ACK":
        return answer
    answer |= _state_fields(order) | {
        "origQuoteOrderQty": "0.00000000",
        "workingTime": order.time if order.working else -1,
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }
    if resp_type == "FULL":
        answer["fills"] = [
            {
                "price": _fmt(t.price),
                "qty": _fmt(t.qty),
                "commission": _fmt(t.commission),
                "commissionAsset": t.commission_asset,
                "tradeId": t.id,
            }
            for t in trades
        ]
    return answer


def _order_query(order: SpotOrder) -> dict[str, Any]:
    return (
        _base_fields(order)
        | _state_fields(order)
        | {
            "stopPrice": _fmt(order.stop_price),
            "icebergQty": "0.00000000",
            "time": order.time,
            "updateTime": order.update_time,
            "isWorking": order.working,
            "workingTime": order.time if order.working else -1,
            "origQuoteOrderQty": "0.00000000",
            "selfTradePreventionMode": "EXPIRE_MAKER",
        }
    )


def _cancel_answer(order: SpotOrder) -> dict[str, Any]:
    answer = {
        "symbol": order.symbol,
        "origClientOrderId": order.client_id,
        "orderId": order.order_id,
        "orderListId": order.order_list_id,
        "clientOrderId": f"cancel_{order.order_id}",
        "transactTime": order.update_time,
    }
    return answer | _state_fields(order) | {"selfTradePreventionMode": "EXPIRE_MAKER"}


def _list_answer(account: SpotAccount, order_list: Any, reports: list[dict[str, Any]]) -> dict[str, Any]:
    done = order_list.status == "ALL_DONE"
    return {
        "orderListId": order_list.order_list_id,
        "contingencyType": "OCO",
        "listStatusType": "ALL_DONE" if done else "EXEC_STARTED",
        "listOrderStatus": "ALL_DONE" if done else "EXECUTING",
        "listClientOrderId": order_list.client_id,
        "transactionTime": account.now_ms(),
        "symbol": order_list.symbol,
        "orders": [_base_fields(o) for o in order_list.orders],
        "orderReports": reports,
    }


def _trade_answer(trade: Trade) -> dict[str, Any]:
    return {
        "symbol": trade.symbol,
        "id": trade.id,
        "orderId": trade.order.order_id,
        "orderListId": trade.order.order_list_id,
        "price": _fmt(trade.price),
        "qty": _fmt(trade.qty),
        "quoteQty": _fmt(trade.price * trade.qty),
        "commission": _fmt(trade.commission),
        "commissionAsset": trade.commission_asset,
        "time": trade.time,
        "isBuyer": trade.order.side == "BUY",
        "isMaker": trade.maker,
        "isBestMatch": True,
    }


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")
