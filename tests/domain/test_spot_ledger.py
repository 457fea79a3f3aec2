"""A spot account read back from its trades: average entry by average cost, the day's profit marked to market."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cryptoterm.domain.trading.spot_ledger import SpotTrade, average_cost, day_pnl


def test_average_cost_counts_fees_and_the_fee_taken_in_the_coin_bought() -> None:
    trades = [
        SpotTrade("buy", 0.01, 60_000.0, 1, base_fee=0.00001),  # holds 0.00999 for 600
        SpotTrade("buy", 0.01, 62_000.0, 2, base_fee=0.00001),  # holds 0.01998 for 1220
    ]
    cost = average_cost(trades, held=0.01998)
    assert cost.avg_price == pytest.approx(1220.0 / 0.01998)
    assert cost.realized == 0.0
    assert cost.opened_ms == 1


def test_a_sell_realizes_against_the_average_and_keeps_it() -> None:
    trades = [
        SpotTrade("buy", 2.0, 100.0, 1),
        SpotTrade("buy", 2.0, 200.0, 2),
        SpotTrade("sell", 1.0, 180.0, 3, quote_fee=0.18),
    ]
    cost = average_cost(trades, held=3.0)
    assert cost.avg_price == pytest.approx(150.0)
    assert cost.realized == pytest.approx(180.0 - 150.0 - 0.18)


def test_a_holding_that_went_flat_starts_afresh() -> None:
    trades = [
        SpotTrade("buy", 1.0, 100.0, 1),
        SpotTrade("sell", 1.0, 120.0, 2),
        SpotTrade("buy", 1.0, 300.0, 3),
    ]
    cost = average_cost(trades, held=1.0)
    assert cost.avg_price == pytest.approx(300.0)
    assert cost.opened_ms == 3
    assert cost.realized == pytest.approx(20.0)


def test_a_holding_the_trades_do_not_explain_has_no_entry_price() -> None:
    assert math.isnan(average_cost([], held=0.5).avg_price)
    assert math.isnan(average_cost([SpotTrade("sell", 0.5, 100.0, 1)], held=0.5).avg_price)


def test_day_pnl_of_a_position_held_from_yesterday_counts_only_todays_move() -> None:
    assert day_pnl(held_now=2.0, mark=110.0, day_open=100.0, todays_trades=[]) == pytest.approx(20.0)


def test_day_pnl_of_todays_round_trip_is_its_profit_less_fees() -> None:
    trades = [
        SpotTrade("buy", 1.0, 100.0, 1, base_fee=0.001),
        SpotTrade("sell", 0.999, 105.0, 2, quote_fee=0.104895),
    ]
    expected = 0.999 * 105.0 - 0.104895 - 100.0
    assert day_pnl(held_now=0.0, mark=90.0, day_open=80.0, todays_trades=trades) == pytest.approx(expected)


_trade = st.builds(
    SpotTrade,
    side=st.sampled_from(["buy", "sell"]),
    qty=st.floats(0.001, 10.0),
    price=st.floats(1.0, 1000.0),
    time_ms=st.integers(0, 10**6),
    quote_fee=st.floats(0.0, 1.0),
)


@given(st.lists(_trade, max_size=12), st.floats(0.0, 10.0), st.floats(1.0, 1000.0), st.floats(1.0, 1000.0))
def test_day_pnl_equals_the_change_of_the_accounts_value(
    trades: list[SpotTrade], held_at_start: float, day_open: float, mark: float
) -> None:
    # Independent reckoning: the account's value (quote + base at the price) now minus at the day's start.
    base, quote = held_at_start, 0.0
    for trade in trades:
        base += (trade.qty if trade.side == "buy" else -trade.qty) - trade.base_fee
        quote += (trade.qty * trade.price) * (1 if trade.side == "sell" else -1) - trade.quote_fee
    expected = (base * mark + quote) - held_at_start * day_open
    assert day_pnl(base, mark, day_open, trades) == pytest.approx(expected, rel=1e-9, abs=1e-6)
