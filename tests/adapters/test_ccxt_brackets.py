"""Brackets on the live spot account: the entry first, then one OCO per target and a stop for the rest, placed
for what the entry brought in once it has filled."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from cryptoterm.adapters.ccxt_brackets import child_id
from cryptoterm.adapters.ccxt_broker import CcxtBroker
from cryptoterm.domain.trading.orders import BracketRequest, OrderRejected, OrderRequest
from tests.loopback.binance_spot_api import LoopbackSpotExchange


def long_bracket(entry: OrderRequest, *targets: tuple[float, float]) -> BracketRequest:
    return BracketRequest(entry, stop=60_000.0, targets=targets)


async def test_a_filled_market_entry_gets_an_oco_per_target_and_a_stop_for_the_rest(
    spot_exchange: LoopbackSpotExchange, broker: CcxtBroker
) -> None:
    entry = OrderRequest("br-1", "BTC/USDT", "buy", "market", 0.02)
    placed = await broker.place_bracket(long_bracket(entry, (64_000.0, 0.5), (66_000.0, 0.25)))
    assert placed.status == "filled"
    account = spot_exchange.account
    assert [(lst.client_id, lst.orders[0].orig_qty) for lst in account.lists] == [
        ("br-1-t1", Decimal("0.00999")),  # half of the 0.01998 BTC the entry brought in (its fee is in BTC)
        ("br-1-t2", Decimal("0.00499")),  # a quarter, rounded down to the lot step
    ]
    [lone] = account.orders_with_client_id("br-1-s")
    assert (lone.type, lone.stop_price, lone.price, lone.orig_qty) == (
        "STOP_LOSS_LIMIT",
        60000,
        Decimal("59700"),  # the limit sits 0.5 % below the stop
        Decimal("0.00500"),
    )
    assert account.locked("BTC") == Decimal("0.01998") and account.free("BTC") == 0
    exits = await broker.open_orders("BTC/USDT")
    assert {o.request.client_id: o.request.type for o in exits} == {
        "br-1-t1l": "limit",
        "br-1-t1s": "stop_limit",
        "br-1-t2l": "limit",
        "br-1-t2s": "stop_limit",
        "br-1-s": "stop_limit",
    }
    assert {o.request.bracket_id for o in exits} == {"br-1"}


async def test_a_resting_entry_is_protected_once_it_fills(
    spot_exchange: LoopbackSpotExchange, broker: CcxtBroker
) -> None:
    entry = OrderRequest("br-2", "BTC/USDT", "buy", "limit", 0.01, price=61_000.0)
    await broker.place_bracket(long_bracket(entry, (64_000.0, 1.0)))
    assert await broker.follow_brackets() == []  # not filled: nothing to protect yet
    spot_exchange.account.trade_at("BTCUSDT", "61000")
    exits = await broker.follow_brackets()
    assert sorted(o.request.client_id for o in exits) == ["br-2-t1l", "br-2-t1s"]
    assert await broker.follow_brackets() == []  # placed once
    spot_exchange.account.trade_at("BTCUSDT", "64000")  # the target fills, its stop expires
    take, stop = spot_exchange.account.lists[0].orders
    assert (take.status, stop.status) == ("FILLED", "EXPIRED")
    assert await broker.open_orders() == []


async def test_an_entry_cancelled_unfilled_needs_no_exits(
    spot_exchange: LoopbackSpotExchange, broker: CcxtBroker
) -> None:
    entry = await broker.place_bracket(
        long_bracket(OrderRequest("br-3", "BTC/USDT", "buy", "limit", 0.01, price=61_000.0))
    )
    await broker.cancel(entry.id)
    assert await broker.follow_brackets() == []
    assert broker.brackets.pending == {}
    assert spot_exchange.account.lists == []


async def test_a_bracket_the_exchange_could_not_protect_is_refused_before_the_entry(
    spot_exchange: LoopbackSpotExchange, broker: CcxtBroker
) -> None:
    targets = tuple((62_000.0 + 100 * i, 1 / 6) for i in range(6))
    with pytest.raises(OrderRejected, match="6 exits each need a stop order, and BTC/USDT allows at most 5 open stop"):
        await broker.place_bracket(long_bracket(OrderRequest("br-4", "BTC/USDT", "buy", "market", 0.02), *targets))
    with pytest.raises(OrderRejected, match=re.escape("the price 64000.005 is not on BTC/USDT's tick 0.01")):
        await broker.place_bracket(
            long_bracket(OrderRequest("br-5", "BTC/USDT", "buy", "market", 0.02), (64_000.005, 1.0))
        )
    assert spot_exchange.account.orders == []


async def test_exits_the_exchange_refuses_are_reported_and_tried_again(
    spot_exchange: LoopbackSpotExchange, broker: CcxtBroker
) -> None:
    # The entry fills at once on the book (61837.64); a stop at 62000 is already above the market.
    entry = OrderRequest("br-6", "BTC/USDT", "buy", "limit", 0.01, price=63_000.0)
    bracket = BracketRequest(entry, stop=62_000.0, targets=((64_000.0, 1.0),))
    with pytest.raises(OrderRejected) as caught:
        await broker.place_bracket(bracket)
    text = str(caught.value)
    assert text.startswith("BTC/USDT bracket of order ") and ": exits not placed: " in text
    assert "The relationship of the prices for the orders is not correct" in text
    assert "br-6" in broker.brackets.pending  # the next follow tries again
    with pytest.raises(OrderRejected, match="exits not placed"):
        await broker.follow_brackets()


def test_child_ids_stay_within_binances_36_characters() -> None:
    assert child_id("ticket-7", "t1") == "ticket-7-t1"
    long = child_id("0123456789abcdef0123456789abcdef", "t1")
    assert len(long + "l") <= 36 and long.endswith("-t1")
    assert long == child_id("0123456789abcdef0123456789abcdef", "t1")
