"""The wall clock, behind the `Clock` port so tests and the simulated market can supply their own time."""

from __future__ import annotations

import time


class SystemClock:
    """Real UTC time in epoch milliseconds."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class FrozenClock:
    """A clock that only moves when told to: deterministic tests and screenshots."""

    def __init__(self, start_ms: int) -> None:
        self._now = start_ms

    def now_ms(self) -> int:
        return self._now

    def advance(self, ms: int) -> None:
        self._now += ms
