"""Noticing a connection that is open but silent: it answers pings, yet no market data arrives.

Binance streams do freeze like this: the TCP link and the websocket keepalive are fine, control requests are
answered, and not one trade or book update comes (a probe saw 100 s, 0 reconnects, 17,904 trades that never
arrived). Keepalive cannot see it, so a watchdog counts the data messages a reader marks with `seen()` and
reports a stall once none arrived for `stall_after_s`; the stream then drops the connection and takes its normal
reconnect path (gap marker → REST backfill). Pongs and subscription replies are not data and are never marked.

The reader only bumps a counter per message (no clock read on the hot path); the watchdog samples it four times
per `stall_after_s`, so a stall is reported between 1 and 1.25 × `stall_after_s` after the last data. While the
reader waits for its consumer (`paused`), silence is the product's own doing and is not a stall.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class StallWatchdog:
    """Counts data messages and waits for `stall_after_s` without one (see the module docstring)."""

    __slots__ = ("_monotonic", "count", "paused", "stall_after_s")

    def __init__(self, stall_after_s: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        if stall_after_s <= 0:
            raise ValueError(f"stall_after_s must be positive, got {stall_after_s!r}")
        self.stall_after_s = stall_after_s
        self._monotonic = monotonic
        #: Data messages seen; readers add 1 per message.
        self.count = 0
        #: True while the reader waits for its consumer (silence that is not the exchange's).
        self.paused = False

    async def silence(self) -> float:
        """Return the seconds of silence once no data was seen for `stall_after_s` (runs until then)."""
        tick = self.stall_after_s / 4
        last_count = self.count
        last_change = self._monotonic()
        while True:
            await asyncio.sleep(tick)
            now = self._monotonic()
            if self.count != last_count or self.paused:
                last_count = self.count
                last_change = now
                continue
            silent = now - last_change
            if silent >= self.stall_after_s:
                return silent
