"""The log pane: recent `logging` records, coloured by level, newest at the bottom; filtered by level and text,
with autoscroll that can be paused.

The pane keeps the last `max_lines` records itself, so changing the filter shows the matching ones among them at
once (a filter that hid a line never lost it). Paused, new lines are still added but the view stays where the
reader scrolled; resuming jumps to the newest. The border title says which filter and pause are on.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime

from rich.text import Text
from textual.widgets import RichLog

from cryptoterm.tui.context import LogLine

LEVEL_STYLES = {
    logging.DEBUG: "dim",
    logging.INFO: "",
    logging.WARNING: "yellow",
    logging.ERROR: "bold red",
    logging.CRITICAL: "bold white on red",
}


def format_line(line: LogLine) -> Text:
    """ "12:00:01 WARNING feed: text" with the level coloured; the time is the record's (UTC)."""
    stamp = datetime.fromtimestamp(line.created, tz=UTC).strftime("%H:%M:%S")
    style = LEVEL_STYLES.get(line.level, "bold red" if line.level > logging.ERROR else "")
    text = Text()
    text.append(f"{stamp} ", style="dim")
    text.append(f"{line.level_name:<7} ", style=style or "bold")
    text.append(f"{line.logger.removeprefix('cryptoterm.')}: ", style="dim")
    text.append(line.text, style=style)
    return text


#: Level filters `L` cycles through (0 = every record).
LEVEL_FILTERS: tuple[int, ...] = (0, logging.INFO, logging.WARNING, logging.ERROR)


def line_matches(line: LogLine, min_level: int, text: str) -> bool:
    """`line` is at least `min_level` and contains `text` (case-insensitive, logger name included)."""
    if line.level < min_level:
        return False
    return not text or text.lower() in f"{line.logger} {line.text}".lower()


class LogPane(RichLog):
    """A bounded `RichLog` fed with `LogLine`s by its screen, filtered by level and text."""

    DEFAULT_CSS = """
    LogPane { border: round $primary 40%; border-title-color: $text-muted; }
    """

    def __init__(self, *, max_lines: int = 1000, id: str | None = None) -> None:
        super().__init__(max_lines=max_lines, wrap=False, markup=False, highlight=False, id=id)
        self.border_title = "Log"
        self.lines_written = 0
        self.min_level = 0
        self.text_filter = ""
        self.paused = False
        self._kept: deque[LogLine] = deque(maxlen=max_lines)

    @property
    def kept(self) -> list[LogLine]:
        """Every record kept, shown or filtered out, oldest first."""
        return list(self._kept)

    @property
    def shown(self) -> list[LogLine]:
        """The records the filter lets through, oldest first."""
        return [line for line in self._kept if line_matches(line, self.min_level, self.text_filter)]

    def add_lines(self, lines: Iterable[LogLine]) -> None:
        for line in lines:
            self._kept.append(line)
            if line_matches(line, self.min_level, self.text_filter):
                self.write(format_line(line), scroll_end=not self.paused)
                self.lines_written += 1

    def set_filter(self, *, min_level: int | None = None, text: str | None = None) -> None:
        """Show only records at or above `min_level` containing `text` (None: unchanged)."""
        if min_level is not None:
            self.min_level = min_level
        if text is not None:
            self.text_filter = text.strip()
        self.clear()
        for line in self.shown:
            self.write(format_line(line), scroll_end=not self.paused)
        self._title()

    def set_paused(self, paused: bool) -> None:
        """Stop (or resume) following the newest line; resuming scrolls to it."""
        self.paused = paused
        self.auto_scroll = not paused
        if not paused:
            self.scroll_end(animate=False)
        self._title()

    def _title(self) -> None:
        parts = ["Log"]
        if self.min_level:
            parts.append(f"≥ {logging.getLevelName(self.min_level)}")
        if self.text_filter:
            parts.append(f"“{self.text_filter}”")
        if self.paused:
            parts.append("paused")
        self.border_title = " · ".join(parts)
