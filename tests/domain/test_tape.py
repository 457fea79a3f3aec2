"""Tape prints: one taker order is one print, small trades accumulate to the minimum, the other side ends a run."""

from __future__ import annotations

import pytest

from cryptoterm.domain.market import Trade
from cryptoterm.domain.tape import aggregate_prints, tape_summary


def _t(ts: int, price: float, qty: float, side: str) -> Trade:
    return Trade("BTC/USDT", ts, price, qty, side, ts)  # type: ignore[arg-type]


def test_without_a_minimum_only_one_taker_orders_trades_merge() -> None:
    trades = [_t(1, 100, 1, "buy"), _t(1, 101, 1, "buy"), _t(2, 101, 1, "buy"), _t(2, 100, 2, "sell")]
    prints = aggregate_prints(trades)
    assert [(p.ts, p.qty, p.side, p.trades) for p in prints] == [(1, 2, "buy", 2), (2, 1, "buy", 1), (2, 2, "sell", 1)]
    assert prints[0].price == pytest.approx(100.5)  # volume-weighted


def test_small_trades_accumulate_until_the_minimum_and_nothing_is_lost() -> None:
    trades = [_t(i, 100.0, 1.0, "buy") for i in range(7)] + [_t(10, 100.0, 1.0, "sell")]
    prints = aggregate_prints(trades, min_notional=300.0)
    assert [(p.qty, p.side) for p in prints] == [(3.0, "buy"), (3.0, "buy"), (1.0, "buy"), (1.0, "sell")]
    assert sum(p.qty for p in prints) == sum(t.qty for t in trades)
    assert prints[0].ts == 2  # the time of the run's last trade


def test_large_prints_are_flagged_and_the_flow_summed() -> None:
    trades = [_t(1, 100.0, 10.0, "buy"), _t(2, 100.0, 1.0, "sell"), _t(3, 100.0, 0.5, "sell")]
    prints = aggregate_prints(trades, large_notional=1000.0)
    assert [p.large for p in prints] == [True, False, False]
    assert tape_summary(prints) == (1000.0, 150.0)
    assert aggregate_prints([]) == []
    assert not aggregate_prints(trades)[0].large  # 0 = nothing is large
