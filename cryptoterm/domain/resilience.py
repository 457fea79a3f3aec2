"""Reconnect pacing and failure isolation: exponential backoff with full jitter, and a circuit breaker.

Both are pure state machines with time passed in as an argument, so the websocket feed, the REST client and
the tests drive them with whatever clock they have (a real monotonic clock, or a frozen one in tests).

Full jitter (delay drawn uniformly from [0, min(max, initial * 2**attempt)]) is used rather than equal or
decorrelated jitter because it spreads a crowd of clients reconnecting after the same outage most evenly,
which is what keeps them from hammering an exchange that has just come back.
"""

from __future__ import annotations

import random
from typing import Literal

BreakerStateName = Literal["closed", "open", "half-open"]


class Backoff:
    """Exponential backoff with full jitter.

    `next_delay()` returns the seconds to wait before the next attempt and counts the attempt; `reset()`
    is called after a success so the next failure starts again from `initial_s`.
    """

    def __init__(self, initial_s: float, max_s: float, rng: random.Random | None = None) -> None:
        if initial_s <= 0:
            raise ValueError(f"backoff initial_s must be positive, got {initial_s!r}")
        if max_s < initial_s:
            raise ValueError(f"backoff max_s ({max_s!r}) must be >= initial_s ({initial_s!r})")
        self.initial_s = float(initial_s)
        self.max_s = float(max_s)
        self._rng = rng if rng is not None else random.Random()
        self.attempts = 0

    def ceiling(self) -> float:
        """Upper bound of the next delay: initial * 2**attempts, capped at max_s."""
        # Cap the exponent so a long outage cannot overflow the float before the min() applies.
        return min(self.max_s, self.initial_s * (2.0 ** min(self.attempts, 62)))

    def next_delay(self) -> float:
        """Seconds to wait before the next attempt, uniformly drawn from [0, ceiling]."""
        delay = self._rng.uniform(0.0, self.ceiling())
        self.attempts += 1
        return delay

    def reset(self) -> None:
        """Forget past failures (call after a successful attempt)."""
        self.attempts = 0


class CircuitBreaker:
    """Stops calling a failing dependency for a while, then probes it before trusting it again.

    closed    — calls flow; `failures` consecutive failures open the breaker.
    open      — calls are refused until `open_s` seconds have passed since it opened; then half-open.
    half-open — calls flow as probes; `successes` consecutive successes close it, any failure reopens it.

    Times are seconds on any monotonic scale the caller chooses; the breaker never reads a clock itself.
    """

    def __init__(self, failures: int = 5, open_s: float = 60.0, successes: int = 2) -> None:
        if failures < 1:
            raise ValueError(f"breaker failures must be >= 1, got {failures!r}")
        if successes < 1:
            raise ValueError(f"breaker successes must be >= 1, got {successes!r}")
        if open_s < 0:
            raise ValueError(f"breaker open_s must be >= 0, got {open_s!r}")
        self.failures = failures
        self.open_s = float(open_s)
        self.successes = successes
        self._state: BreakerStateName = "closed"
        self._consecutive_failures = 0
        self._consecutive_successes = 0
        self._opened_at_s = 0.0
        self.times_opened = 0

    @property
    def state(self) -> BreakerStateName:
        """Current state, without advancing time (use `allow(now_s)` to let open become half-open)."""
        return self._state

    @property
    def consecutive_failures(self) -> int:
        """Failures since the last success (what the open threshold is compared with)."""
        return self._consecutive_failures

    def remaining_open_s(self, now_s: float) -> float:
        """Seconds until an open breaker lets a probe through (0 when not open)."""
        if self._state != "open":
            return 0.0
        return max(0.0, self._opened_at_s + self.open_s - now_s)

    def allow(self, now_s: float) -> bool:
        """May a call be made now? An open breaker turns half-open once `open_s` has elapsed."""
        if self._state == "open":
            if now_s - self._opened_at_s >= self.open_s:
                self._state = "half-open"
                self._consecutive_successes = 0
                return True
            return False
        return True

    def record_success(self, now_s: float) -> None:
        """A call succeeded: clears the failure count; enough successes in half-open close the breaker."""
        self._consecutive_failures = 0
        if self._state == "half-open":
            self._consecutive_successes += 1
            if self._consecutive_successes >= self.successes:
                self._state = "closed"
                self._consecutive_successes = 0
        elif self._state == "open":
            # A call that was already in flight when the breaker opened came back fine: that is evidence
            # the dependency works, but not enough to skip the probing phase.
            self._state = "half-open"
            self._consecutive_successes = 1
            if self._consecutive_successes >= self.successes:
                self._state = "closed"
                self._consecutive_successes = 0

    def record_failure(self, now_s: float) -> None:
        """A call failed: opens the breaker at the threshold, and immediately from half-open."""
        self._consecutive_successes = 0
        self._consecutive_failures += 1
        if self._state == "half-open" or (self._state == "closed" and self._consecutive_failures >= self.failures):
            self._open(now_s)
        elif self._state == "open":
            # Failures reported while open (calls that were in flight) push the reopening further out.
            self._opened_at_s = now_s

    def _open(self, now_s: float) -> None:
        self._state = "open"
        self._opened_at_s = now_s
        self.times_opened += 1
