"""Steering a replay while it runs: pause, speed, seek, and where it stands in the recording.

The replay stream (`adapters/replay.py`) implements it; the engine hands it to the faces, which never see the
adapter. Every call returns at once: the stream applies it between messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ReplayProgress:
    """Where a replay stands. Times are the recording's receive times (epoch ms); `end_ms` is 0 until the file
    has been read through once in the background (a long recording takes a moment), `seeking_to_ms` is the target
    of a seek under way (0: none), `speed` 0 means as fast as the app takes the events."""

    start_ms: int = 0
    end_ms: int = 0
    position_ms: int = 0
    speed: float = 1.0
    paused: bool = False
    finished: bool = False
    seeking_to_ms: int = 0

    @property
    def fraction(self) -> float:
        """How far through the recording the replay is, 0 to 1 (0 while the span is unknown)."""
        span = self.end_ms - self.start_ms
        if span <= 0:
            return 1.0 if self.finished else 0.0
        return max(0.0, min(1.0, (self.position_ms - self.start_ms) / span))


class ReplayControl(Protocol):
    """A replay the user can steer."""

    def progress(self) -> ReplayProgress: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def set_speed(self, speed: float) -> None:
        """Replay at `speed`× the recorded pace from now on (0: as fast as possible)."""
        ...

    def seek(self, to_ms: int) -> None:
        """Go to the recording's time `to_ms`: forward by replaying the events in between as fast as possible,
        back by starting over from the beginning (after a `Rewound` event) and doing the same."""
        ...
