"""Replay navigation as a person asks for it: speeds to step through, and "go to" times written several ways.

A seek target may be a clock time on the recording's day (`23:57`, `23:57:30`; a recording that runs past
midnight takes the time on the day it falls within the recording), a date and time (`2024-08-08 23:57`), a
step from where the replay is (`+30s`, `-5m`, `+1h`), or a share of the recording (`50%`). Targets are clamped to
the recording's span. Pure: the span and the position are arguments; all times are epoch ms, UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

#: Speeds `>` / `<` step through (0 = as fast as the app takes the events).
SPEEDS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 0.0)

_STEP = re.compile(r"^([+-])\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_STAMP_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d")


class SeekError(ValueError):
    """A seek text that names no time; the message quotes it and shows the forms that work."""


def _refuse(text: str, why: str = "") -> SeekError:
    forms = "23:57, 23:57:30, 2024-08-08 23:57, +30s, -5m or 50%"
    return SeekError(f"{text.strip()!r}: {why or 'not a time'} (write {forms})")


def parse_seek(text: str, start_ms: int, end_ms: int, position_ms: int) -> int:
    """The epoch-ms time `text` asks for, within [start_ms, end_ms] (`end_ms` 0: unknown, no upper clamp)."""
    cleaned = text.strip()
    if not cleaned:
        raise _refuse(text)
    target = _target(cleaned, start_ms, end_ms, position_ms)
    upper = end_ms if end_ms > 0 else target
    return max(start_ms, min(upper, target))


def _target(text: str, start_ms: int, end_ms: int, position_ms: int) -> int:
    if text.endswith("%"):
        if end_ms <= start_ms:
            raise _refuse(text, "the recording's end is not known yet")
        try:
            share = float(text[:-1])
        except ValueError:
            raise _refuse(text) from None
        if not 0.0 <= share <= 100.0:
            raise _refuse(text, "a share must be from 0% to 100%")
        return start_ms + round((end_ms - start_ms) * share / 100.0)
    step = _STEP.match(text)
    if step:
        sign, amount, unit = step.groups()
        delta = round(float(amount) * _UNIT_MS[unit or "s"])
        return position_ms + (delta if sign == "+" else -delta)
    clock = _CLOCK.match(text)
    if clock:
        return _clock_time(text, clock, start_ms, end_ms)
    for fmt in _STAMP_FORMATS:
        try:
            stamp = datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
        return int(stamp.timestamp() * 1000)
    raise _refuse(text)


def _clock_time(text: str, clock: re.Match[str], start_ms: int, end_ms: int) -> int:
    hours, minutes, seconds = int(clock.group(1)), int(clock.group(2)), int(clock.group(3) or 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        raise _refuse(text)
    start = datetime.fromtimestamp(start_ms / 1000, tz=UTC)
    candidate = start.replace(hour=hours, minute=minutes, second=seconds, microsecond=0)
    if candidate < start.replace(microsecond=0) and end_ms > start_ms:
        later = candidate + timedelta(days=1)
        if int(later.timestamp() * 1000) <= end_ms:
            candidate = later
    return int(candidate.timestamp() * 1000)


def step_speed(speed: float, step: int) -> float:
    """The speed `step` places along `SPEEDS` from `speed` (0 is the fastest); clamped at both ends."""
    ordered = list(SPEEDS)
    if speed in ordered:
        index = ordered.index(speed)
    else:  # a speed given on the command line: the next listed one either way is one step
        above = next((i for i, s in enumerate(ordered) if s > speed), len(ordered) - 1)
        index = above - 1 if step > 0 else above
    return ordered[max(0, min(len(ordered) - 1, index + step))]
