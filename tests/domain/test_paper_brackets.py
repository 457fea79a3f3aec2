"""Brackets on the paper account: children follow the entry's fills, one side reduces the other, OCO when flat."""

from __future__ import annotations

import pytest

from cryptoterm.domain.market import Trade
from cryptoterm.domain.trading.guards import GuardLimits
from cryptoterm.domain.trading.matching import MarketView
from cryptoterm.domain.trading.orders import BracketRequest, Order, OrderRejected, OrderRequest
from cryptoterm.domain.trading.paper_account import PaperAccount, PaperTerms
from cryptoterm.domain.trading.paper_matching import on_trade

SYM = "ETH/USDT"
T0 = 1_723_161_600_000
WIDE = GuardLimits(max_order_notional=1e9, max_position_notional=1e9, daily_loss_limit=1e9)
BOOK = MarketView(bids=((99.0, 10.0),), asks=((100.0, 10.0),), last=99.5)


def no_book(_symbol: str) -> MarketView:
    return MarketView()


def account() -> PaperAccount:
    return PaperAccount(PaperTerms("USDT", 0.0, 0.0, 0.0), WIDE, 100_000.0)


def bracket(
    qty: float = 4.0, price: float = 98.0, stop: float = 95.0, targets=((105.0, 0.5), (110.0, 0.5))
) -> BracketRequest:  # type: ignore[no-untyped-def]
    entry = OrderRequest(client_id="bk", symbol=SYM, side="buy", type="limit", qty=qty, price=price, setup_id=7)
    return BracketRequest(entry=entry, stop=stop, targets=targets)


_ids = iter(range(10, 10_000))


def trade(price: float, qty: float, side: str = "sell", ts: int = T0 + 1000) -> Trade:
    return Trade(SYM, ts, price, qty, side, next(_ids))  # type: ignore[arg-type]


def children(acct: PaperAccount) -> dict[str, Order]:
    return {
        o.request.client_id: o for o in acct.orders.values() if o.request.bracket_id == "bk" and o.request.reduce_only
    }


def test_nothing_is_placed_before_the_entry_fills() -> None:
    acct = account()
    entry, changes = acct.place_bracket(bracket(), T0, BOOK)
    assert entry.status == "open" and list(changes.brackets) == [entry.id]
    assert children(acct) == {}


def test_entry_fill_places_a_stop_for_all_and_targets_for_their_shares() -> None:
    acct = account()
    acct.place_bracket(bracket(), T0, BOOK)
    on_trade(acct, trade(97.0, 10.0), no_book)
    kids = children(acct)
    assert set(kids) == {"bk:stop", "bk:t1", "bk:t2"}
    stop, t1, t2 = kids["bk:stop"].request, kids["bk:t1"].request, kids["bk:t2"].request
    assert (stop.type, stop.side, stop.qty, stop.stop_price, stop.reduce_only) == ("stop", "sell", 4.0, 95.0, True)
    assert (t1.type, t1.price, t1.qty) == ("limit", 105.0, 2.0)
    assert (t2.type, t2.price, t2.qty) == ("limit", 110.0, 2.0)
    assert stop.setup_id == 7 and t1.bracket_id == "bk"


def test_partial_entry_fills_grow_the_children() -> None:
    acct = account()
    acct.place_bracket(bracket(), T0, BOOK)
    on_trade(acct, trade(97.0, 1.0), no_book)
    kids = children(acct)
    assert (kids["bk:stop"].request.qty, kids["bk:t1"].request.qty, kids["bk:t2"].request.qty) == (1.0, 0.5, 0.5)
    on_trade(acct, trade(97.0, 2.0, ts=T0 + 2000), no_book)
    kids = children(acct)
    assert (kids["bk:stop"].remaining_qty, kids["bk:t1"].remaining_qty, kids["bk:t2"].remaining_qty) == (3.0, 1.5, 1.5)


def test_a_target_fill_shrinks_the_stop_and_the_last_target_cancels_it() -> None:
    acct = account()
    acct.place_bracket(bracket(), T0, BOOK)
    on_trade(acct, trade(97.0, 10.0), no_book)
    on_trade(acct, trade(106.0, 10.0, side="buy", ts=T0 + 2000), no_book)
    kids = children(acct)
    assert set(kids) == {"bk:stop", "bk:t2"} and kids["bk:stop"].remaining_qty == 2.0
    changes = on_trade(acct, trade(111.0, 10.0, side="buy", ts=T0 + 3000), no_book)
    stop = next(o for o in changes.orders.values() if o.request.client_id == "bk:stop")
    assert stop.status == "cancelled" and stop.reason == "bracket: the position is flat"
    assert children(acct) == {} and (SYM, None) not in acct.positions
    assert acct.cash == pytest.approx(100_000 - 4 * 98 + 2 * 105 + 2 * 110)


def test_a_stop_fill_cancels_the_targets_and_the_unfilled_entry() -> None:
    acct = account()
    entry, _ = acct.place_bracket(bracket(), T0, BOOK)
    on_trade(acct, trade(97.0, 3.0), no_book)  # 3 of 4 filled
    # a trade at 94 goes through the entry's limit first (0.1 more bought at 98), then triggers the stop,
    # which sells all 3.1 held at 94
    changes = on_trade(acct, trade(94.0, 0.1, ts=T0 + 2000), no_book)
    stop_id = next(o.id for o in changes.orders.values() if o.request.client_id == "bk:stop")
    assert [(f.order_id, f.price, f.qty) for f in changes.fills] == [
        (entry.id, 98.0, 0.1),
        (stop_id, 94.0, pytest.approx(3.1)),
    ]
    ended = {o.request.client_id: (o.status, o.reason) for o in changes.orders.values()}
    assert ended["bk"] == ("cancelled", "bracket: the stop filled")
    assert ended["bk:t1"] == ("cancelled", "bracket: the stop filled")
    assert ended["bk:t2"] == ("cancelled", "bracket: the stop filled")
    assert not acct.orders and (SYM, None) not in acct.positions
    assert acct.find_client("bk").id == entry.id  # type: ignore[union-attr]


def test_flat_then_more_entry_places_the_children_again() -> None:
    acct = account()
    acct.place_bracket(bracket(targets=((105.0, 1.0),)), T0, BOOK)
    on_trade(acct, trade(97.0, 1.0), no_book)
    on_trade(acct, trade(106.0, 5.0, side="buy", ts=T0 + 2000), no_book)  # the target takes the 1 held: flat
    assert children(acct) == {}
    on_trade(acct, trade(97.0, 2.0, ts=T0 + 3000), no_book)  # two more of the entry
    kids = children(acct)
    assert set(kids) == {"bk:stop#2", "bk:t1#2"}
    assert kids["bk:stop#2"].remaining_qty == 2.0 and kids["bk:t1#2"].remaining_qty == 2.0


def test_a_child_the_trader_cancelled_is_not_placed_again() -> None:
    acct = account()
    acct.place_bracket(bracket(), T0, BOOK)
    on_trade(acct, trade(97.0, 2.0), no_book)
    t1 = children(acct)["bk:t1"]
    acct.cancel(t1.id, T0 + 1500)
    on_trade(acct, trade(97.0, 2.0, ts=T0 + 2000), no_book)
    kids = children(acct)
    assert set(kids) == {"bk:stop", "bk:t2"}
    assert kids["bk:stop"].remaining_qty == 4.0 and kids["bk:t2"].remaining_qty == 2.0


def test_a_market_entry_places_its_children_at_once() -> None:
    acct = account()
    entry = OrderRequest(client_id="bk", symbol=SYM, side="sell", type="market", qty=2.0)
    order, changes = acct.place_bracket(BracketRequest(entry=entry, stop=104.0, targets=((90.0, 1.0),)), T0, BOOK)
    assert order.status == "filled"
    kids = children(acct)
    assert kids["bk:stop"].request.side == "buy" and kids["bk:stop"].request.stop_price == 104.0
    assert kids["bk:t1"].request.price == 90.0 and kids["bk:t1"].request.qty == 2.0
    assert len(changes.orders) == 3


def test_an_inconsistent_bracket_is_refused_with_the_bracket_line() -> None:
    with pytest.raises(OrderRejected, match=r"the stop 99\.0 is on the wrong side of the entry 98\.0 for a buy"):
        account().place_bracket(bracket(stop=99.0), T0, BOOK)


def test_bracket_survives_a_restore_from_its_stored_orders() -> None:
    acct = account()
    entry, changes = acct.place_bracket(bracket(), T0, BOOK)
    plan = changes.brackets[entry.id]
    on_trade(acct, trade(97.0, 4.0), no_book)
    stored = sorted([*acct.orders.values(), *acct.recent], key=lambda o: int(o.id[1:]))
    again = account()
    again.cash = acct.cash
    again.restore(acct.positions.values(), stored, [plan], acct.triggered)
    on_trade(again, trade(106.0, 10.0, side="buy", ts=T0 + 5000), no_book)
    kids = children(again)
    assert set(kids) == {"bk:stop", "bk:t2"} and kids["bk:stop"].remaining_qty == 2.0
    assert again.new_order(OrderRequest("z", SYM, "buy", "limit", 1.0, price=1.0), T0).id == "P5"
