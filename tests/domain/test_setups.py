"""Setup levels, sizing and every lifecycle transition (long and short mirror each other)."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cryptoterm.domain.market import Candle
from cryptoterm.domain.setups import (
    FINAL_STATES,
    OPEN_STATES,
    Setup,
    SetupError,
    advance,
    build_setup,
    default_entry_zone,
    has_open_duplicate,
    position_size,
    reward_risk,
)
from cryptoterm.domain.timeframes import HOUR_MS

T0 = 1_700_000_000_000 - (1_700_000_000_000 % HOUR_MS)


def make(direction: str = "long", expires_bars: int = 3, **kw: Any) -> Setup:
    if direction == "long":
        levels = {"entry": 100.0, "stop": 90.0, "targets": (120.0, 130.0)}
    else:
        levels = {"entry": 100.0, "stop": 110.0, "targets": (80.0, 70.0)}
    args: dict[str, object] = {
        "strategy": "s",
        "symbol": "BTC/USDT",
        "timeframe": "1h",
        "direction": direction,
        "bar_time": T0,
        "created_ms": T0 + HOUR_MS,
        "expires_bars": expires_bars,
        "equity": 10_000.0,
        "risk_pct": 1.0,
        **levels,
        **kw,
    }
    return build_setup(**args)  # type: ignore[arg-type]


def bar(i: int, low: float, high: float, open_: float | None = None, close: float | None = None) -> Candle:
    """Bar number i after the signal bar (i=1 is the first bar after it)."""
    o = (low + high) / 2 if open_ is None else open_
    c = (low + high) / 2 if close is None else close
    return Candle(T0 + i * HOUR_MS, o, high, low, c, 1.0)


def mirror(price: float) -> float:
    """Reflect a long test price around the entry 100 for the short setup (90 ↔ 110)."""
    return 200.0 - price


def run(direction: str, bars: list[tuple[float, float]], **kw: Any) -> Setup:
    setup = make(direction, **kw)
    for i, (low, high) in enumerate(bars, start=1):
        if direction == "short":
            low, high = mirror(high), mirror(low)
        setup, _ = advance(setup, bar(i, low, high), T0 + (i + 1) * HOUR_MS)
    return setup


# --- levels and sizing -------------------------------------------------------------------------------------


def test_sizing_risks_the_configured_share_of_equity() -> None:
    setup = make("long")
    assert setup.risk == pytest.approx(100.0)
    assert setup.size == pytest.approx(10.0)  # 100 currency / 10 per unit
    assert setup.size * abs(setup.entry - setup.stop) == pytest.approx(setup.risk)
    assert setup.rr == pytest.approx(2.0)
    assert make("short").rr == pytest.approx(2.0)


def test_targets_are_ordered_nearest_first() -> None:
    assert make("long", targets=(130.0, 120.0)).targets == (120.0, 130.0)
    assert make("short", targets=(70.0, 80.0)).targets == (80.0, 70.0)


@pytest.mark.parametrize(
    ("direction", "entry", "stop", "targets", "message"),
    [
        ("long", 100.0, 105.0, (120.0,), "stop 105 must be below entry 100"),
        ("short", 100.0, 95.0, (80.0,), "stop 95 must be above entry 100"),
        ("long", 100.0, 90.0, (95.0,), "target 95 must be above entry 100"),
        ("short", 100.0, 110.0, (105.0,), "target 105 must be below entry 100"),
        ("long", 100.0, 100.0, (120.0,), "must be below"),
        ("long", float("nan"), 90.0, (120.0,), "finite"),
        ("long", 100.0, 90.0, (), "no targets"),
    ],
)
def test_bad_levels_are_rejected_with_a_clear_message(
    direction: str, entry: float, stop: float, targets: tuple[float, ...], message: str
) -> None:
    with pytest.raises(SetupError, match=message) as info:
        make(direction, entry=entry, stop=stop, targets=targets)
    assert "BTC/USDT" in str(info.value)


def test_position_size_rejects_zero_distance() -> None:
    with pytest.raises(SetupError, match="equal"):
        position_size(1000.0, 1.0, 5.0, 5.0)


def test_default_zone_is_half_the_risk_either_side() -> None:
    assert default_entry_zone(100.0, 90.0) == (95.0, 105.0)
    setup = make("long")
    assert (setup.zone_low, setup.zone_high) == (95.0, 105.0)
    custom = make("long", entry_zone=(101.0, 99.0))
    assert (custom.zone_low, custom.zone_high) == (99.0, 101.0)


def test_expiry_counts_base_bars_after_the_signal_bar() -> None:
    setup = make("long", expires_bars=3)
    assert setup.expires_ms == T0 + 4 * HOUR_MS


@given(
    entry=st.floats(1e-6, 1e6),
    frac=st.floats(1e-4, 0.9),
    equity=st.floats(1.0, 1e9),
    pct=st.floats(0.01, 10.0),
)
def test_sizing_property_loss_at_stop_equals_risk(entry: float, frac: float, equity: float, pct: float) -> None:
    stop = entry * (1 - frac)
    size, risk = position_size(equity, pct, entry, stop)
    assert math.isclose(size * (entry - stop), equity * pct / 100, rel_tol=1e-9)
    assert risk == pytest.approx(equity * pct / 100)
    assert reward_risk("long", entry, stop, entry + 3 * (entry - stop)) == pytest.approx(3.0)


# --- lifecycle: every transition, long and mirrored short ---------------------------------------------------


@pytest.mark.parametrize("direction", ["long", "short"])
def test_new_to_active_when_price_enters_the_zone(direction: str) -> None:
    # Zone is 95..105 (long); a bar 103..108 touches it without crossing the entry 100.
    assert run(direction, [(103.0, 108.0)]).state == "active"


@pytest.mark.parametrize("direction", ["long", "short"])
def test_stays_new_outside_the_zone(direction: str) -> None:
    setup = run(direction, [(106.0, 109.0)])
    assert setup.state == "new"


@pytest.mark.parametrize("direction", ["long", "short"])
def test_new_to_triggered_when_the_bar_crosses_entry(direction: str) -> None:
    setup = make(direction)
    low, high = (99.0, 104.0) if direction == "long" else (96.0, 101.0)
    setup, moves = advance(setup, bar(1, low, high), T0 + 2 * HOUR_MS)
    assert setup.state == "triggered"
    assert [(m.from_state, m.to_state) for m in moves] == [("new", "triggered")]
    assert setup.triggered_ms == T0 + 2 * HOUR_MS
    assert moves[0].price == 100.0


@pytest.mark.parametrize("direction", ["long", "short"])
def test_active_to_triggered(direction: str) -> None:
    setup = run(direction, [(103.0, 108.0), (99.5, 103.0)])
    assert setup.state == "triggered"


@pytest.mark.parametrize("direction", ["long", "short"])
def test_triggered_to_closed_target(direction: str) -> None:
    setup = run(direction, [(99.0, 101.0), (110.0, 121.0)])
    assert setup.state == "closed_target"
    assert setup.exit_price == (120.0 if direction == "long" else 80.0)
    assert setup.r_multiple == pytest.approx(2.0)
    assert setup.closed_ms is not None


@pytest.mark.parametrize("direction", ["long", "short"])
def test_triggered_to_closed_stop(direction: str) -> None:
    setup = run(direction, [(99.0, 101.0), (89.0, 99.0)])
    assert setup.state == "closed_stop"
    assert setup.exit_price == pytest.approx(90.0 if direction == "long" else 110.0)
    assert setup.r_multiple == pytest.approx(-1.0)


@pytest.mark.parametrize("direction", ["long", "short"])
def test_bar_hitting_stop_and_target_assumes_stop_first(direction: str) -> None:
    setup = run(direction, [(99.0, 101.0), (85.0, 125.0)])
    assert setup.state == "closed_stop"
    assert setup.r_multiple == pytest.approx(-1.0)


@pytest.mark.parametrize("direction", ["long", "short"])
def test_entry_and_stop_in_one_bar_triggers_then_stops(direction: str) -> None:
    setup = make(direction)
    low, high = (88.0, 101.0) if direction == "long" else (99.0, 112.0)
    setup, moves = advance(setup, bar(1, low, high), T0 + 2 * HOUR_MS)
    assert [m.to_state for m in moves] == ["triggered", "closed_stop"]
    assert setup.state == "closed_stop"
    assert setup.r_multiple == pytest.approx(-1.0)


@pytest.mark.parametrize("direction", ["long", "short"])
def test_target_in_the_entry_bar_is_not_counted(direction: str) -> None:
    setup = run(direction, [(99.0, 125.0)])
    assert setup.state == "triggered"


@pytest.mark.parametrize("direction", ["long", "short"])
def test_gap_through_stop_fills_at_the_open(direction: str) -> None:
    setup = make(direction)
    setup, _ = advance(setup, bar(1, 99.0, 101.0), T0)
    gap = bar(2, 80.0, 86.0, open_=85.0) if direction == "long" else bar(2, 114.0, 120.0, open_=115.0)
    setup, _ = advance(setup, gap, T0 + 3 * HOUR_MS)
    assert setup.state == "closed_stop"
    assert setup.exit_price == (85.0 if direction == "long" else 115.0)
    assert setup.r_multiple == pytest.approx(-1.5)


@pytest.mark.parametrize("direction", ["long", "short"])
def test_stop_reached_before_entry_invalidates(direction: str) -> None:
    # Long entry 100 stop 90: a bar 88..95 never crosses 100 but reaches the stop.
    setup = make(direction, entry=100.0)
    low, high = (88.0, 95.0) if direction == "long" else (105.0, 112.0)
    setup, moves = advance(setup, bar(1, low, high), T0 + 2 * HOUR_MS)
    assert setup.state == "invalidated"
    assert moves[0].note == "stop reached before entry"


@pytest.mark.parametrize("start", ["new", "active"])
def test_condition_no_longer_true_invalidates_before_entry(start: str) -> None:
    setup = run("long", [(103.0, 108.0)] if start == "active" else [])
    assert setup.state == start
    setup, moves = advance(setup, bar(2, 106.0, 109.0), T0, condition_still_true=False)
    assert setup.state == "invalidated"
    assert moves[0].from_state == start
    assert moves[0].note == "condition no longer true"


def test_condition_is_ignored_once_triggered() -> None:
    setup = run("long", [(99.0, 101.0)])
    setup, moves = advance(setup, bar(2, 102.0, 104.0), T0, condition_still_true=False)
    assert setup.state == "triggered"
    assert moves == []


@pytest.mark.parametrize("start_bars", [[], [(103.0, 108.0)]])
def test_expires_after_expires_bars_without_entry(start_bars: list[tuple[float, float]]) -> None:
    far = (106.0, 109.0)
    bars = start_bars + [far] * (3 - len(start_bars))
    setup = run("long", bars[:-1], expires_bars=3)
    assert setup.is_open
    setup = run("long", bars, expires_bars=3)
    assert setup.state == "expired"


def test_entry_on_the_last_allowed_bar_still_triggers() -> None:
    setup = run("long", [(106.0, 109.0), (106.0, 109.0), (99.0, 101.0)], expires_bars=3)
    assert setup.state == "triggered"


def test_triggered_setup_does_not_expire() -> None:
    setup = run("long", [(99.0, 101.0)] + [(102.0, 104.0)] * 10, expires_bars=2)
    assert setup.state == "triggered"


def test_final_states_and_stale_bars_are_ignored() -> None:
    setup = run("long", [(99.0, 101.0), (89.0, 99.0)])
    assert setup.state in FINAL_STATES
    again, moves = advance(setup, bar(3, 99.0, 130.0), T0)
    assert again is setup and moves == []
    fresh = make("long")
    signal_bar, moves = advance(fresh, bar(0, 99.0, 101.0), T0)
    assert signal_bar.state == "new" and moves == []
    forming = bar(1, 99.0, 101.0)._replace(closed=False)
    assert advance(fresh, forming, T0) == (fresh, [])


def test_transition_events_and_timestamps() -> None:
    setup = make("long")
    setup, moves = advance(setup, bar(1, 99.0, 101.0), 42)
    assert moves[0].event == "triggered" and moves[0].ts == 42 and setup.updated_ms == 42
    setup, moves = advance(setup, bar(2, 110.0, 121.0), 43)
    assert moves[0].event == "closed" and moves[0].to_state == "closed_target"


@given(
    st.lists(
        st.tuples(st.floats(50.0, 150.0), st.floats(0.0, 30.0), st.booleans()),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from(["long", "short"]),
)
def test_lifecycle_properties(path: list[tuple[float, float, bool]], direction: str) -> None:
    """Whatever the bars: states only move forward, each move starts where the last ended, and a closed
    setup's R multiple is at most -1 at the stop or exactly the target's R."""
    setup = make(direction, expires_bars=5)
    order = ["new", "active", "triggered", "final"]
    last_rank = 0
    for i, (low, width, cond) in enumerate(path, start=1):
        before = setup.state
        setup, moves = advance(setup, bar(i, low, low + width), T0 + i, condition_still_true=cond)
        if moves:
            assert moves[0].from_state == before
            for a, b in itertools.pairwise(moves):
                assert a.to_state == b.from_state
            assert moves[-1].to_state == setup.state
        rank = order.index("final" if setup.state in FINAL_STATES else setup.state)
        assert rank >= last_rank
        last_rank = rank
    if setup.state == "closed_stop":
        assert setup.r_multiple is not None and setup.r_multiple <= -1.0 + 1e-9
    if setup.state == "closed_target":
        assert setup.r_multiple == pytest.approx(2.0)
    assert (setup.state in OPEN_STATES) == setup.is_open


def test_duplicates_only_while_open() -> None:
    open_setup = make("long")
    closed = run("long", [(99.0, 101.0), (89.0, 99.0)])
    assert has_open_duplicate([open_setup], "s", "BTC/USDT", "long")
    assert not has_open_duplicate([open_setup], "s", "BTC/USDT", "short")
    assert not has_open_duplicate([open_setup], "s", "ETH/USDT", "long")
    assert not has_open_duplicate([closed], "s", "BTC/USDT", "long")
