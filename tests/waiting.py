"""Waiting on conditions instead of timing them.

A test that sleeps a fixed time, or gives up after N short polls, passes on a quiet machine and fails on a
busy one. `eventually` waits for a condition with a generous hang guard: the guard only ends a test that would
otherwise hang, and its message says what never happened. It is never a speed assertion.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

#: Upper bound for background work to show up on a loaded 2-core machine (a hang guard, not a deadline).
GUARD_S = 120.0


async def _short_sleep() -> None:
    await asyncio.sleep(0.01)


async def eventually(
    condition: Callable[[], object],
    what: str,
    *,
    pause: Callable[[], Awaitable[object]] = _short_sleep,
    guard_s: float = GUARD_S,
) -> None:
    """Return once `condition()` is truthy, checking after each `pause()`; fail naming `what` at the guard."""
    deadline = time.monotonic() + guard_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not seen within the {guard_s:.0f} s hang guard")
        await pause()


def eventually_sync(condition: Callable[[], object], what: str, *, guard_s: float = GUARD_S) -> None:
    """`eventually` for a test without an event loop (threads doing the background work)."""
    deadline = time.monotonic() + guard_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not seen within the {guard_s:.0f} s hang guard")
        time.sleep(0.005)
