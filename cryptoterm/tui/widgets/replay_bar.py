"""The replay bar: where a `--replay` stands in its recording, at what speed, and the keys that steer it.

One line: state (▶ playing, ⏸ paused, ⏩ seeking, ■ finished), speed, a progress bar over the recording's span,
the position and the span in UTC, and the keys. Hidden outside replays. It repaints only when its text changes
(the position moves by whole seconds), so a paused or finished replay costs nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text
from textual.widgets import Static

from cryptoterm.ports.replay import ReplayProgress

KEYS = "space pause · < > speed · J jump"


def _clock(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%H:%M:%S") if ms > 0 else "--:--:--"


def speed_label(speed: float) -> str:
    return "max" if speed == 0 else f"{speed:g}×"


def progress_bar(fraction: float, width: int) -> str:
    """A bar of `width` cells filled to `fraction` (0..1): ━━━━╸────."""
    if width <= 0:
        return ""
    filled = round(max(0.0, min(1.0, fraction)) * width)
    if filled >= width:
        return "━" * width
    return "━" * filled + "╸" + "─" * (width - filled - 1)


def replay_line(progress: ReplayProgress, width: int) -> Text:
    """The bar's text at `width` columns (the keys and the span drop out first when narrow)."""
    if progress.finished:
        state, style = "■ finished", "bold"
    elif progress.seeking_to_ms:
        state, style = f"⏩ to {_clock(progress.seeking_to_ms)}", "bold yellow"
    elif progress.paused:
        state, style = "⏸ paused", "bold yellow"
    else:
        state, style = "▶", "bold green"
    span = f"{_clock(progress.start_ms)} → {_clock(progress.end_ms)} UTC" if progress.end_ms else "reading the span…"
    head = f"{state} {speed_label(progress.speed)} "
    tail = f" {_clock(progress.position_ms)} {progress.fraction * 100:3.0f}%"
    extras = [f"  {span}", f"  {KEYS}"]
    room = width - len(head) - len(tail)
    shown: list[str] = []
    for extra in extras:
        if room - len(extra) >= 12:
            shown.append(extra)
            room -= len(extra)
    text = Text(no_wrap=True, overflow="crop")
    text.append(head, style=style)
    text.append(progress_bar(progress.fraction, max(4, room)), style="cyan")
    text.append(tail, style="bold")
    for extra in shown:
        text.append(extra, style="dim")
    return text


class ReplayBar(Static):
    """Shows a `ReplayProgress` (see the module docstring); `show(None)` hides it."""

    DEFAULT_CSS = """
    ReplayBar { height: 1; background: $panel; padding: 0 1; display: none; }
    ReplayBar.-shown { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.progress: ReplayProgress | None = None
        self.renders = 0
        self._shown: object = None

    def show(self, progress: ReplayProgress | None) -> bool:
        """True when the bar's text changed."""
        self.set_class(progress is not None, "-shown")
        if progress is None:
            self.progress = None
            return False
        self.progress = progress
        line = replay_line(progress, max(20, self.content_size.width or 80))
        if line.plain == self._shown:
            return False
        self._shown = line.plain
        self.update(line)
        self.renders += 1
        return True
