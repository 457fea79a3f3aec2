"""stdlib `logging` → the log pane.

Every layer logs through `logging`; this handler turns records into `LogRecorded` messages posted to the app.
`MessagePump.post_message` hands the message to the app's event loop thread-safely, so the handler may be
called from any thread (feed, thread workers, library callbacks) without touching a widget.

Secrets never reach the screen: configured keys are masked verbatim, and credentials embedded in text
(`api_key=…`, `token=…`, `user:password@` in URLs, bearer tokens) are masked by pattern.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

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


class TuiLogHandler(logging.Handler):
    """A `logging.Handler` that posts each record, formatted and redacted, to a Textual message pump."""

    def __init__(self, target: MessagePump, *, secrets: Iterable[str] = (), level: int = logging.INFO) -> None:
        super().__init__(level=level)
        self._target = target
        self._secrets = tuple(s for s in secrets if s)
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = redact(self.format(record), self._secrets)
            line = LogLine(
                created=record.created,
                level=record.levelno,
                level_name=record.levelname,
                logger=record.name,
                text=text,
            )
            self._target.post_message(LogRecorded(line))
        except Exception:
            self.handleError(record)
