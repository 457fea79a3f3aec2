"""The live account as the engine runs it, over the loopback exchange and a real SQLite store: the view read
back from the exchange, every order state and fill stored — and the API key and secret nowhere: not in the
log, not in any refusal, not in the database file."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cryptoterm.adapters.ccxt_broker import CcxtBroker
from cryptoterm.adapters.store import SqliteStore
from cryptoterm.adapters.store.trading_repo import TradingRepo
from cryptoterm.domain.market import Trade
from cryptoterm.domain.trading.guards import GuardLimits
from cryptoterm.domain.trading.orders import OrderRejected, OrderRequest
from cryptoterm.services.live_broker import GuardedLiveBroker
from cryptoterm.services.live_engine_broker import LiveEngineBroker, no_dialog
from tests.adapters.conftest import API_KEY, API_SECRET, make_broker
from tests.loopback.binance_spot_api import LoopbackSpotExchange

ACCOUNT = "live:binance"
LIMITS = GuardLimits(max_order_notional=2000.0, max_position_notional=5000.0, daily_loss_limit=500.0)


async def yes(request: OrderRequest, price: float) -> bool:
    return True


@pytest.fixture
async def exchange(shared_data: Path) -> AsyncIterator[LoopbackSpotExchange]:
    async with LoopbackSpotExchange(shared_data, {API_KEY: API_SECRET}) as ex:
        ex.account.deposit("USDT", "10000")
        yield ex


@pytest.fixture
def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    with SqliteStore(tmp_path / "live.db", batch_ms=0) as opened:
        yield opened


@pytest.fixture
async def engine_broker(exchange: LoopbackSpotExchange, store: SqliteStore) -> AsyncIterator[LiveEngineBroker]:
    adapter: CcxtBroker = make_broker(exchange)
    clock = adapter.session.now_ms
    live = GuardedLiveBroker(adapter, LIMITS, no_dialog, now_ms=clock)
    broker = LiveEngineBroker(live, TradingRepo(store), ACCOUNT, quote="USDT", now_ms=clock, refresh_s=3600.0)
    yield broker
    await broker.close()


async def test_orders_wait_for_a_dialog_and_then_go(
    exchange: LoopbackSpotExchange, engine_broker: LiveEngineBroker
) -> None:
    with pytest.raises(OrderRejected, match="not confirmed; nothing was sent"):
        await engine_broker.place(OrderRequest("e-1", "BTC/USDT", "buy", "market", 0.01))
    assert exchange.placed_requests == 0
    engine_broker.set_confirm(yes)
    order = await engine_broker.place(OrderRequest("e-2", "BTC/USDT", "buy", "market", 0.01))
    assert order.status == "filled" and exchange.placed_requests == 1


async def test_the_view_and_the_store_follow_the_exchange(
    exchange: LoopbackSpotExchange, engine_broker: LiveEngineBroker, store: SqliteStore
) -> None:
    updates: list[int] = []
    engine_broker.on_update(lambda: updates.append(1))
    engine_broker.set_confirm(yes)
    await engine_broker.start()
    await engine_broker.place(OrderRequest("v-1", "BTC/USDT", "buy", "market", 0.02))
    resting = await engine_broker.place(OrderRequest("v-2", "BTC/USDT", "buy", "limit", 0.01, price=60_000.0))
    engine_broker.on_trades([Trade("BTC/USDT", 1, 62_000.0, 0.1, "buy")])
    view = engine_broker.view()
    [(position, mark)] = view.positions
    assert (position.symbol, position.qty, mark) == ("BTC/USDT", pytest.approx(0.01998), 62_000.0)
    assert view.locked == pytest.approx(600.0) and [o.id for o in view.orders] == [resting.id]
    assert view.equity == pytest.approx(view.cash + 0.01998 * 62_000.0)

    exchange.account.trade_at("BTCUSDT", "60000")  # the resting order fills on the exchange, not through us
    await engine_broker.refresh()
    assert engine_broker.view().orders == ()
    assert engine_broker.view().positions[0][0].qty == pytest.approx(0.02997)
    assert updates

    store.flush()
    repo = TradingRepo(store)
    stored = {o.request.client_id: o.status for o in repo.orders(ACCOUNT)}
    assert stored == {"v-1": "filled", "v-2": "filled"}
    assert sorted((f.qty, f.liquidity) for f in repo.fills(ACCOUNT)) == [(0.01, "maker"), (0.02, "taker")]
    assert repo.equity_history(ACCOUNT)


async def test_closing_a_position_sells_what_is_held(
    exchange: LoopbackSpotExchange, engine_broker: LiveEngineBroker
) -> None:
    exchange.account.deposit("BTC", "0.015")
    engine_broker.set_confirm(yes)
    order = await engine_broker.close_position("BTC/USDT")
    assert (order.request.side, order.request.qty, order.request.reduce_only, order.status) == (
        "sell",
        0.015,
        True,
        "filled",
    )
    with pytest.raises(OrderRejected, match="no live position in BTC/USDT to close"):
        await engine_broker.close_position("BTC/USDT")


async def test_the_keys_never_reach_the_log_the_errors_or_the_database(
    exchange: LoopbackSpotExchange,
    engine_broker: LiveEngineBroker,
    store: SqliteStore,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    engine_broker.set_confirm(yes)
    await engine_broker.start()
    errors: list[str] = []
    await engine_broker.place(OrderRequest("s-1", "BTC/USDT", "buy", "market", 0.01))
    exchange.drop_after_accept_next()
    await engine_broker.place(OrderRequest("s-2", "BTC/USDT", "buy", "limit", 0.01, price=60_000.0))
    for request in (
        OrderRequest("s-3", "BTC/USDT", "buy", "limit", 0.0001, price=60_000.0),  # the exchange's MIN_NOTIONAL
        OrderRequest("s-4", "BTC/USDT", "buy", "limit", 1.0, price=1_000.0),  # the guards' notional
    ):
        try:
            await engine_broker.place(request)
        except OrderRejected as exc:
            errors.append(str(exc))
    exchange.api_keys[API_KEY] = "rotated"  # every signature the broker makes is now wrong
    try:
        await engine_broker.place(OrderRequest("s-5", "BTC/USDT", "buy", "limit", 0.01, price=59_000.0))
    except OrderRejected as exc:
        errors.append(str(exc))
    await engine_broker.refresh()  # fails: one log line, the last view kept
    await engine_broker.close()
    store.flush()

    assert len(errors) == 3 and "the exchange refused the request signature" in errors[-1]
    assert "live account refresh: " in caplog.text
    database = b"".join(p.read_bytes() for p in tmp_path.glob("live.db*"))
    assert b"s-2" in database  # the orders are there ...
    for secret in (API_KEY, API_SECRET):
        assert secret.encode() not in database  # ... the keys are not
        assert secret not in caplog.text
        assert all(secret not in line for line in errors)
