"""Backoff bounds and every circuit-breaker transition, driven with explicit times."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cryptoterm.domain.resilience import Backoff, CircuitBreaker


def test_backoff_ceiling_doubles_then_caps() -> None:
    backoff = Backoff(1.0, 10.0, rng=random.Random(1))
    ceilings = []
    for _ in range(6):
        ceilings.append(backoff.ceiling())
        backoff.next_delay()
    assert ceilings == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert backoff.attempts == 6


def test_backoff_reset_starts_over() -> None:
    backoff = Backoff(0.5, 30.0, rng=random.Random(2))
    for _ in range(5):
        backoff.next_delay()
    backoff.reset()
    assert backoff.attempts == 0
    assert backoff.ceiling() == 0.5


def test_backoff_full_jitter_spreads_over_whole_range() -> None:
    backoff = Backoff(8.0, 8.0, rng=random.Random(3))
    delays = [backoff.next_delay() for _ in range(2000)]
    assert min(delays) >= 0.0
    assert max(delays) <= 8.0
    # Full jitter: values near zero and near the ceiling both occur; the mean sits near the middle.
    assert min(delays) < 0.1
    assert max(delays) > 7.9
    assert 3.5 < sum(delays) / len(delays) < 4.5


def test_backoff_seeded_rng_is_reproducible() -> None:
    first = [Backoff(1.0, 60.0, rng=random.Random(9)).next_delay() for _ in range(3)]
    second = [Backoff(1.0, 60.0, rng=random.Random(9)).next_delay() for _ in range(3)]
    assert first == second


@given(
    initial=st.floats(min_value=0.001, max_value=10.0),
    factor=st.floats(min_value=1.0, max_value=100.0),
    steps=st.integers(min_value=0, max_value=200),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_backoff_delay_never_exceeds_max(initial: float, factor: float, steps: int, seed: int) -> None:
    backoff = Backoff(initial, initial * factor, rng=random.Random(seed))
    for _ in range(steps):
        delay = backoff.next_delay()
        assert 0.0 <= delay <= initial * factor


@pytest.mark.parametrize(("initial", "maximum"), [(0.0, 1.0), (-1.0, 1.0), (2.0, 1.0)])
def test_backoff_rejects_bad_bounds(initial: float, maximum: float) -> None:
    with pytest.raises(ValueError, match="backoff"):
        Backoff(initial, maximum)


def test_breaker_starts_closed_and_allows() -> None:
    breaker = CircuitBreaker(failures=3, open_s=10.0, successes=2)
    assert breaker.state == "closed"
    assert breaker.allow(0.0)


def test_breaker_closed_to_open_after_consecutive_failures() -> None:
    breaker = CircuitBreaker(failures=3, open_s=10.0, successes=2)
    breaker.record_failure(1.0)
    breaker.record_failure(2.0)
    assert breaker.state == "closed"
    breaker.record_failure(3.0)
    assert breaker.state == "open"
    assert breaker.times_opened == 1
    assert not breaker.allow(3.0)
    assert breaker.remaining_open_s(5.0) == pytest.approx(8.0)


def test_breaker_success_resets_failure_count_while_closed() -> None:
    breaker = CircuitBreaker(failures=3, open_s=10.0, successes=2)
    breaker.record_failure(1.0)
    breaker.record_failure(2.0)
    breaker.record_success(3.0)
    assert breaker.consecutive_failures == 0
    breaker.record_failure(4.0)
    breaker.record_failure(5.0)
    assert breaker.state == "closed"


def test_breaker_open_refuses_until_open_s_then_half_open() -> None:
    breaker = CircuitBreaker(failures=1, open_s=10.0, successes=2)
    breaker.record_failure(100.0)
    assert breaker.state == "open"
    assert not breaker.allow(109.999)
    assert breaker.state == "open"
    assert breaker.allow(110.0)
    assert breaker.state == "half-open"
    assert breaker.remaining_open_s(110.0) == 0.0


def test_breaker_half_open_to_closed_after_successes() -> None:
    breaker = CircuitBreaker(failures=1, open_s=5.0, successes=2)
    breaker.record_failure(0.0)
    assert breaker.allow(5.0)
    breaker.record_success(5.1)
    assert breaker.state == "half-open"
    breaker.record_success(5.2)
    assert breaker.state == "closed"
    assert breaker.allow(5.3)


def test_breaker_half_open_failure_reopens_immediately() -> None:
    breaker = CircuitBreaker(failures=3, open_s=5.0, successes=2)
    for t in (0.0, 0.1, 0.2):
        breaker.record_failure(t)
    assert breaker.allow(6.0)
    assert breaker.state == "half-open"
    breaker.record_success(6.1)
    breaker.record_failure(6.2)
    assert breaker.state == "open"
    assert breaker.times_opened == 2
    assert not breaker.allow(11.0)
    assert breaker.allow(11.3)


def test_breaker_failure_while_open_extends_open_period() -> None:
    breaker = CircuitBreaker(failures=1, open_s=10.0, successes=1)
    breaker.record_failure(0.0)
    breaker.record_failure(4.0)
    assert breaker.state == "open"
    assert not breaker.allow(12.0)
    assert breaker.allow(14.0)


def test_breaker_success_while_open_goes_half_open() -> None:
    breaker = CircuitBreaker(failures=1, open_s=10.0, successes=2)
    breaker.record_failure(0.0)
    breaker.record_success(1.0)
    assert breaker.state == "half-open"
    breaker.record_success(1.5)
    assert breaker.state == "closed"


def test_breaker_single_success_threshold_closes_from_open() -> None:
    breaker = CircuitBreaker(failures=1, open_s=10.0, successes=1)
    breaker.record_failure(0.0)
    breaker.record_success(1.0)
    assert breaker.state == "closed"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"failures": 0}, "failures"), ({"successes": 0}, "successes"), ({"open_s": -1.0}, "open_s")],
)
def test_breaker_rejects_bad_settings(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        CircuitBreaker(**kwargs)  # type: ignore[arg-type]
