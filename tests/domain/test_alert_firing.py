"""When alert rules fire (edges, events, cooldown in market time, once, expiry, pause) and the numbers they
compare (crossings trade by trade, % change, volume ratio, pair z-score, strategy conditions)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cryptoterm.domain.alerts import AlertRule, AlertState, RuleFields, build_rule, step
from cryptoterm.domain.alerts.checks import check_price, in_band, pair_zscore, percent_change, volume_ratio
from cryptoterm.domain.alerts.conditions import compile_condition, read_condition


def make(when: str = "price above 100", **fields: object) -> AlertRule:
    return build_rule(RuleFields(name="r", when=when, symbol="BTC/USDT", **fields))  # type: ignore[arg-type]


def run(rule: AlertRule, checks: list[tuple[int, bool]], *, event: bool = False) -> list[int]:
    """Times at which `rule` fires over (time, holds) checks."""
    state, fired = AlertState(), []
    for ts, holds in checks:
        verdict = step(rule, state, holds, ts, event=event)
        state = verdict.state
        if verdict.fire:
            fired.append(ts)
    return fired


def test_a_level_rule_fires_when_it_starts_to_hold_not_while_it_holds() -> None:
    checks = [(1, False), (2, True), (3, True), (4, False), (5, True), (6, True)]
    assert run(make(), checks) == [2, 5]


def test_cooldown_drops_candidates_in_market_time() -> None:
    rule = make("price crosses_below 100", cooldown="10m")
    minute = 60_000
    events = [(0, True), (minute, True), (9 * minute, True), (10 * minute, True), (25 * minute, True)]
    assert run(rule, events, event=True) == [0, 10 * minute, 25 * minute]
    assert run(make("price crosses_below 100"), events, event=True) == [e for e, _ in events]
    earlier = step(rule, AlertState(last_fired_ms=10 * minute, fired=1), True, 5 * minute, event=True)
    assert earlier.fire  # an older session replayed later is not inside the cooldown
    no_cooldown = step(make("price crosses_below 100"), AlertState(last_fired_ms=9, fired=1), True, 1, event=True)
    assert no_cooldown.fire


def test_once_expiry_and_pause() -> None:
    assert run(make(once=True), [(1, True), (2, False), (3, True)]) == [1]
    assert run(make(expires="1970-01-01T00:00:00"), [(1, True)]) == []
    assert run(make(enabled=False), [(1, True)]) == []
    paused = step(make(enabled=False), AlertState(), True, 5)
    assert paused.suppressed == "paused" and not paused.fire


def test_crossings_trade_by_trade() -> None:
    prices = [101.0, 100.0, 99.0, 100.0, 101.0, 99.5, 100.5]
    seen: dict[str, list[int]] = {}
    for op in ("crosses_above", "crosses_below", "crosses", "above", "below"):
        side, hits = 0, []
        for i, price in enumerate(prices):
            hit, side = check_price(op, 100.0, side, price)  # type: ignore[arg-type]
            if hit:
                hits.append(i)
        seen[op] = hits
    assert seen["crosses_below"] == [2, 5]  # touching the level (index 1, 3) is not a crossing
    assert seen["crosses_above"] == [4, 6]
    assert seen["crosses"] == [2, 4, 5, 6]
    assert seen["above"] == [0, 4, 6] and seen["below"] == [2, 5]
    first = check_price("crosses_below", 100.0, 0, 99.0)
    assert not first.hit and first.side == -1  # the first trade only says where the price is


def test_bands() -> None:
    assert in_band("beyond", -2.5, 2.0) and in_band("beyond", 2.5, 2.0) and not in_band("beyond", 1.0, 2.0)
    assert in_band("above", 3.0, 2.0) and not in_band("below", 3.0, 2.0)
    assert not in_band("above", math.nan, 0.0)


def test_percent_change_reads_the_close_one_window_earlier() -> None:
    times = np.arange(0, 120 * 60_000, 60_000, dtype=np.int64)
    closes = np.linspace(100.0, 111.9, 120)
    change = percent_change(times, closes, 60 * 60_000)
    assert change == pytest.approx((closes[-1] / closes[-61] - 1) * 100)
    assert math.isnan(percent_change(times[:30], closes[:30], 60 * 60_000))  # not an hour of history yet


def test_volume_ratio_is_against_the_median_before_the_bar() -> None:
    volumes = np.array([10.0] * 19 + [1000.0] + [30.0])
    assert volume_ratio(volumes, 20) == pytest.approx(3.0)  # one earlier spike does not lift the baseline
    assert math.isnan(volume_ratio(volumes[:5], 20))


def test_pair_zscore_equals_ols_residual_zscore() -> None:
    rng = np.random.default_rng(3)
    x = np.cumsum(rng.normal(0, 0.01, 300)) + 5
    y = 0.8 * x + rng.normal(0, 0.005, 300) + 1
    times = np.arange(300, dtype=np.int64) * 3_600_000
    beta, alpha = np.polyfit(x, y, 1)
    resid = y - (alpha + beta * x)
    expected = (resid[-1] - resid.mean()) / resid.std(ddof=1)
    z = pair_zscore(times, np.exp(y), times, np.exp(x))
    assert z == pytest.approx(expected, rel=1e-9)
    assert math.isnan(pair_zscore(times[:10], np.exp(y[:10]), times[:10], np.exp(x[:10])))


def test_a_condition_is_the_strategy_language_read_at_the_last_bar() -> None:
    index = pd.Index(np.arange(60, dtype=np.int64) * 3_600_000, name="open_time")
    close = np.concatenate([np.linspace(100, 130, 40), np.linspace(130, 90, 20)])
    frame = pd.DataFrame(
        {"open": close, "high": close + 1, "low": close - 1, "close": close, "volume": np.ones(60)}, index=index
    )
    compiled = compile_condition("dip", "rsi(14) < 25", "1h")
    reading = read_condition(compiled, {"1h": frame})
    assert reading.holds
    assert reading.values["rsi(14)"] < 25
    assert not read_condition(compile_condition("up", "rsi(14) > 75", "1h"), {"1h": frame}).holds
