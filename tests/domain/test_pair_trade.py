"""A pairs position's rules: the backtest's band rule at a live z-score, legs sized by the hedge ratio."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from cryptoterm.domain.backtest.pairs import band_action
from cryptoterm.domain.trading import pair_trade as pt
from cryptoterm.domain.trading.orders import Position

SPEC = pt.PairSpec("p1", "A/USDT", "B/USDT", "ols", 1.5, 0.2, 0.01, 0.02, 2.0, 0.5, 4.0, 1_000.0)


def test_the_z_score_is_the_spread_against_the_screen_window() -> None:
    price_y, price_x = 120.0, 30.0
    spread = math.log(price_y) - (0.2 + 1.5 * math.log(price_x))
    assert pt.pair_zscore(SPEC, price_y, price_x) == pytest.approx((spread - 0.01) / 0.02)
    assert math.isnan(pt.pair_zscore(SPEC, None, 30.0))
    assert math.isnan(pt.pair_zscore(SPEC, 0.0, 30.0))


@pytest.mark.parametrize(
    ("state", "direction", "z", "want"),
    [
        ("watching", 0, 2.5, pt.PairDecision(direction=-1)),  # high: short the spread
        ("watching", 0, -2.5, pt.PairDecision(direction=1)),
        ("watching", 0, 1.9, pt.PairDecision()),
        ("open", -1, 1.0, pt.PairDecision()),  # inside the bands: hold
        ("open", -1, 0.3, pt.PairDecision(reason="exit")),
        ("open", 1, -4.5, pt.PairDecision(reason="stop")),
        ("open", 1, math.nan, pt.PairDecision()),
        ("closed", 0, 3.0, pt.PairDecision()),
    ],
)
def test_decisions_follow_the_backtest_band_rule(state: str, direction: int, z: float, want: pt.PairDecision) -> None:
    status = pt.PairStatus(state=state, direction=direction)  # type: ignore[arg-type]
    assert pt.decide(SPEC, status, z) == want
    if math.isfinite(z) and state != "closed":
        wanted, reason = band_action(direction, z, 2.0, 0.5, 4.0)
        assert (want.direction or (direction if reason is None else 0), want.reason) == (wanted, reason)


def test_legs_are_sized_by_the_hedge_ratio_and_sided_by_its_sign() -> None:
    y, x = pt.entry_orders(SPEC, -1, 100.0, 25.0, "o1")
    assert (y.symbol, y.side, y.qty, y.pair_id, y.type) == ("A/USDT", "sell", 10.0, "p1", "market")
    assert (x.symbol, x.side, x.qty) == ("B/USDT", "buy", pytest.approx(1.5 * 1_000 / 25.0))
    assert y.client_id == "p1:o1:y" and x.client_id == "p1:o1:x"
    assert pt.leg_sides(replace(SPEC, beta=-0.8), 1) == ("buy", "buy")  # long y and, for a negative beta, long x too
    assert pt.leg_sides(SPEC, 1) == ("buy", "sell")


def test_exits_flatten_only_the_pairs_own_legs() -> None:
    legs = [
        Position("A/USDT", -10.0, 100.0, 0.0, 1, "paper", "p1"),
        Position("B/USDT", 60.0, 25.0, 0.0, 1, "paper", "p1"),
        Position("B/USDT", 5.0, 25.0, 0.0, 1, "paper", None),
    ]
    orders = pt.exit_orders(SPEC, legs, "c1")
    assert [(o.symbol, o.side, o.qty, o.reduce_only, o.pair_id) for o in orders] == [
        ("A/USDT", "buy", 10.0, True, "p1"),
        ("B/USDT", "sell", 60.0, True, "p1"),
    ]


def test_a_spec_that_cannot_trade_says_why() -> None:
    bad = pt.PairSpec("p", "A/USDT", "B/USDT", "ols", 1.0, 0.0, 0.0, 0.0, 2.0, 0.5, 4.0, 100.0)
    assert bad.problem() == "A/USDT ~ B/USDT: the spread's deviation 0.0 is not a usable scale"
    bands = pt.PairSpec("p", "A/USDT", "B/USDT", "ols", 1.0, 0.0, 0.0, 0.1, 2.0, 2.5, 4.0, 100.0)
    assert bands.problem() == "bands must satisfy 0 ≤ exit_z < entry_z < stop_z, got 2.5, 2.0, 4.0"
    assert SPEC.problem() is None
    assert pt.default_notional(1_000.0, 2.0) == pytest.approx(450.0)
    assert pt.default_notional(1_000.0, 0.5) == pytest.approx(900.0)


def test_status_moves_watching_open_watching_and_counts_round_trips() -> None:
    status = pt.opened(pt.PairStatus(), -1, 2.3, 10)
    assert (status.state, status.direction, status.opened_ms, status.opened_z) == ("open", -1, 10, 2.3)
    status = pt.closed(status, "exit", 0.4, 20)
    assert (status.state, status.direction, status.trades, status.exit_reason) == ("watching", 0, 1, "exit")
    status = pt.closed(status, "stopped", 0.1, 30, for_good=True)
    assert status.state == "closed" and status.trades == 1
