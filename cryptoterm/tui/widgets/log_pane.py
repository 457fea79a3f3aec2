"""The log pane: recent `logging` records, coloured by level, newest at the bottom."""

from __future__ import annotations

import logging
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


class LogPane(RichLog):
    """A bounded `RichLog` fed with `LogLine`s by its screen."""

    DEFAULT_CSS = """
    LogPane { border: round $primary 40%; border-title-color: $text-muted; }
    """

    def __init__(self, *, max_lines: int = 1000, id: str | None = None) -> None:
        super().__init__(max_lines=max_lines, wrap=False, markup=False, highlight=False, id=id)
        self.border_title = "Log"
        self.lines_written = 0

    def add_lines(self, lines: Iterable[LogLine]) -> None:
        for line in lines:
            self.write(format_line(line))
            self.lines_written += 1
