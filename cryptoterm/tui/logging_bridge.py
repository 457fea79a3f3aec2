"""stdlib `logging` → the log pane.

Every layer logs through `logging`; this handler turns records into `LogRecorded` messages posted to the app.
`MessagePump.post_message` hands the message to the app's event loop thread-safely, so the handler may be
called from any thread (feed, thread workers, library callbacks) without touching a widget.

Secrets never reach the screen: configured keys are masked verbatim, and credentials embedded in text
(`api_key=…`, `token=…`, `user:password@` in URLs, bearer tokens) are masked by pattern.

A failing connection retries with backoff and warns on every attempt; without a network that is dozens of
near-identical lines that bury everything else. `FloodGate` lets the first few warnings of a logger through
per minute and sums up the rest in one line with its first warning after that minute.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable

from textual.message_pump import MessagePump

from cryptoterm.tui.context import LogLine
from cryptoterm.tui.messages import LogRecorded

MASK = "***"

_SECRET_PARAM = re.compile(
    r"(?i)\b((?:api[_-]?)?(?:key|secret|token|signature|password|passwd|apikey|access[_-]?token)s?)"
    r"(\s*[=:]\s*)(\"?)([^\s&\"',;]+)"
)
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/\s:@]+):([^/\s@]+)@")
_BEARER = re.compile(r"(?i)\b(bearer\s+)([A-Za-z0-9._~+/=-]+)")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Mask known secret values and anything that looks like a credential in `text`."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, MASK)
    text = _URL_CREDENTIALS.sub(lambda m: f"{m.group(1)}{MASK}@", text)
    text = _SECRET_PARAM.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}{MASK}", text)
    return _BEARER.sub(lambda m: f"{m.group(1)}{MASK}", text)


class FloodGate:
    """Per logger, at most `burst` warnings (or worse) per `window_s`; the rest are counted, then summed up."""

    def __init__(self, burst: int = 5, window_s: float = 60.0) -> None:
        self.burst = burst
        self.window_s = window_s
        self._windows: dict[str, tuple[float, int]] = {}  # logger → (window start, records in it)

    def admit(self, record: logging.LogRecord) -> tuple[bool, str]:
        """(show this record?, a summary line to show first: "" when nothing was held back)."""
        if record.levelno < logging.WARNING or record.levelno >= logging.ERROR:
            return True, ""
        start, seen = self._windows.get(record.name, (record.created, 0))
        summary = ""
        if record.created - start >= self.window_s:
            held = seen - self.burst
            if held > 0:
                summary = f"{held} more warning{'s' * (held != 1)} like these in {self.window_s:.0f} s not shown"
            start, seen = record.created, 0
        seen += 1
        self._windows[record.name] = (start, seen)
        return seen <= self.burst, summary


class TuiLogHandler(logging.Handler):
    """A `logging.Handler` that posts each record, formatted and redacted, to a Textual message pump."""

    def __init__(self, target: MessagePump, *, secrets: Iterable[str] = (), level: int = logging.INFO) -> None:
        super().__init__(level=level)
        self._target = target
        self._secrets = tuple(s for s in secrets if s)
        self.setFormatter(logging.Formatter("%(message)s"))
        self.gate = FloodGate()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            show, summary = self.gate.admit(record)
            if summary:
                self._post(record, summary)
            if show:
                self._post(record, redact(self.format(record), self._secrets))
        except Exception:
            self.handleError(record)

    def _post(self, record: logging.LogRecord, text: str) -> None:
        line = LogLine(
            created=record.created, level=record.levelno, level_name=record.levelname, logger=record.name, text=text
        )
        self._target.post_message(LogRecorded(line))


def attach_log_pane(target: MessagePump, secrets: Iterable[str], level: int) -> Callable[[], None]:
    """Route the process's log records to `target` and cryptoterm's loggers to `level`; returns the undo.

    The undo also puts cryptoterm's level back as it was: one process may run several apps (tests do), and a level
    left behind would hide records from whatever runs next.
    """
    handler = TuiLogHandler(target, secrets=secrets, level=level)
    ours = logging.getLogger("cryptoterm")
    before = ours.level
    logging.getLogger().addHandler(handler)
    ours.setLevel(level)

    def detach() -> None:
        logging.getLogger().removeHandler(handler)
        ours.setLevel(before)

    return detach
