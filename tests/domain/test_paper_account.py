"""The paper account on hand-made markets: every fill rule of `matching`, balances, guards and client ids."""

from __future__ import annotations

import pytest

from cryptoterm.domain.market import Trade
from cryptoterm.domain.trading.guards import GuardLimits
from cryptoterm.domain.trading.matching import MarketView
from cryptoterm.domain.trading.orders import OrderRejected, OrderRequest
from cryptoterm.domain.trading.paper_account import Changes, PaperAccount, PaperTerms
from cryptoterm.domain.trading.paper_matching import on_trade

SYM = "BTC/USDT"
T0 = 1_723_161_600_000  # 2024-08-09 00:00 UTC
BOOK = MarketView(bids=((99.0, 1.0), (98.0, 2.0)), asks=((100.0, 1.0), (101.0, 2.0)), last=99.5)
WIDE = GuardLimits(max_order_notional=1e9, max_position_notional=1e9, daily_loss_limit=1e9)


def account(
    cash: float = 10_000.0, limits: GuardLimits = WIDE, maker: float = 10.0, taker: float = 20.0
) -> PaperAccount:
    return PaperAccount(PaperTerms("USDT", maker, taker, 50.0), limits, cash)


def req(cid: str, side: str, type_: str, qty: float, **kw: object) -> OrderRequest:
    return OrderRequest(client_id=cid, symbol=SYM, side=side, type=type_, qty=qty, **kw)  # type: ignore[arg-type]


def trade(price: float, qty: float, side: str = "sell", ts: int = T0 + 1000, tid: int = 1) -> Trade:
    return Trade(SYM, ts, price, qty, side, tid)  # type: ignore[arg-type]


def no_book(_symbol: str) -> MarketView:
    return MarketView()


# ----------------------------------------------------------------- market orders
def test_market_buy_walks_the_asks_as_taker() -> None:
    acct = account()
    order, changes = acct.place(req("a", "buy", "market", 2.0), T0, BOOK)
    assert order.status == "filled"
    assert [(f.price, f.qty, f.liquidity) for f in changes.fills] == [(100.0, 1.0, "taker"), (101.0, 1.0, "taker")]
    assert order.avg_fill_price == pytest.approx(100.5)
    fees = (100.0 + 101.0) * 20 / 10_000
    assert order.fees == pytest.approx(fees)
    assert acct.cash == pytest.approx(10_000 - 201.0 - fees)
    position = acct.positions[(SYM, None)]
    assert position.qty == 2.0 and position.avg_price == pytest.approx(100.5)
    assert position.realized_pnl == pytest.approx(-fees)


def test_market_beyond_the_visible_depth_fills_at_the_last_level_plus_slippage() -> None:
    acct = account()
    _order, changes = acct.place(req("a", "sell", "market", 4.0), T0, BOOK)
    assert [(f.price, f.qty) for f in changes.fills] == [(99.0, 1.0), (98.0, 2.0), (pytest.approx(98.0 * 0.995), 1.0)]


def test_market_without_a_book_fills_at_the_last_trade_moved_by_slippage() -> None:
    acct = account()
    _order, changes = acct.place(req("a", "buy", "market", 1.0), T0, MarketView(last=200.0))
    assert [(f.price, f.qty) for f in changes.fills] == [(pytest.approx(201.0), 1.0)]


def test_no_price_at_all_is_refused() -> None:
    with pytest.raises(OrderRejected, match="no price for BTC/USDT yet"):
        account().place(req("a", "buy", "market", 1.0), T0, MarketView())


# ----------------------------------------------------------------- limit orders
def test_resting_buy_limit_fills_on_trades_through_it_at_the_limit_as_maker() -> None:
    acct = account()
    order, changes = acct.place(req("a", "buy", "limit", 1.0, price=95.0), T0, BOOK)
    assert order.status == "open" and not changes.fills
    assert not on_trade(acct, trade(95.5, 5.0), no_book).fills  # above the limit
    assert not on_trade(acct, trade(95.0, 5.0, side="buy"), no_book).fills  # at it, but a buyer took
    first = on_trade(acct, trade(94.0, 0.4, tid=2), no_book)  # through: up to the trade's quantity
    assert [(f.price, f.qty, f.liquidity, f.trade_id) for f in first.fills] == [(95.0, 0.4, "maker", "2")]
    assert first.orders[order.id].status == "partially_filled"
    second = on_trade(acct, trade(95.0, 3.0, side="sell", tid=3), no_book)  # at it, a seller hit the bids
    assert [(f.price, f.qty) for f in second.fills] == [(95.0, pytest.approx(0.6))]
    assert second.orders[order.id].status == "filled"
    assert second.fills[0].fee == pytest.approx(95.0 * 0.6 * 10 / 10_000)


def test_resting_sell_limit_fills_on_trades_above_or_buyers_at_it() -> None:
    acct = account()
    acct.place(req("long", "buy", "market", 1.0), T0, BOOK)
    order, _ = acct.place(req("a", "sell", "limit", 1.0, price=105.0), T0, BOOK)
    assert not on_trade(acct, trade(105.0, 2.0, side="sell"), no_book).fills
    changes = on_trade(acct, trade(105.0, 2.0, side="buy"), no_book)
    assert [(f.price, f.qty) for f in changes.fills] == [(105.0, 1.0)]
    assert changes.orders[order.id].status == "filled"


def test_one_trade_is_liquidity_shared_by_the_orders_it_reaches_oldest_first() -> None:
    acct = account()
    first, _ = acct.place(req("a", "buy", "limit", 1.0, price=95.0), T0, BOOK)
    second, _ = acct.place(req("b", "buy", "limit", 1.0, price=96.0), T0, BOOK)
    changes = on_trade(acct, trade(94.0, 1.5), no_book)
    assert [(f.order_id, f.qty) for f in changes.fills] == [(first.id, 1.0), (second.id, 0.5)]


def test_trades_before_an_order_was_placed_do_not_fill_it() -> None:
    acct = account()
    acct.place(req("a", "buy", "limit", 1.0, price=95.0), T0 + 5000, BOOK)
    assert not on_trade(acct, trade(90.0, 5.0, ts=T0 + 4999), no_book).fills
    assert on_trade(acct, trade(90.0, 5.0, ts=T0 + 5000), no_book).fills


def test_marketable_limit_takes_the_book_up_to_its_price_and_rests_the_rest() -> None:
    acct = account()
    order, changes = acct.place(req("a", "buy", "limit", 5.0, price=100.5), T0, BOOK)
    assert [(f.price, f.qty, f.liquidity) for f in changes.fills] == [(100.0, 1.0, "taker")]
    assert order.status == "partially_filled" and order.remaining_qty == 4.0
    later = on_trade(acct, trade(100.0, 10.0), no_book)
    assert [(f.price, f.qty, f.liquidity) for f in later.fills] == [(100.5, 4.0, "maker")]


def test_marketable_limit_without_a_book_fills_at_the_last_trade_capped_at_the_limit() -> None:
    acct = account()
    _order, changes = acct.place(req("a", "buy", "limit", 1.0, price=200.5), T0, MarketView(last=200.0))
    assert [(f.price, f.qty) for f in changes.fills] == [(200.5, 1.0)]  # 201 with slippage, capped at 200.5
    _order, changes = acct.place(req("b", "buy", "limit", 1.0, price=199.0), T0, MarketView(last=200.0))
    assert not changes.fills


# ----------------------------------------------------------------- stops
def test_stop_that_would_trigger_at_once_is_refused() -> None:
    with pytest.raises(OrderRejected, match=r"a buy stop at 99 is at or below the last trade 99\.5"):
        account().place(req("a", "buy", "stop", 1.0, stop_price=99.0), T0, BOOK)


def test_stop_triggers_on_a_trade_through_it_and_walks_the_book() -> None:
    acct = account()
    order, _ = acct.place(req("a", "buy", "stop", 2.0, stop_price=102.0), T0, BOOK)
    assert not on_trade(acct, trade(101.9, 1.0), lambda _s: BOOK).fills
    book = MarketView(asks=((102.5, 1.5), (103.0, 5.0)))
    changes = on_trade(acct, trade(102.0, 0.01, side="buy"), lambda _s: book)
    assert [(f.price, f.qty, f.liquidity) for f in changes.fills] == [(102.5, 1.5, "taker"), (103.0, 0.5, "taker")]
    assert changes.orders[order.id].status == "filled"


def test_sell_stop_without_a_book_fills_at_the_trigger_trade_less_slippage() -> None:
    acct = account()
    acct.place(req("long", "buy", "market", 1.0), T0, BOOK)
    acct.place(req("a", "sell", "stop", 1.0, stop_price=97.0), T0, BOOK)
    changes = on_trade(acct, trade(96.0, 0.1), no_book)
    assert [(f.price, f.qty) for f in changes.fills] == [(pytest.approx(96.0 * 0.995), 1.0)]


def test_stop_limit_becomes_a_limit_once_triggered() -> None:
    acct = account()
    order, _ = acct.place(req("a", "buy", "stop_limit", 1.0, stop_price=102.0, price=102.2), T0, BOOK)
    book = MarketView(asks=((102.4, 3.0),))
    changes = on_trade(acct, trade(102.1, 0.1, side="buy"), lambda _s: book)
    assert not changes.fills and order.id in changes.triggered
    assert order.id in acct.triggered
    # a trade at 102.3 is above the limit: nothing; one through it fills at the limit as maker
    assert not on_trade(acct, trade(102.3, 1.0, side="sell"), lambda _s: book).fills
    changes = on_trade(acct, trade(102.0, 1.0, side="sell"), lambda _s: book)
    assert [(f.price, f.qty, f.liquidity) for f in changes.fills] == [(102.2, 1.0, "maker")]


def test_stop_limit_takes_what_the_book_gives_at_once_when_triggered() -> None:
    acct = account()
    acct.place(req("a", "buy", "stop_limit", 2.0, stop_price=102.0, price=102.5), T0, BOOK)
    book = MarketView(asks=((102.4, 0.5), (102.6, 5.0)))
    changes = on_trade(acct, trade(102.0, 0.1, side="buy"), lambda _s: book)
    assert [(f.price, f.qty, f.liquidity) for f in changes.fills] == [(102.4, 0.5, "taker")]


# ----------------------------------------------------------------- positions, reduce-only, balance
def test_flip_closes_the_long_and_opens_a_short_at_the_fill_price() -> None:
    acct = account(maker=0.0, taker=0.0)
    acct.place(req("a", "buy", "market", 1.0), T0, MarketView(last=100.0))  # 100.5 with slippage
    _order, changes = acct.place(req("b", "sell", "market", 3.0), T0 + 10, MarketView(last=110.0))
    price = 110.0 * 0.995
    closed = [event for event in changes.positions if event.closed_ms is not None]
    assert len(closed) == 1 and closed[0].position.realized_pnl == pytest.approx(price - 100.5)
    short = acct.positions[(SYM, None)]
    assert short.qty == pytest.approx(-2.0) and short.avg_price == pytest.approx(price)
    assert short.opened_ms == T0 + 10 and short.realized_pnl == 0.0


def test_reduce_only_is_refused_when_flat_and_clipped_to_the_position() -> None:
    acct = account()
    with pytest.raises(OrderRejected, match="reduce-only sell: no BTC/USDT position to reduce"):
        acct.place(req("a", "sell", "market", 1.0, reduce_only=True), T0, BOOK)
    acct.place(req("b", "buy", "market", 0.5), T0, BOOK)
    order, changes = acct.place(req("c", "sell", "limit", 2.0, price=98.5, reduce_only=True), T0, BOOK)
    assert [(f.price, f.qty) for f in changes.fills] == [(99.0, 0.5)]
    assert order.status == "cancelled" and order.reason == "reduce-only: no position left to reduce"
    assert (SYM, None) not in acct.positions


def test_an_order_needing_more_than_the_free_balance_is_refused() -> None:
    acct = account(cash=150.0)
    with pytest.raises(
        OrderRejected, match=r"insufficient balance: the order needs 201\.\d\d USDT, 150\.00 USDT is free"
    ):
        acct.place(req("a", "buy", "market", 2.0), T0, BOOK)
    assert acct.cash == 150.0 and not acct.orders


def test_open_orders_lock_quote_and_closing_orders_need_none() -> None:
    acct = account(cash=1_000.0)
    acct.place(req("a", "buy", "limit", 5.0, price=90.0), T0, BOOK)
    assert acct.locked_quote() == pytest.approx(5 * 90 * 1.002)
    with pytest.raises(OrderRejected, match="insufficient balance"):
        acct.place(req("b", "buy", "limit", 6.5, price=90.0), T0, BOOK)
    on_trade(acct, trade(89.0, 5.0), no_book)
    held = acct.positions[(SYM, None)].qty
    assert held == 5.0 and acct.locked_quote() == 0.0
    # selling what is held needs no balance even with almost nothing free
    acct.place(req("c", "sell", "limit", 5.0, price=150.0), T0 + 2000, BOOK)
    assert acct.locked_quote() == 0.0


def test_a_short_holds_its_proceeds_and_as_much_again() -> None:
    acct = account(cash=1_000.0, maker=0.0, taker=0.0)
    acct.place(req("a", "sell", "market", 1.0), T0, MarketView(last=100.0))
    price = 100.0 * 0.995
    assert acct.cash == pytest.approx(1_000 + price)
    # marked at the last trade (100): buying it back twice over
    assert acct.locked_quote() == pytest.approx(2 * 100.0)
    assert acct.free_quote() == pytest.approx(1_000 + price - 200.0)
    assert acct.equity() == pytest.approx(1_000 + price - 100.0)


def test_guards_refuse_before_anything_changes() -> None:
    limits = GuardLimits(max_order_notional=150.0, max_position_notional=240.0, daily_loss_limit=50.0)
    acct = account(limits=limits)
    with pytest.raises(OrderRejected, match=r"order notional 200\.00 USDT exceeds \[trading\]\.max_order_notional"):
        acct.place(req("a", "buy", "market", 2.0), T0, BOOK)
    acct.place(req("b", "buy", "market", 1.0), T0, BOOK)
    with pytest.raises(OrderRejected, match="max_position_notional"):
        acct.place(req("c", "buy", "limit", 1.5, price=99.0), T0, BOOK)
    assert len(acct.orders) == 0 and acct.positions[(SYM, None)].qty == 1.0


def test_daily_loss_limit_counts_the_unrealized_move_since_midnight() -> None:
    limits = GuardLimits(max_order_notional=1e6, max_position_notional=1e6, daily_loss_limit=50.0)
    acct = account(limits=limits, maker=0.0, taker=0.0)
    acct.place(req("a", "buy", "market", 10.0), T0, MarketView(last=100.0))
    on_trade(acct, trade(95.0, 1.0, ts=T0 + 60_000), no_book)  # 10 × (95 − 100.5) = −55
    with pytest.raises(OrderRejected, match=r"today's loss 55\.00 USDT has reached \[trading\]\.daily_loss_limit"):
        acct.place(req("b", "buy", "market", 1.0), T0 + 60_001, MarketView(last=95.0))
    acct.place(req("c", "sell", "market", 5.0), T0 + 60_002, MarketView(last=95.0))  # reducing passes
    # the next UTC day starts from the equity then: new risk is taken again
    on_trade(acct, trade(95.0, 1.0, ts=T0 + 86_400_000), no_book)
    acct.place(req("d", "buy", "market", 1.0), T0 + 86_400_001, MarketView(last=95.0))


def test_a_client_id_is_used_once() -> None:
    acct = account()
    order, _ = acct.place(req("same", "buy", "limit", 1.0, price=90.0), T0, BOOK)
    with pytest.raises(OrderRejected, match=f"client id 'same' was already used by order {order.id}"):
        acct.place(req("same", "buy", "limit", 1.0, price=90.0), T0, BOOK)
    assert acct.find_client("same") == order


def test_other_quote_assets_are_refused() -> None:
    request = OrderRequest(client_id="x", symbol="ETH/BTC", side="buy", type="market", qty=1.0)
    with pytest.raises(OrderRejected, match=r"ETH/BTC: the paper account counts in USDT and trades only \*/USDT"):
        account().place(request, T0, BOOK)


def test_cancel_returns_the_cancelled_order_and_final_orders_unchanged() -> None:
    acct = account()
    order, _ = acct.place(req("a", "buy", "limit", 1.0, price=90.0), T0, BOOK)
    cancelled, changes = acct.cancel(order.id, T0 + 5)
    assert cancelled.status == "cancelled" and cancelled.reason == "cancelled by the trader"
    assert changes.orders[order.id] == cancelled and not acct.orders
    again, changes = acct.cancel(order.id, T0 + 6)
    assert again == cancelled and not changes
    with pytest.raises(KeyError):
        acct.cancel("P999", T0)
    assert not on_trade(acct, trade(80.0, 5.0), no_book).fills


def test_equity_is_the_start_plus_realized_and_unrealized_of_every_position() -> None:
    acct = account()
    closed: list[float] = []

    def keep(changes: Changes) -> None:
        closed.extend(event.position.realized_pnl for event in changes.positions if event.closed_ms is not None)

    keep(acct.place(req("a", "buy", "market", 1.5), T0, BOOK)[1])
    keep(acct.place(req("b", "sell", "limit", 1.0, price=104.0), T0, BOOK)[1])
    keep(acct.place(req("c", "sell", "market", 2.5), T0 + 1, BOOK)[1])  # closes the long, opens a short of 1
    keep(on_trade(acct, trade(97.0, 1.0, ts=T0 + 2000), no_book))
    assert len(closed) == 1
    long_avg = (100.0 + 0.5 * 101.0) / 1.5
    long_fees = (100.0 + 0.5 * 101.0) * 0.002 + (99.0 + 98.0 * 0.5) * 0.002
    assert closed[0] == pytest.approx((99.0 - long_avg) * 1.0 + (98.0 - long_avg) * 0.5 - long_fees)
    open_part = sum(p.realized_pnl + p.unrealized(97.0) for p in acct.positions.values())
    assert acct.equity() == pytest.approx(10_000.0 + closed[0] + open_part)
    short = acct.positions[(SYM, None)]
    assert short.qty == pytest.approx(-1.0)


def test_a_triggered_stop_never_fills_better_than_the_trade_that_triggered_it() -> None:
    acct = account()
    acct.place(req("long", "buy", "market", 2.0), T0, BOOK)
    acct.place(req("a", "sell", "stop", 2.0, stop_price=97.0), T0, BOOK)
    stale = MarketView(bids=((98.5, 1.0), (96.0, 5.0)))  # the book has not caught up with the drop yet
    changes = on_trade(acct, trade(96.5, 0.1), lambda _s: stale)
    assert [(f.price, f.qty) for f in changes.fills] == [(96.5, 1.0), (96.0, 1.0)]
