"""The pure setup walk: signals → setups → their lives, one at a time, occupancy respected, splittable."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cryptoterm.domain.setup_walk import OhlcvArrays, SetupRules, WalkedSetup, walk_setups
from cryptoterm.domain.setups import advance
from cryptoterm.domain.strategy import LevelSeries, TermResult
from cryptoterm.domain.timeframes import HOUR_MS

T0 = 1_700_000_000_000 - (1_700_000_000_000 % HOUR_MS)
RULES = SetupRules("s", "BTC/USDT", "1h", "long", expires_bars=4, equity=10_000.0, risk_pct=1.0)


def series(closes: list[float], spread: float = 1.0, *, gaps: bool = False) -> OhlcvArrays:
    """Bars opening at the previous close (or at their own close with `gaps`: each bar jumps there)."""
    c = np.asarray(closes, dtype=np.float64)
    o = c.copy() if gaps else np.r_[c[0], c[:-1]]
    return OhlcvArrays(
        open_time=T0 + np.arange(c.size, dtype=np.int64) * HOUR_MS,
        open=o,
        high=np.maximum(o, c) + spread,
        low=np.minimum(o, c) - spread,
        close=c,
        volume=np.ones_like(c),
    )


def levels_for(bars: OhlcvArrays, risk: float = 3.0, reward: float = 2.0) -> LevelSeries:
    """Entry at the close, stop `risk` below, one target at `reward` R."""
    entry = bars.close.copy()
    stop = entry - risk
    return LevelSeries(entry, stop, (entry + reward * (entry - stop),), None)


def terms_for(signal: np.ndarray) -> list[TermResult]:
    return [TermResult("x > 0", signal.astype(bool), {"x": signal.astype(np.float64)})]


def test_one_setup_at_a_time_and_each_walked_to_its_end() -> None:
    closes = [100, 100, 100, 110, 110, 110, 110, 110, 110, 110]
    bars = series(closes, spread=0.5)
    signal = np.zeros(len(closes), dtype=bool)
    signal[[1, 2, 9]] = True  # 2 fires while the setup of 1 is open: skipped
    result = walk_setups(bars, signal, levels_for(bars), terms_for(signal), RULES, start=0, now_ms=T0 + 99 * HOUR_MS)
    assert [w.first.bar_time for w in result.setups] == [T0 + HOUR_MS, T0 + 9 * HOUR_MS]
    first = result.setups[0]
    # entry 100 is crossed by bar 2 (low 99.5), the jump to 110 reaches the 106 target on bar 3
    assert [t.to_state for t in first.transitions] == ["triggered", "closed_target"]
    assert first.transitions[0].ts == T0 + 3 * HOUR_MS  # stamped with the close of the bar that did it
    assert first.final.state == "closed_target" and first.final.last_bar == T0 + 3 * HOUR_MS
    assert result.setups[1].final.is_open and result.setups[1].transitions == ()
    assert result.setups[0].first.conditions[0].values == "x=1"


def test_a_stored_setup_holds_its_bars_until_it_closed() -> None:
    bars = series([100.0] * 8)
    signal = np.ones(8, dtype=bool)
    occupied = [(T0 + 2 * HOUR_MS, T0 + 5 * HOUR_MS)]  # opened on bar 2, closed on bar 5
    result = walk_setups(
        bars, signal, levels_for(bars), terms_for(signal), RULES, start=2, now_ms=T0, occupied=occupied
    )
    assert result.occupied_signals == (2, 3, 4)
    assert result.setups[0].first.bar_time == T0 + 5 * HOUR_MS  # the bar that closed it may signal the next


def test_an_open_stored_setup_holds_every_later_bar() -> None:
    bars = series([100.0] * 5)
    signal = np.ones(5, dtype=bool)
    result = walk_setups(
        bars, signal, levels_for(bars), terms_for(signal), RULES, start=0, now_ms=T0, occupied=[(T0, None)]
    )
    assert result.setups == () and result.occupied_signals == (0, 1, 2, 3, 4)


def test_bars_whose_levels_cannot_make_a_setup_are_reported_not_raised() -> None:
    bars = series([100.0] * 4)
    signal = np.ones(4, dtype=bool)
    levels = levels_for(bars)
    levels.stop[0] = np.nan  # still warming up
    levels.stop[1] = 101.0  # a long's stop above its entry
    result = walk_setups(bars, signal, levels, terms_for(signal), RULES, start=0, now_ms=T0)
    assert [i for i, _ in result.level_errors] == [0, 1]
    assert "not known at bar 0" in result.level_errors[0][1] and "not below entry" in result.level_errors[1][1]
    assert result.setups[0].first.bar_time == T0 + 2 * HOUR_MS


def test_a_setup_whose_condition_stops_holding_is_invalidated_before_entry() -> None:
    bars = series([100, 104, 108, 112, 116], spread=0.2, gaps=True)  # price runs away from the entry at 104
    signal = np.array([False, True, False, False, False])
    result = walk_setups(bars, signal, levels_for(bars), terms_for(signal), RULES, start=0, now_ms=T0 + 99 * HOUR_MS)
    (walked,) = result.setups
    assert walked.final.state == "invalidated" and walked.transitions[-1].note == "condition no longer true"


def test_exit_terms_close_a_triggered_setup_at_the_next_open() -> None:
    bars = series([100, 100, 101, 102, 103, 104], spread=0.5)
    signal = np.array([True, False, False, False, False, False])
    exits = np.array([True, False, False, True, False, False])  # the one at bar 0 comes before the entry
    result = walk_setups(
        bars, signal, levels_for(bars, risk=5.0, reward=5.0), terms_for(signal), RULES, start=0,
        now_ms=T0 + 99 * HOUR_MS, exit_signal=exits,
    )  # fmt: skip
    (walked,) = result.setups
    assert [t.to_state for t in walked.transitions] == ["triggered", "closed_exit"]
    assert walked.final.exit_price == bars.open[4] and walked.final.last_bar == T0 + 4 * HOUR_MS
    assert walked.final.r_multiple == pytest.approx((bars.open[4] - 100) / 5)


def test_arrays_of_another_length_are_refused() -> None:
    bars = series([100.0] * 4)
    with pytest.raises(ValueError, match="must cover the 4 bars"):
        walk_setups(bars, np.ones(3, dtype=bool), levels_for(bars), [], RULES, start=0, now_ms=T0)


def _advance_stored(
    walked: WalkedSetup, bars: OhlcvArrays, signal: np.ndarray, exits: np.ndarray, start: int
) -> WalkedSetup:
    """What the live setup tracker does to a stored open setup as bars `start`.. close."""
    setup, made = walked.final, walked.transitions
    for j in range(start, len(bars)):
        exit_due = setup.state == "triggered" and bool(exits[j - 1])
        setup, more = advance(setup, bars.candle(j), int(bars.open_time[j]) + HOUR_MS, bool(signal[j]), exit_due)
        made += tuple(more)
    return WalkedSetup(walked.first, setup, made)


def _key(w: WalkedSetup) -> tuple[object, ...]:
    return (w.first.bar_time, w.final.state, w.final.last_bar, w.final.exit_price, len(w.transitions))


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(st.floats(-4, 4, allow_nan=False), min_size=12, max_size=60),
    fires=st.lists(st.booleans(), min_size=60, max_size=60),
    exit_fires=st.lists(st.booleans(), min_size=60, max_size=60),
    cut=st.integers(1, 59),
)
def test_two_runs_split_anywhere_equal_one_long_walk(
    steps: list[float], fires: list[bool], exit_fires: list[bool], cut: int
) -> None:
    """A cron run every few bars must end where one walk over all bars ends: the first run's setups are
    stored, its open ones advanced by the tracker, and they occupy their bars for the second run."""
    closes = list(100 + np.cumsum(steps))
    bars = series(closes, spread=0.7)
    n = len(bars)
    signal = np.asarray(fires[:n], dtype=bool)
    exits = np.asarray(exit_fires[:n], dtype=bool)
    split = min(cut, n - 1)
    levels, terms = levels_for(bars), terms_for(signal)
    now = int(bars.open_time[-1]) + HOUR_MS
    whole = walk_setups(bars, signal, levels, terms, RULES, start=0, now_ms=now, exit_signal=exits)

    head = OhlcvArrays(*(getattr(bars, f)[:split] for f in ("open_time", "open", "high", "low", "close", "volume")))
    head_levels = LevelSeries(levels.entry[:split], levels.stop[:split], (levels.targets[0][:split],), None)
    first_run = walk_setups(
        head, signal[:split], head_levels, terms_for(signal[:split]), RULES, start=0, now_ms=now,
        exit_signal=exits[:split],
    )  # fmt: skip
    stored = [_advance_stored(w, bars, signal, exits, split) if w.final.is_open else w for w in first_run.setups]
    occupied = [(w.first.bar_time, None if w.final.is_open else w.final.last_bar) for w in stored]
    if occupied:  # nothing is opened retroactively before a stored setup (the scanner adds this span)
        occupied.append((int(bars.open_time[0]), max(b for b, _ in occupied) + 1))
    second_run = walk_setups(
        bars, signal, levels, terms, RULES, start=split, now_ms=now, occupied=occupied, exit_signal=exits
    )
    assert [_key(w) for w in (*stored, *second_run.setups)] == [_key(w) for w in whole.setups]
