"""The guarded live broker over the ccxt adapter and the loopback exchange: every order valued at the exchange's
book, checked against [trading]'s limits (the day's loss from the account's own trades and daily candle), and
sent only when the trader confirms it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cryptoterm.adapters.ccxt_broker import CcxtBroker
from cryptoterm.domain.trading.guards import GuardLimits
from cryptoterm.domain.trading.orders import OrderRejected, OrderRequest
from cryptoterm.services.live_broker import GuardedLiveBroker, already_confirmed
from tests.adapters.conftest import API_KEY, API_SECRET, make_broker
from tests.loopback.binance_spot_api import LoopbackSpotExchange

#: 2021-11-10 12:00 UTC: BTCUSDT opened the day at 66,947.67 (the real daily kline); the recorded book is at 61,837.
MARKET_NOW = 1_636_502_400_000 + 12 * 3_600_000
LIMITS = GuardLimits(max_order_notional=1000.0, max_position_notional=1500.0, daily_loss_limit=500.0)


class Confirmations:
    """The trader's answers, and what they were asked."""

    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.asked: list[tuple[OrderRequest, float]] = []

    async def __call__(self, request: OrderRequest, price: float) -> bool:
        self.asked.append((request, price))
        return self.answer


@pytest.fixture
async def exchange(shared_data: Path) -> AsyncIterator[LoopbackSpotExchange]:
    async with LoopbackSpotExchange(shared_data, {API_KEY: API_SECRET}, market_time_ms=lambda: MARKET_NOW) as ex:
        ex.account.deposit("USDT", "10000")
        yield ex


@pytest.fixture
async def adapter(exchange: LoopbackSpotExchange) -> AsyncIterator[CcxtBroker]:
    live = make_broker(exchange, now_ms=lambda: MARKET_NOW)
    yield live
    await live.close()


def guarded(adapter: CcxtBroker, confirm: Confirmations) -> GuardedLiveBroker:
    return GuardedLiveBroker(adapter, LIMITS, confirm, now_ms=lambda: MARKET_NOW)


async def test_a_confirmed_order_is_sent_with_the_price_it_was_valued_at(
    exchange: LoopbackSpotExchange, adapter: CcxtBroker
) -> None:
    confirm = Confirmations()
    order = await guarded(adapter, confirm).place(OrderRequest("g-1", "BTC/USDT", "buy", "market", 0.01))
    assert order.status == "filled"
    [(request, price)] = confirm.asked
    assert request.client_id == "g-1" and price == 61837.64  # the best ask a market buy pays
    assert exchange.placed_requests == 1


async def test_a_declined_order_sends_nothing(exchange: LoopbackSpotExchange, adapter: CcxtBroker) -> None:
    with pytest.raises(OrderRejected, match=r"^BTC/USDT buy 0.01 market: not confirmed; nothing was sent$"):
        await guarded(adapter, Confirmations(answer=False)).place(
            OrderRequest("g-2", "BTC/USDT", "buy", "market", 0.01)
        )
    assert exchange.placed_requests == 0


async def test_a_confirmation_that_fails_counts_as_no(exchange: LoopbackSpotExchange, adapter: CcxtBroker) -> None:
    async def broken(request: OrderRequest, price: float) -> bool:
        raise RuntimeError("the dialog went away")

    live = GuardedLiveBroker(adapter, LIMITS, broken, now_ms=lambda: MARKET_NOW)
    with pytest.raises(OrderRejected, match="the confirmation failed \\(RuntimeError: the dialog went away\\)"):
        await live.place(OrderRequest("g-3", "BTC/USDT", "buy", "market", 0.01))
    assert exchange.placed_requests == 0


async def test_an_order_over_the_notional_limit_is_refused_before_the_question(
    exchange: LoopbackSpotExchange, adapter: CcxtBroker
) -> None:
    confirm = Confirmations()
    with pytest.raises(OrderRejected) as caught:
        await guarded(adapter, confirm).place(OrderRequest("g-4", "BTC/USDT", "buy", "limit", 0.02, price=60_000.0))
    assert str(caught.value) == (
        "BTC/USDT buy 0.02 limit @ 60000: order notional 1,200.00 USDT exceeds [trading].max_order_notional "
        "1,000.00 USDT"
    )
    assert confirm.asked == [] and exchange.placed_requests == 0


async def test_the_position_limit_counts_what_is_held_and_open(
    exchange: LoopbackSpotExchange, adapter: CcxtBroker
) -> None:
    live = guarded(adapter, Confirmations())
    await live.place(OrderRequest("g-5", "BTC/USDT", "buy", "market", 0.01))
    await live.place(OrderRequest("g-6", "BTC/USDT", "buy", "limit", 0.01, price=60_000.0))
    with pytest.raises(
        OrderRejected, match=r"BTC/USDT position would reach 1,7\d\d\.\d\d USDT with open orders, above"
    ):
        await live.place(OrderRequest("g-7", "BTC/USDT", "buy", "limit", 0.01, price=59_000.0))
    assert exchange.placed_requests == 2


async def test_the_daily_loss_limit_refuses_new_risk_but_never_closing(
    exchange: LoopbackSpotExchange, adapter: CcxtBroker
) -> None:
    # 0.1 BTC held since yesterday, marked at 61,837.635 against the day's open of 66,947.67: -511 USDT today.
    exchange.account.deposit("BTC", "0.1")
    assert await adapter.day_pnl(1_636_502_400_000) == pytest.approx(0.1 * (61837.635 - 66947.67))
    live = guarded(adapter, Confirmations())
    with pytest.raises(
        OrderRejected, match=r"today's loss 511.00 USDT has reached \[trading\].daily_loss_limit 500.00"
    ):
        await live.place(OrderRequest("g-8", "NKN/USDT", "buy", "market", 10.0))
    closing = await live.place(OrderRequest("g-9", "BTC/USDT", "sell", "market", 0.05, reduce_only=True))
    assert closing.status == "filled"
    reducing = await live.place(OrderRequest("g-10", "BTC/USDT", "sell", "limit", 0.01, price=62_000.0))
    assert reducing.status == "open"


async def test_the_days_profit_counts_todays_trades_and_fees(
    exchange: LoopbackSpotExchange, adapter: CcxtBroker
) -> None:
    live = guarded(adapter, Confirmations())
    bought = await live.place(OrderRequest("g-11", "BTC/USDT", "buy", "market", 0.01))
    held = 0.01 * 0.999
    mid = (61837.63 + 61837.64) / 2
    expected = held * mid - 0.01 * 61837.64  # bought today: today's open plays no part
    assert bought.status == "filled"
    assert await adapter.day_pnl(1_636_502_400_000) == pytest.approx(expected)


async def test_kill_switch_flattening_needs_no_further_question(
    exchange: LoopbackSpotExchange, adapter: CcxtBroker
) -> None:
    confirm = Confirmations(answer=False)
    exchange.account.deposit("BTC", "0.01")
    flattening = guarded(adapter, confirm).with_confirm(already_confirmed)
    order = await flattening.place(OrderRequest("k-1", "BTC/USDT", "sell", "market", 0.01, reduce_only=True))
    assert order.status == "filled" and confirm.asked == []
