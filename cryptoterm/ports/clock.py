"""Time as a dependency, so services and tests can freeze or accelerate it."""

from __future__ import annotations

from typing import Protocol


class Clock(Protocol):
    """Wall-clock time in epoch milliseconds (UTC)."""

    def now_ms(self) -> int: ...
