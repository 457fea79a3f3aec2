"""Run options parsed from the command line, passed from the CLI down to wiring and the front ends."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["live", "demo", "replay"]


@dataclass(frozen=True, slots=True)
class RunOptions:
    """What the user asked for on the command line (the config file says everything else)."""

    mode: Mode = "live"
    db_path: str | None = None
    replay_path: str | None = None
    replay_speed: float = 1.0
    #: A replay stays open once the recording has played, so a seek back can replay it (the TUI); `--headless`
    #: ends with the recording.
    hold_replay_end: bool = False
    record_path: str | None = None
    json: bool = False
    offline: bool = False
    strategies: tuple[str, ...] = field(default_factory=tuple)
    verbose: bool = False
