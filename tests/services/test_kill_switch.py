"""The kill switch over the Broker port: every open order cancelled, then every position flattened by reduce-only
market orders — on the live spot account through the loopback exchange, and on any broker (a short is bought
back), with each failure one line and every step still tried."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from cryptoterm.adapters.ccxt_broker import CcxtBroker
from cryptoterm.domain.trading.guards import GuardLimits
from cryptoterm.domain.trading.orders import (
    Balance,
    BracketRequest,
    Fill,
    Order,
    OrderRejected,
    OrderRequest,
    Position,
    TradingMode,
)
from cryptoterm.services.kill_switch import kill_switch_plan, run_kill_switch
from cryptoterm.services.live_broker import GuardedLiveBroker, already_confirmed
from tests.adapters.conftest import API_KEY, API_SECRET, make_broker
from tests.loopback.binance_spot_api import LoopbackSpotExchange

NOW = 1_700_000_000_000


@pytest.fixture
async def exchange(shared_data: Path) -> AsyncIterator[LoopbackSpotExchange]:
    async with LoopbackSpotExchange(shared_data, {API_KEY: API_SECRET}) as ex:
        ex.account.deposit("USDT", "10000")
        yield ex


@pytest.fixture
async def live(exchange: LoopbackSpotExchange) -> AsyncIterator[GuardedLiveBroker]:
    adapter: CcxtBroker = make_broker(exchange)
    limits = GuardLimits(max_order_notional=5000.0, max_position_notional=20000.0, daily_loss_limit=5000.0)
    yield GuardedLiveBroker(adapter, limits, already_confirmed, now_ms=lambda: NOW)
    await adapter.close()


async def test_the_live_account_ends_with_no_order_and_no_position(
    exchange: LoopbackSpotExchange, live: GuardedLiveBroker
) -> None:
    exchange.account.deposit("NKN", "250")
    await live.place(OrderRequest("o-1", "BTC/USDT", "buy", "market", 0.02))
    await live.place(OrderRequest("o-2", "BTC/USDT", "buy", "limit", 0.01, price=60_000.0))
    await live.place(OrderRequest("o-3", "BTC/USDT", "sell", "limit", 0.01, price=64_000.0))
    plan = await kill_switch_plan(live)
    assert plan.describe() == "cancel 2 open orders and flatten 2 positions (BTC/USDT 0.01998, NKN/USDT 250)"

    report = await run_kill_switch(live, now_ms=lambda: NOW)

    assert report.ok and report.failures == () and report.still_open == () and report.still_held == ()
    assert sorted(o.request.client_id for o in report.cancelled) == ["o-2", "o-3"]
    assert [(o.request.symbol, o.request.side, o.request.reduce_only, o.status) for o in report.flattened] == [
        ("BTC/USDT", "sell", True, "filled"),
        ("NKN/USDT", "sell", True, "filled"),
    ]
    account = exchange.account
    assert account.open_orders(None) == []
    assert (account.free("BTC"), account.locked("BTC"), account.free("NKN"), account.locked("USDT")) == (0, 0, 0, 0)


async def test_a_position_that_cannot_be_flattened_is_reported_and_the_rest_still_closes(
    exchange: LoopbackSpotExchange, live: GuardedLiveBroker
) -> None:
    exchange.account.deposit("BTC", "0.0001")  # worth about 6 USDT: below BTCUSDT's 10 USDT minimum
    exchange.account.deposit("NKN", "250")
    report = await run_kill_switch(live, now_ms=lambda: NOW)
    assert not report.ok
    [failure] = report.failures
    assert failure.startswith("flattening BTC/USDT 0.0001: BTC/USDT sell 0.0001 market (reduce-only): refused by")
    assert "MIN_NOTIONAL rule: an order on BTC/USDT must be worth at least 10 USDT" in failure
    assert [o.request.symbol for o in report.flattened] == ["NKN/USDT"]
    assert [(p.symbol, p.qty) for p in report.still_held] == [("BTC/USDT", 0.0001)]


class PaperLikeBroker:
    """A broker holding a long and a short whose cancel fails: the kill switch must still flatten both."""

    def __init__(self) -> None:
        self.held = {"ETH/USDT": -2.0, "SOL/USDT": 5.0}
        self.placed: list[OrderRequest] = []

    @property
    def mode(self) -> TradingMode:
        return "paper"

    async def place(self, request: OrderRequest) -> Order:
        self.placed.append(request)
        signed = request.qty if request.side == "buy" else -request.qty
        self.held[request.symbol] = self.held.get(request.symbol, 0.0) + signed
        return Order(f"p{len(self.placed)}", request, "filled", "paper", NOW, NOW, filled_qty=request.qty)

    async def place_bracket(self, bracket: BracketRequest) -> Order:
        return await self.place(bracket.entry)

    async def cancel(self, order_id: str) -> Order:
        raise OrderRejected(f"order {order_id}: unknown")

    async def cancel_all(self, symbol: str | None = None) -> Sequence[Order]:
        raise OrderRejected("the paper account is being restored; try again")

    async def order_by_client_id(self, client_id: str) -> Order | None:
        return None

    async def open_orders(self, symbol: str | None = None) -> Sequence[Order]:
        return []

    async def fills(self, symbol: str | None = None, since_ms: int | None = None) -> Sequence[Fill]:
        return []

    async def balances(self) -> Mapping[str, Balance]:
        return {}

    async def positions(self) -> Sequence[Position]:
        return [Position(s, q, 100.0, 0.0, NOW, "paper") for s, q in self.held.items() if q != 0]


async def test_any_broker_is_flattened_even_when_cancelling_failed() -> None:
    broker = PaperLikeBroker()
    report = await run_kill_switch(broker, now_ms=lambda: NOW)
    assert report.failures == ("cancelling open orders: the paper account is being restored; try again",)
    assert [(r.symbol, r.side, r.qty, r.type, r.reduce_only) for r in broker.placed] == [
        ("ETH/USDT", "buy", 2.0, "market", True),  # a short is bought back
        ("SOL/USDT", "sell", 5.0, "market", True),
    ]
    assert len({r.client_id for r in broker.placed}) == 2
    assert report.still_held == () and report.mode == "paper"
    assert replace(report, failures=()).ok
