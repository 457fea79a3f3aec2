"""Orders open while the app was down, filled from the 1m candles of the gap (`matching`'s candle rules)."""

from __future__ import annotations

import pytest

from cryptoterm.domain.market import Candle
from cryptoterm.domain.trading.guards import GuardLimits
from cryptoterm.domain.trading.matching import MarketView
from cryptoterm.domain.trading.orders import BracketRequest, OrderRequest
from cryptoterm.domain.trading.paper_account import PaperAccount, PaperTerms
from cryptoterm.domain.trading.paper_matching import on_candle

SYM = "BTC/USDT"
T0 = 1_723_161_600_000
WIDE = GuardLimits(max_order_notional=1e9, max_position_notional=1e9, daily_loss_limit=1e9)
LAST = MarketView(last=100.0)


def account() -> PaperAccount:
    return PaperAccount(PaperTerms("USDT", 10.0, 20.0, 50.0), WIDE, 100_000.0)


def candle(minute: int, o: float, h: float, lo: float, c: float, v: float = 100.0) -> Candle:
    return Candle(T0 + minute * 60_000, o, h, lo, c, v)


def req(cid: str, side: str, type_: str, qty: float, **kw: object) -> OrderRequest:
    return OrderRequest(client_id=cid, symbol=SYM, side=side, type=type_, qty=qty, **kw)  # type: ignore[arg-type]


def test_a_limit_fills_when_a_candle_trades_through_it() -> None:
    acct = account()
    order, _ = acct.place(req("a", "buy", "limit", 1.0, price=95.0), T0 - 1, LAST)
    assert not on_candle(acct, SYM, candle(0, 100, 101, 95.0, 99)).fills  # touched, not through
    changes = on_candle(acct, SYM, candle(1, 99, 99, 94.9, 96))
    assert [(f.price, f.qty, f.liquidity, f.time_ms) for f in changes.fills] == [
        (95.0, 1.0, "maker", T0 + 2 * 60_000 - 1)
    ]
    assert changes.orders[order.id].status == "filled"
    assert acct.marks[SYM] == 96


def test_a_candle_fills_no_more_than_its_volume() -> None:
    acct = account()
    acct.place(req("a", "buy", "limit", 5.0, price=95.0), T0 - 1, LAST)
    changes = on_candle(acct, SYM, candle(0, 96, 96, 90, 92, v=2.0))
    assert [f.qty for f in changes.fills] == [2.0]


def test_a_stop_fills_at_its_price_or_the_open_when_the_candle_gapped_through_it() -> None:
    acct = account()
    acct.place(req("long", "buy", "market", 2.0), T0 - 10, LAST)
    acct.place(req("a", "sell", "stop", 1.0, stop_price=97.0), T0 - 5, LAST)
    changes = on_candle(acct, SYM, candle(0, 99, 99, 96, 96.5))
    assert [f.price for f in changes.fills] == [pytest.approx(97.0 * 0.995)]
    acct.place(req("b", "sell", "stop", 1.0, stop_price=95.0), T0 + 60_000, MarketView(last=96.5))
    changes = on_candle(acct, SYM, candle(2, 93, 94, 92, 93))  # opened below the stop
    assert [(f.price, f.liquidity) for f in changes.fills] == [(pytest.approx(93.0 * 0.995), "taker")]


def test_within_one_candle_the_stop_goes_before_the_target() -> None:
    acct = account()
    entry = req("bk", "buy", "market", 1.0)
    acct.place_bracket(BracketRequest(entry=entry, stop=95.0, targets=((105.0, 1.0),)), T0 - 1, LAST)
    changes = on_candle(acct, SYM, candle(0, 100, 106, 94, 100))  # reached both the target and the stop
    ended = {o.request.client_id: o.status for o in changes.orders.values()}
    assert ended == {"bk:stop": "filled", "bk:t1": "cancelled"}
    assert [f.price for f in changes.fills] == [pytest.approx(95.0 * 0.995)]


def test_children_placed_in_a_candle_wait_for_the_next_one() -> None:
    acct = account()
    entry = req("bk", "buy", "limit", 1.0, price=99.0)
    acct.place_bracket(BracketRequest(entry=entry, stop=95.0, targets=((105.0, 1.0),)), T0 - 1, LAST)
    first = on_candle(acct, SYM, candle(0, 100, 106, 94, 100))  # the entry fills; its stop and target are new
    assert [f.price for f in first.fills] == [99.0]
    assert {o.request.client_id for o in acct.orders.values()} == {"bk:stop", "bk:t1"}
    second = on_candle(acct, SYM, candle(1, 100, 106, 99, 104))
    assert [(f.price, f.liquidity) for f in second.fills] == [(105.0, "maker")]


def test_a_stop_limit_triggered_in_a_candle_rests_as_a_limit_from_the_next() -> None:
    acct = account()
    order, _ = acct.place(req("a", "buy", "stop_limit", 1.0, stop_price=102.0, price=102.5), T0 - 1, LAST)
    first = on_candle(acct, SYM, candle(0, 100, 103, 100, 103))
    assert order.id in first.triggered and not first.fills
    second = on_candle(acct, SYM, candle(1, 103, 104, 102.0, 103))
    assert [f.price for f in second.fills] == [102.5]


def test_orders_placed_after_a_candle_opened_are_not_filled_by_it() -> None:
    acct = account()
    acct.place(req("a", "buy", "limit", 1.0, price=95.0), T0 + 30_000, LAST)
    assert not on_candle(acct, SYM, candle(0, 100, 100, 90, 91)).fills
