"""The paper broker over a real SQLite store: orders, fills and positions persist; a restart (the store closed
and opened again) keeps the account, resumes open orders against the market and fills what the 1m candles of
the gap reached."""

from __future__ import annotations

from pathlib import Path

import pytest

from cryptoterm.adapters.store import SqliteStore
from cryptoterm.adapters.store.trading_repo import TradingRepo
from cryptoterm.domain.market import Candle, Trade
from cryptoterm.domain.trading.guards import GuardLimits
from cryptoterm.domain.trading.matching import MarketView
from cryptoterm.domain.trading.orders import BracketRequest, OrderRejected, OrderRequest
from cryptoterm.domain.trading.paper_account import PaperTerms
from cryptoterm.services.paper_broker import PaperBroker, PaperSettings
from cryptoterm.services.paper_gap import StoredThenFetched, gap_window

SYM = "BTC/USDT"
T0 = 1_723_161_600_000  # 2024-08-09 00:00 UTC
MIN = 60_000
SETTINGS = PaperSettings(
    "paper:sim",
    PaperTerms("USDT", 10.0, 10.0, 5.0),
    GuardLimits(max_order_notional=5_000.0, max_position_notional=20_000.0, daily_loss_limit=1_000.0),
    10_000.0,
)
BOOK = MarketView(bids=((59_990.0, 1.0),), asks=((60_010.0, 1.0),), last=60_000.0)


class Harness:
    def __init__(self, path: Path, now: int) -> None:
        self.store = SqliteStore(path, batch_ms=0)
        self.now = now
        self.broker = PaperBroker(
            SETTINGS,
            TradingRepo(self.store),
            lambda: self.now,
            lambda _symbol: BOOK,
            watched=lambda: [SYM],
            gap=StoredThenFetched(self.store, "sim", None),
        )

    async def close(self) -> None:
        await self.broker.close()
        self.store.close()


def _trade(price: float, qty: float, ts: int, side: str = "buy", tid: int = 1) -> Trade:
    return Trade(SYM, ts, price, qty, side, tid)  # type: ignore[arg-type]


async def test_orders_positions_and_cash_survive_a_restart_and_resume(tmp_path: Path) -> None:
    first = Harness(tmp_path / "p.db", T0)
    await first.broker.start()
    bought = await first.broker.place(OrderRequest("buy-1", SYM, "buy", "market", 0.05))
    assert bought.status == "filled" and bought.avg_fill_price == 60_010.0
    resting = await first.broker.place(OrderRequest("tp-1", SYM, "sell", "limit", 0.05, price=61_000.0))
    first.now = T0 + 30_000
    first.broker.on_trades([_trade(61_500.0, 0.02, T0 + 30_000)])  # fills 0.02 of the take-profit
    cash = first.broker.account.cash
    await first.close()

    second = Harness(tmp_path / "p.db", T0 + 40_000)
    await second.broker.start()
    positions = await second.broker.positions()
    assert [(p.symbol, round(p.qty, 8), p.avg_price) for p in positions] == [(SYM, 0.03, 60_010.0)]
    assert second.broker.account.cash == pytest.approx(cash)
    (open_order,) = await second.broker.open_orders()
    assert open_order.id == resting.id and open_order.filled_qty == pytest.approx(0.02)
    assert (await second.broker.order_by_client_id("buy-1")).status == "filled"  # type: ignore[union-attr]
    # the resumed order meets the market again
    second.broker.on_trades([_trade(61_200.0, 1.0, T0 + 50_000, tid=2)])
    assert not await second.broker.open_orders() and not await second.broker.positions()
    fills = await second.broker.fills(SYM)
    assert [(f.side, round(f.qty, 8), f.price) for f in fills] == [
        ("buy", 0.05, 60_010.0),
        ("sell", 0.02, 61_000.0),
        ("sell", 0.03, 61_000.0),
    ]
    # a client id is never used twice, even across runs
    with pytest.raises(OrderRejected, match="client id 'buy-1' was already used"):
        await second.broker.place(OrderRequest("buy-1", SYM, "buy", "market", 0.01))
    await second.close()


async def test_the_gap_is_filled_from_the_stored_1m_candles(tmp_path: Path) -> None:
    first = Harness(tmp_path / "g.db", T0)
    await first.broker.start()
    entry = OrderRequest("bk", SYM, "buy", "limit", 0.05, price=59_500.0, setup_id=3)
    await first.broker.place_bracket(BracketRequest(entry, stop=58_000.0, targets=((61_000.0, 1.0),)))
    first.now = T0 + 10_000
    first.broker.on_trades([_trade(60_000.0, 0.1, T0 + 10_000)])
    await first.close()

    # while the app was down: the minute it stopped in (skipped), then the entry fills, then the target
    candles = [
        Candle(T0, 60_000, 60_100, 59_000, 59_800, 5.0),  # the minute of the last look: part of it was seen
        Candle(T0 + MIN, 59_800, 59_900, 59_400, 59_600, 5.0),  # through the entry limit
        Candle(T0 + 2 * MIN, 59_600, 60_500, 59_550, 60_400, 5.0),
        Candle(T0 + 3 * MIN, 60_400, 61_200, 60_300, 61_100, 5.0),  # through the target
        Candle(T0 + 4 * MIN, 61_100, 61_300, 60_900, 61_000, 5.0),
    ]
    store = SqliteStore(tmp_path / "g.db", batch_ms=0)
    store.write_candles("sim", SYM, "1m", candles)
    store.close()
    assert gap_window(T0 + 10_000, T0 + 5 * MIN + 1) == (T0 + MIN, T0 + 5 * MIN)

    second = Harness(tmp_path / "g.db", T0 + 5 * MIN + 1)
    await second.broker.start()
    fills = await second.broker.fills(SYM)
    assert [(f.side, f.price, f.time_ms, f.liquidity) for f in fills] == [
        ("buy", 59_500.0, T0 + 2 * MIN - 1, "maker"),
        ("sell", 61_000.0, T0 + 4 * MIN - 1, "maker"),
    ]
    assert not await second.broker.positions() and not await second.broker.open_orders()
    stored = TradingRepo(second.store).orders("paper:sim")
    assert {o.request.client_id: o.status for o in stored} == {
        "bk": "filled",
        "bk:stop": "cancelled",
        "bk:t1": "filled",
    }
    expected_cash = 10_000.0 - 0.05 * 59_500 * 1.001 + 0.05 * 61_000 * 0.999
    assert second.broker.account.cash == pytest.approx(expected_cash)
    await second.close()


async def test_equity_is_sampled_at_fills_and_once_a_minute_not_per_trade(tmp_path: Path) -> None:
    harness = Harness(tmp_path / "e.db", T0)
    await harness.broker.start()
    await harness.broker.place(OrderRequest("b", SYM, "buy", "market", 0.01))
    for i in range(600):  # ten minutes of trades, one a second
        harness.now = T0 + 1000 * (i + 1)
        harness.broker.on_trades([_trade(60_000.0 + i, 0.001, harness.now, tid=i)])
    await harness.close()
    store = SqliteStore(tmp_path / "e.db", batch_ms=0)
    samples = TradingRepo(store).equity_history("paper:sim")
    store.close()
    # the start, the fill, then one a minute (and the last look at close)
    assert 11 <= len(samples) <= 14
    assert samples[-1].equity == pytest.approx(10_000 - 0.01 * 60_010 * 0.001 + 0.01 * (60_599 - 60_010))


async def test_orders_on_unwatched_symbols_are_refused(tmp_path: Path) -> None:
    harness = Harness(tmp_path / "u.db", T0)
    await harness.broker.start()
    with pytest.raises(OrderRejected, match="ETH/USDT is not on the watchlist"):
        await harness.broker.place(OrderRequest("e", "ETH/USDT", "buy", "market", 1.0))
    with pytest.raises(OrderRejected, match="max_order_notional"):
        await harness.broker.place(OrderRequest("big", SYM, "buy", "market", 1.0))
    await harness.close()


async def test_a_clock_behind_the_account_rests_open_orders_from_now(tmp_path: Path) -> None:
    first = Harness(tmp_path / "c.db", T0 + 10 * MIN)
    await first.broker.start()
    order = await first.broker.place(OrderRequest("l", SYM, "buy", "limit", 0.01, price=59_000.0))
    await first.close()
    second = Harness(tmp_path / "c.db", T0)  # a demo restarted at the wall clock after running faster
    await second.broker.start()
    second.broker.on_trades([_trade(58_000.0, 1.0, T0 + 1000, side="sell")])
    fills = await second.broker.fills(SYM)
    assert [(f.order_id, f.price) for f in fills] == [(order.id, 59_000.0)]
    await second.close()
