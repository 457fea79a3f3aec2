"""Properties of the paper account over random markets: equity is always the start plus every position's realized
and unrealized profit, cash is the fills' cash flow, and no order ever fills more than it asked."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cryptoterm.domain.market import Trade
from cryptoterm.domain.trading.guards import GuardLimits
from cryptoterm.domain.trading.matching import MarketView
from cryptoterm.domain.trading.orders import OrderRejected, OrderRequest
from cryptoterm.domain.trading.paper_account import Changes, PaperAccount, PaperTerms
from cryptoterm.domain.trading.paper_matching import on_trade
from cryptoterm.domain.trading.positions import apply_fill

SYM = "SOL/USDT"
WIDE = GuardLimits(max_order_notional=1e9, max_position_notional=1e9, daily_loss_limit=1e9)

prices = st.floats(min_value=50.0, max_value=150.0, allow_nan=False).map(lambda p: round(p, 2))
qtys = st.floats(min_value=0.01, max_value=5.0, allow_nan=False).map(lambda q: round(q, 3))
actions = st.lists(
    st.one_of(
        st.tuples(st.just("market"), st.sampled_from(["buy", "sell"]), qtys, st.booleans()),
        st.tuples(st.just("limit"), st.sampled_from(["buy", "sell"]), qtys, prices),
        st.tuples(st.just("stop"), st.sampled_from(["buy", "sell"]), qtys, prices),
        st.tuples(st.just("trade"), st.sampled_from(["buy", "sell"]), qtys, prices),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(actions)
def test_equity_is_start_plus_realized_plus_unrealized(steps: list[tuple[str, str, float, object]]) -> None:
    acct = PaperAccount(PaperTerms("USDT", 10.0, 20.0, 5.0), WIDE, 1_000_000.0)
    closed = 0.0
    cash_flow = 0.0
    last = 100.0
    ts = 1_700_000_000_000

    def keep(changes: Changes) -> None:
        nonlocal closed, cash_flow
        closed += sum(e.position.realized_pnl for e in changes.positions if e.closed_ms is not None)
        for fill in changes.fills:
            cash_flow += (fill.qty * fill.price if fill.side == "sell" else -fill.qty * fill.price) - fill.fee
        for order in changes.orders.values():
            assert order.filled_qty <= order.request.qty + 1e-9

    for i, (kind, side, qty, extra) in enumerate(steps):
        ts += 1000
        market = MarketView(bids=((last - 0.05, 2.0),), asks=((last + 0.05, 2.0),), last=last)
        try:
            if kind == "market":
                keep(
                    acct.place(OrderRequest(f"m{i}", SYM, side, "market", qty, reduce_only=bool(extra)), ts, market)[1]
                )  # type: ignore[arg-type]
            elif kind == "limit":
                keep(acct.place(OrderRequest(f"l{i}", SYM, side, "limit", qty, price=float(extra)), ts, market)[1])  # type: ignore[arg-type, arg-type]
            elif kind == "stop":
                keep(acct.place(OrderRequest(f"s{i}", SYM, side, "stop", qty, stop_price=float(extra)), ts, market)[1])  # type: ignore[arg-type, arg-type]
            else:
                last = float(extra)  # type: ignore[arg-type]
                keep(on_trade(acct, Trade(SYM, ts, last, qty, side, i), lambda _s: MarketView()))  # type: ignore[arg-type]
        except OrderRejected:
            pass
    open_part = sum(p.realized_pnl + p.unrealized(acct.mark(p)) for p in acct.positions.values())
    assert acct.equity() == pytest.approx(1_000_000.0 + closed + open_part, abs=1e-6)
    assert acct.cash == pytest.approx(1_000_000.0 + cash_flow, abs=1e-6)


def test_apply_fill_splits_a_flip_fee_between_the_closed_and_the_new_position() -> None:
    from cryptoterm.domain.trading.orders import Fill

    first = apply_fill(None, Fill("1", SYM, "buy", 2.0, 100.0, 0.4, 1, "taker"), "paper")
    assert first.current is not None and first.current.qty == 2.0 and first.realized == pytest.approx(-0.4)
    flip = apply_fill(first.current, Fill("2", SYM, "sell", 5.0, 110.0, 1.0, 2, "taker"), "paper")
    assert flip.closed is not None and flip.closed.qty == 2.0  # the long it closed, as held
    assert flip.current is not None
    assert flip.closed.realized_pnl == pytest.approx(-0.4 + 20.0 - 0.4)  # 2/5 of the fee closes the long
    assert flip.current.qty == -3.0 and flip.current.avg_price == 110.0 and flip.current.opened_ms == 2
    assert flip.current.realized_pnl == pytest.approx(-0.6)
    assert flip.realized == pytest.approx(20.0 - 1.0)
    flat = apply_fill(flip.current, Fill("3", SYM, "buy", 3.0, 100.0, 0.0, 3, "taker"), "paper")
    assert flat.current is None and flat.closed is not None and flat.closed.qty == -3.0
    assert flat.realized == pytest.approx(30.0)
