"""The order guards: each limit refuses with one line naming it and the values; reducing orders always pass."""

from __future__ import annotations

import pytest

from cryptoterm.domain.trading.guards import (
    GuardContext,
    GuardLimits,
    check_order,
    day_pnl,
    day_start_ms,
    guard_problem,
    max_qty,
    open_qty_by_side,
    reference_price,
)
from cryptoterm.domain.trading.orders import Order, OrderRejected, OrderRequest

LIMITS = GuardLimits(max_order_notional=1_000.0, max_position_notional=5_000.0, daily_loss_limit=500.0)


def _buy(qty: float, **kw: object) -> OrderRequest:
    return OrderRequest(client_id="c1", symbol="BTC/USDT", side="buy", type="market", qty=qty, **kw)  # type: ignore[arg-type]


def _sell(qty: float, **kw: object) -> OrderRequest:
    return OrderRequest(client_id="c2", symbol="BTC/USDT", side="sell", type="market", qty=qty, **kw)  # type: ignore[arg-type]


def test_order_within_every_limit_passes() -> None:
    assert guard_problem(_buy(0.01), 50_000.0, GuardContext(), LIMITS) is None


def test_order_notional_above_the_limit_is_refused_naming_limit_and_value() -> None:
    problem = guard_problem(_buy(0.025), 50_000.0, GuardContext(), LIMITS)
    assert problem == "order notional 1,250.00 USDT exceeds [trading].max_order_notional 1,000.00 USDT"


def test_order_at_exactly_the_limit_passes() -> None:
    assert guard_problem(_buy(0.02), 50_000.0, GuardContext(), LIMITS) is None


def test_position_after_the_order_counts_the_held_position() -> None:
    context = GuardContext(position_qty=0.09)
    problem = guard_problem(_buy(0.02), 50_000.0, context, LIMITS)
    assert problem is not None
    assert "BTC/USDT position would reach 5,500.00 USDT" in problem
    assert "[trading].max_position_notional 5,000.00 USDT" in problem
    assert guard_problem(_buy(0.01), 50_000.0, context, LIMITS) is None


def test_position_limit_counts_open_orders_on_the_same_side() -> None:
    context = GuardContext(position_qty=0.05, open_buy_qty=0.04)
    assert guard_problem(_buy(0.02), 50_000.0, context, LIMITS) is not None
    # open sells do not add to a long
    assert guard_problem(_buy(0.02), 50_000.0, GuardContext(position_qty=0.05, open_sell_qty=0.04), LIMITS) is None


def test_short_position_limit_applies_to_sells() -> None:
    problem = guard_problem(_sell(0.02), 50_000.0, GuardContext(position_qty=-0.09), LIMITS)
    assert problem is not None and "position would reach 5,500.00 USDT" in problem


def test_daily_loss_at_the_limit_refuses_new_risk() -> None:
    problem = guard_problem(_buy(0.01), 50_000.0, GuardContext(day_pnl=-500.0), LIMITS)
    assert problem is not None
    assert problem.startswith("today's loss 500.00 USDT has reached [trading].daily_loss_limit 500.00 USDT")
    assert guard_problem(_buy(0.01), 50_000.0, GuardContext(day_pnl=-499.99), LIMITS) is None


def test_reducing_orders_pass_every_limit() -> None:
    # a long of 0.2 BTC (10,000 USDT, over every limit) after a losing day can still be sold off in one order
    context = GuardContext(position_qty=0.2, day_pnl=-900.0)
    assert guard_problem(_sell(0.2), 50_000.0, context, LIMITS) is None
    # but selling more than held flips the position: that is new risk and is checked
    assert guard_problem(_sell(0.25), 50_000.0, context, LIMITS) is not None


def test_reducing_order_counts_other_open_reducing_orders() -> None:
    context = GuardContext(position_qty=0.2, open_sell_qty=0.15, day_pnl=-900.0)
    assert guard_problem(_sell(0.05), 50_000.0, context, LIMITS) is None
    assert guard_problem(_sell(0.1), 50_000.0, context, LIMITS) is not None


def test_reduce_only_requests_pass() -> None:
    assert guard_problem(_sell(1.0, reduce_only=True), 50_000.0, GuardContext(day_pnl=-900.0), LIMITS) is None


def test_no_reference_price_is_refused() -> None:
    assert guard_problem(_buy(1.0), float("nan"), GuardContext(), LIMITS) == (
        "no price to value the BTC/USDT order against (got nan)"
    )


def test_check_order_raises_order_rejected_with_the_line() -> None:
    with pytest.raises(OrderRejected, match="max_order_notional"):
        check_order(_buy(1.0), 50_000.0, GuardContext(), LIMITS)


def test_day_start_and_day_pnl() -> None:
    # 2024-08-09 00:05:05 UTC → 2024-08-09 00:00:00 UTC
    assert day_start_ms(1_723_161_905_000) == 1_723_161_600_000
    assert day_start_ms(1_723_161_600_000) == 1_723_161_600_000
    # realized -120 today; a position that was +300 at midnight is +100 now: the day lost 320
    assert day_pnl(-120.0, 100.0, 300.0) == -320.0


def test_reference_price_of_each_order_type() -> None:
    limit = OrderRequest(client_id="a", symbol="X/USDT", side="buy", type="limit", qty=1, price=9.0)
    stop = OrderRequest(client_id="b", symbol="X/USDT", side="sell", type="stop", qty=1, stop_price=8.0)
    assert reference_price(limit, 9.5, 10.5, 10.0) == 9.0
    assert reference_price(stop, 9.5, 10.5, 10.0) == 8.0
    assert reference_price(_buy(1), 9.5, 10.5, 10.0) == 10.5
    assert reference_price(_sell(1), 9.5, 10.5, 10.0) == 9.5
    assert reference_price(_sell(1), None, None, 10.0) == 10.0
    assert reference_price(_sell(1), None, None, None) is None


def test_max_qty_is_the_tighter_of_the_two_notional_limits() -> None:
    assert max_qty("buy", 50_000.0, GuardContext(), LIMITS) == pytest.approx(0.02)
    assert max_qty("buy", 50_000.0, GuardContext(position_qty=0.095), LIMITS) == pytest.approx(0.005)
    assert max_qty("sell", 50_000.0, GuardContext(position_qty=-0.1), LIMITS) == 0.0
    assert max_qty("buy", 0.0, GuardContext(), LIMITS) == 0.0
    # the largest quantity passes, a little more does not
    qty = max_qty("buy", 50_000.0, GuardContext(position_qty=0.095), LIMITS)
    assert guard_problem(_buy(qty), 50_000.0, GuardContext(position_qty=0.095), LIMITS) is None
    assert guard_problem(_buy(qty * 1.01), 50_000.0, GuardContext(position_qty=0.095), LIMITS) is not None


def test_open_qty_by_side_skips_final_other_symbols_and_reduce_only() -> None:
    def order(side: str, qty: float, filled: float, status: str, symbol: str = "BTC/USDT", ro: bool = False) -> Order:
        request = OrderRequest(
            client_id=f"{side}{qty}{status}", symbol=symbol, side=side, type="limit", qty=qty, price=1.0, reduce_only=ro
        )  # type: ignore[arg-type]
        return Order(
            id=request.client_id,
            request=request,
            status=status,
            mode="paper",
            created_ms=0,
            updated_ms=0,
            filled_qty=filled,
        )  # type: ignore[arg-type]

    orders = [
        order("buy", 1.0, 0.25, "partially_filled"),
        order("buy", 2.0, 0.0, "open"),
        order("buy", 5.0, 5.0, "filled"),
        order("sell", 3.0, 0.0, "open"),
        order("sell", 4.0, 0.0, "open", ro=True),
        order("sell", 7.0, 0.0, "open", symbol="ETH/USDT"),
    ]
    assert open_qty_by_side(orders, "BTC/USDT") == (2.75, 3.0)
