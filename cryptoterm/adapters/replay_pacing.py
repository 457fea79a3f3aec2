"""When each recorded message of a replay is due, and the controls that change it while the replay runs.

A replay at N× plays message i at `anchor_wall + (recv_i − anchor_recv) / N`. Pausing, resuming or changing the
speed moves the anchor to the message the replay stands at, so the pace changes from there on and nothing jumps.
A seek forward plays the messages in between as fast as the app takes them (so bars, books and tapes are what
they would have been) and re-anchors at the target; a seek back asks the stream to start over from the beginning
(`rewind_to`), then plays forward the same way. Every control returns at once and wakes a waiting stream, so a
pause during a long quiet stretch takes effect now, not when the next message was due.

`span` reads the whole recording once (in a thread: a few hundred milliseconds for a large file) for the
progress bar's end. Clock and sleeps are injected so tests run on a virtual clock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

from cryptoterm.ports.replay import ReplayProgress

NS_PER_MS = 1_000_000


class ReplayPacer:
    """The pace of one replay and its controls (`ports.replay.ReplayControl`, with `progress`)."""

    def __init__(
        self,
        speed: float,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        if speed < 0:
            raise ValueError(f"replay speed must be >= 0, got {speed!r}")
        self.speed = speed
        self._clock = clock
        #: An injected sleep (tests' virtual clock) paces unpaused waits; it is not woken early by controls.
        self._sleep = sleep
        self.paused = False
        self.finished = False
        self.start_ns = -1
        self.end_ns = 0
        self.position_ns = 0
        #: A seek under way: play as fast as possible until a message at or after this time (0: none).
        self.seek_ns = 0
        #: Set by a seek before the position: the stream starts over, then seeks (`take_rewind` clears it).
        self.rewind_to_ns = 0
        self._anchor_wall = 0.0
        self._anchor_ns = -1
        self._changed = asyncio.Event()

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    # ------------------------------------------------------------------ the stream's side
    def delay(self, recv_ns: int) -> float:
        """Seconds until the message received at `recv_ns` is due (0: now). Seeking and speed 0 never wait."""
        if self.start_ns < 0:
            self.start_ns = recv_ns
        if self.seek_ns:
            if recv_ns < self.seek_ns:
                return 0.0
            self.seek_ns = 0
            self._anchor(recv_ns)
        if self._anchor_ns < 0:
            self._anchor(recv_ns)
        if self.speed == 0:
            return 0.0
        due = self._anchor_wall + (recv_ns - self._anchor_ns) / 1e9 / self.speed
        return max(0.0, due - self._now())

    def played(self, recv_ns: int) -> None:
        """The message at `recv_ns` went out."""
        self.position_ns = recv_ns

    @property
    def holding(self) -> bool:
        """Paused, and not on the way to a seek target (a seek while paused goes there, then holds)."""
        return self.paused and not self.seek_ns

    @property
    def fast(self) -> bool:
        """Messages go out unpaced (speed 0 or a seek under way)."""
        return self.speed == 0 or bool(self.seek_ns)

    async def wait(self, seconds: float) -> None:
        """Sleep up to `seconds` (forever while paused), waking early when a control changes."""
        self._changed.clear()
        if self.paused:
            await self._changed.wait()
        elif self._sleep is not None:
            await self._sleep(seconds)
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=seconds)

    async def read_span(self, read: Callable[[], tuple[int, int]]) -> None:
        """Learn the recording's end for the progress bar (`read` runs in a thread: it reads the whole file)."""
        first, last = await asyncio.to_thread(read)
        if self.start_ns < 0:
            self.start_ns = first
        self.end_ns = last

    def take_rewind(self) -> int:
        """The time a seek back asked for (ns; 0: none), now being served: the stream starts over."""
        target, self.rewind_to_ns = self.rewind_to_ns, 0
        if target:
            self.seek_ns = target
            self.position_ns = self.start_ns
            self.finished = False
        return target

    def _anchor(self, recv_ns: int) -> None:
        self._anchor_ns = recv_ns
        self._anchor_wall = self._now()

    def wake(self) -> None:
        """Wake a waiting stream now (a control changed, or the stream is closing)."""
        self._changed.set()

    # ------------------------------------------------------------------ controls (`ports.replay.ReplayControl`)
    def progress(self) -> ReplayProgress:
        return ReplayProgress(
            start_ms=max(0, self.start_ns) // NS_PER_MS,
            end_ms=self.end_ns // NS_PER_MS,
            position_ms=self.position_ns // NS_PER_MS,
            speed=self.speed,
            paused=self.paused,
            finished=self.finished,
            seeking_to_ms=(self.seek_ns or self.rewind_to_ns) // NS_PER_MS,
        )

    def pause(self) -> None:
        if not self.paused:
            self.paused = True
            self.wake()

    def resume(self) -> None:
        if self.paused:
            self.paused = False
            if self.position_ns:
                self._anchor(self.position_ns)
            self.wake()

    def set_speed(self, speed: float) -> None:
        if speed < 0:
            raise ValueError(f"replay speed must be >= 0, got {speed!r}")
        self.speed = speed
        if self.position_ns:
            self._anchor(self.position_ns)
        self.wake()

    def seek(self, to_ms: int) -> None:
        target = max(to_ms * NS_PER_MS, max(self.start_ns, 0))
        if self.end_ns:
            target = min(target, self.end_ns)
        if target < self.position_ns:
            self.rewind_to_ns = max(target, 1)
            self.seek_ns = 0
        else:
            self.seek_ns = max(target, 1)
        self.wake()


def recording_span_ns(path: Path, read: Callable[[Path], Iterable[tuple[int, bytes]]]) -> tuple[int, int]:
    """(first, last) receive time of a recording, read through once; `read` yields its (recv_ns, raw) pairs."""
    first = last = 0
    for recv_ns, _raw in read(path):
        if not first:
            first = recv_ns
        last = recv_ns
    return first, last
