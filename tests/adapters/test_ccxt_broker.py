"""The live broker through the real ccxt client against the loopback exchange's signed order endpoints.

Nothing here reaches a real exchange: `[exchange] rest_url` points ccxt at the loopback (as it would at the
testnet), and every request the loopback served is checked to be the one the test expects."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cryptoterm.adapters.ccxt_broker import CcxtBroker
from cryptoterm.domain.trading.orders import OrderRejected, OrderRequest
from tests.adapters.conftest import make_broker
from tests.loopback.binance_spot_api import LoopbackSpotExchange


def limit_buy(client_id: str, qty: float = 0.01, price: float = 60_000.0) -> OrderRequest:
    return OrderRequest(client_id, "BTC/USDT", "buy", "limit", qty, price=price)


async def test_orders_reach_the_rebased_url_signed_with_the_client_id(
    spot_exchange: LoopbackSpotExchange, broker: CcxtBroker
) -> None:
    order = await broker.place(limit_buy("ticket-1"))
    assert (order.status, order.mode, order.request.client_id) == ("open", "live", "ticket-1")
    [held] = spot_exchange.account.orders_with_client_id("ticket-1")
    assert order.id == str(held.order_id)
    assert (held.type, held.price, held.orig_qty) == ("LIMIT", 60000, Decimal("0.01"))
    assert spot_exchange.server.requests["/api/v3/order"] == 1  # every request went to the loopback


async def test_a_market_order_fills_on_the_book_with_its_fee_in_the_quote(broker: CcxtBroker) -> None:
    order = await broker.place(OrderRequest("m-1", "BTC/USDT", "buy", "market", 0.01))
    assert order.status == "filled" and order.filled_qty == pytest.approx(0.01)
    assert order.avg_fill_price == pytest.approx(61837.64)  # the recorded book's best ask
    assert order.fees == pytest.approx(0.00001 * 61837.64)  # 0.1 % of the coin bought, valued at the fill


async def test_a_stop_limit_is_binances_stop_loss_limit(
    spot_exchange: LoopbackSpotExchange, broker: CcxtBroker
) -> None:
    request = OrderRequest("s-1", "BTC/USDT", "buy", "stop_limit", 0.01, price=63_000.0, stop_price=62_900.0)
    order = await broker.place(request)
    [held] = spot_exchange.account.orders_with_client_id("s-1")
    assert (held.type, held.stop_price, held.price, held.working) == ("STOP_LOSS_LIMIT", 62900, 63000, False)
    assert order.request == request and order.status == "open"


@pytest.mark.parametrize(
    ("request_", "line"),
    [
        (
            limit_buy("r-1", qty=1.0),
            "BTC/USDT buy 1 limit @ 60000: refused by binance: insufficient balance: the account has too little "
            "free USDT for it",
        ),
        (
            limit_buy("r-2", qty=0.0001),
            "BTC/USDT buy 0.0001 limit @ 60000: refused by binance: the exchange's MIN_NOTIONAL rule: an order on "
            "BTC/USDT must be worth at least 10 USDT",
        ),
        (
            limit_buy("r-3", price=2_000_000.0),
            "BTC/USDT buy 0.01 limit @ 2000000: refused by binance: the exchange's PRICE_FILTER rule: the price on "
            "BTC/USDT must be 0.01 to 1000000 USDT in steps of 0.01",
        ),
        (
            limit_buy("r-4", qty=0.000015),
            "BTC/USDT buy 0.000015 limit @ 60000: the quantity must be a multiple of BTC/USDT's lot step 0.00001 "
            "(the nearest below is 0.00001)",
        ),
        (
            OrderRequest("r-5", "BTC/USDT", "buy", "stop", 0.01, stop_price=65_000.0),
            "BTC/USDT buy 0.01 stop stop 65000: BTC/USDT takes no stop (market) orders on this exchange; use a "
            "stop-limit (its order types: LIMIT, LIMIT_MAKER, MARKET, STOP_LOSS_LIMIT, TAKE_PROFIT_LIMIT)",
        ),
        (
            OrderRequest("r 6", "BTC/USDT", "buy", "market", 0.01),
            "BTC/USDT buy 0.01 market: client id 'r 6' must be 1 to 36 letters, digits, '-' or '_'",
        ),
        (
            OrderRequest("r-7", "NOPE/USDT", "buy", "market", 0.01),
            "NOPE/USDT buy 0.01 market: binance does not list NOPE/USDT",
        ),
    ],
    ids=["balance", "min-notional", "price-filter", "lot-step", "stop-market", "client-id", "symbol"],
)
async def test_refusals_are_one_line(
    spot_exchange: LoopbackSpotExchange, broker: CcxtBroker, request_: OrderRequest, line: str
) -> None:
    with pytest.raises(OrderRejected) as caught:
        await broker.place(request_)
    assert str(caught.value) == line
    error = caught.value  # no ccxt exception chained behind the line: nothing else to print
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    assert spot_exchange.account.orders == []


async def test_a_client_id_already_open_is_not_placed_again(
    spot_exchange: LoopbackSpotExchange, broker: CcxtBroker
) -> None:
    await broker.place(limit_buy("dup-1"))
    with pytest.raises(
        OrderRejected, match="an order with client id dup-1 is already open on binance; not placed again"
    ):
        await broker.place(limit_buy("dup-1", price=59_000.0))
    assert len(spot_exchange.account.orders_with_client_id("dup-1")) == 1


async def test_a_lost_answer_is_resolved_by_the_client_id_never_by_placing_twice(
    spot_exchange: LoopbackSpotExchange, broker: CcxtBroker, caplog: pytest.LogCaptureFixture
) -> None:
    spot_exchange.drop_after_accept_next()
    order = await broker.place(limit_buy("lost-1"))
    [held] = spot_exchange.account.orders_with_client_id("lost-1")
    assert spot_exchange.placed_requests == 1  # exactly one placement reached the exchange
    assert len(spot_exchange.account.orders) == 1
    assert (order.id, order.status, order.request.client_id) == (str(held.order_id), "open", "lost-1")
    assert "the answer was lost" in caplog.text and "the exchange has it as order" in caplog.text


async def test_a_lost_answer_of_a_market_order_returns_its_fill(
    spot_exchange: LoopbackSpotExchange, broker: CcxtBroker
) -> None:
    spot_exchange.drop_after_accept_next()
    order = await broker.place(OrderRequest("lost-m", "BTC/USDT", "buy", "market", 0.01))
    assert (order.status, order.filled_qty) == ("filled", pytest.approx(0.01))
    assert spot_exchange.placed_requests == 1 and len(spot_exchange.account.trades) == 1


async def test_a_placement_that_never_arrived_says_nothing_was_traded(
    spot_exchange: LoopbackSpotExchange, broker: CcxtBroker
) -> None:
    await broker.session.markets()
    spot_exchange.server.fail_next(1, status=503, path_contains="/api/v3/order")  # a gateway in front fails it
    with pytest.raises(OrderRejected) as caught:
        await broker.place(limit_buy("gone-1"))
    assert str(caught.value).startswith("BTC/USDT buy 0.01 limit @ 60000: not placed, the exchange never received it")
    assert str(caught.value).endswith("; nothing was traded")
    assert spot_exchange.placed_requests == 0 and spot_exchange.account.orders == []


async def test_a_lookup_that_cannot_complete_says_what_to_check(
    spot_exchange: LoopbackSpotExchange, broker: CcxtBroker
) -> None:
    await broker.session.markets()
    spot_exchange.drop_after_accept_next()
    spot_exchange.server.fail_next(10, status=503, path_contains="/api/v3/order", after=1)  # every lookup fails
    with pytest.raises(OrderRejected) as caught:
        await broker.place(limit_buy("dark-1"))
    text = str(caught.value)
    assert "the exchange's answer was lost" in text and "could not be looked up" in text
    assert text.endswith("check the open orders for client id dark-1 before placing again")
    assert spot_exchange.placed_requests == 1 and len(spot_exchange.account.orders) == 1


async def test_orders_are_found_cancelled_and_listed(spot_exchange: LoopbackSpotExchange, broker: CcxtBroker) -> None:
    first = await broker.place(limit_buy("c-1"))
    await broker.place(limit_buy("c-2", price=59_000.0))
    found = await broker.order_by_client_id("c-2")
    assert found is not None and found.request.price == 59_000.0
    assert await broker.order_by_client_id("never-placed") is None
    cancelled = await broker.cancel(first.id)
    assert cancelled.status == "cancelled" and cancelled.created_ms == first.created_ms
    again = await broker.cancel(first.id)  # a final order comes back as it ended
    assert again.status == "cancelled"
    assert [o.request.client_id for o in await broker.open_orders()] == ["c-2"]
    assert [o.status for o in await broker.cancel_all()] == ["cancelled"]
    assert await broker.open_orders("BTC/USDT") == []
    assert spot_exchange.account.locked("USDT") == 0


async def test_an_order_placed_by_another_process_is_found_among_the_open_ones(
    spot_exchange: LoopbackSpotExchange, broker: CcxtBroker
) -> None:
    await broker.place(limit_buy("elsewhere-1"))
    other = make_broker(spot_exchange)
    try:
        found = await other.order_by_client_id("elsewhere-1")
        assert found is not None and found.request.type == "limit" and found.request.price == 60_000.0
        assert [o.status for o in await other.cancel_all("BTC/USDT")] == ["cancelled"]
    finally:
        await other.close()


async def test_balances_positions_and_fills_of_the_spot_account(broker: CcxtBroker) -> None:
    await broker.place(OrderRequest("p-1", "BTC/USDT", "buy", "market", 0.01))
    await broker.place(OrderRequest("p-2", "BTC/USDT", "buy", "market", 0.02))
    await broker.place(limit_buy("p-3"))
    balances = await broker.balances()
    assert balances["BTC"].total == pytest.approx(0.03 * 0.999)
    assert balances["USDT"].locked == pytest.approx(600.0)
    [position] = await broker.positions()
    assert (position.symbol, position.mode) == ("BTC/USDT", "live")
    assert position.qty == pytest.approx(0.02997)
    assert position.avg_price == pytest.approx(0.03 * 61837.64 / 0.02997)  # the coin fee makes each coin dearer
    fills = await broker.fills("BTC/USDT")
    assert [(f.side, f.qty, f.liquidity) for f in fills] == [("buy", 0.01, "taker"), ("buy", 0.02, "taker")]


async def test_flattening_sells_what_is_held_rounded_down_to_the_lot_step(
    spot_exchange: LoopbackSpotExchange, broker: CcxtBroker
) -> None:
    spot_exchange.account.deposit("BTC", "0.012347")
    order = await broker.place(OrderRequest("f-1", "BTC/USDT", "sell", "market", 0.012347, reduce_only=True))
    assert order.request.qty == pytest.approx(0.01234) and order.status == "filled"
    assert float(spot_exchange.account.free("BTC")) == pytest.approx(0.000007)
    with pytest.raises(OrderRejected, match="a spot account holds no short position for a reduce-only buy"):
        await broker.place(OrderRequest("f-2", "BTC/USDT", "buy", "market", 0.01, reduce_only=True))
    with pytest.raises(OrderRejected, match=r"reduce-only, but the account holds only 0.000007 BTC free"):
        await broker.place(OrderRequest("f-3", "BTC/USDT", "sell", "market", 0.01, reduce_only=True))


async def test_a_clock_outside_the_receive_window_is_said_plainly(
    spot_exchange: LoopbackSpotExchange, broker: CcxtBroker
) -> None:
    ahead = spot_exchange.clock_ms
    spot_exchange.clock_ms = lambda: ahead() + 120_000  # the exchange's clock two minutes ahead of this machine's
    with pytest.raises(OrderRejected) as caught:
        await broker.place(limit_buy("clock-1"))
    assert str(caught.value) == (
        "BTC/USDT buy 0.01 limit @ 60000: refused by binance: the request's time is outside the exchange's receive "
        "window: check this machine's clock"
    )
    assert spot_exchange.server.requests["/api/v3/order"] == 1  # refused, and not looked up as a lost answer
