"""Notifications through apprise: any of its ~100 services from one URL each, with tags, retries and redaction.

Subscribing a URL to some events only: append `#event,event` to it in `[notify].urls`, e.g.
`"tgram://TOKEN/CHAT#triggered,closed"`. The suffix is split off here and passed to apprise as the URL's tags;
every message is sent with its event name as apprise's tag filter, so a tagged URL receives only its events.
A URL without a suffix is tagged apprise's `always` and receives every event enabled in `[notify].events`.
Tags are letters, digits, `_` and `-` (apprise's tag syntax), separated by commas.

Each URL is delivered and retried on its own (a failing channel never causes duplicates on a working one):
`1 + retries` attempts with exponential backoff (`retry_backoff_s`, doubled each time). Every attempt is
handed to the `record` callback (the store writes it to the `notifications` table).

Notification URLs carry secrets (bot tokens, webhook keys, passwords) in every part. They never reach a log,
the database or the screen: this module logs only `redact_url()` forms, and a filter on apprise's logger and on the HTTP
stack's loggers replaces every secret piece of the configured URLs in their messages with `***`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl

import apprise

from cryptoterm.adapters.clock import SystemClock
from cryptoterm.config.schema import NotifyConfig
from cryptoterm.ports.clock import Clock

log = logging.getLogger(__name__)

MASK: Final = "***"
ALWAYS_TAG: Final = "always"
_TAG_SUFFIX: Final = re.compile(r"#(?P<tags>[A-Za-z0-9][A-Za-z0-9_-]*(?:,[A-Za-z0-9][A-Za-z0-9_-]*)*)$")
_HOSTNAME: Final = re.compile(r"^(?:localhost|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|\[[0-9A-Fa-f:.]+\])$")
_MIN_SECRET_LEN: Final = 3
#: Loggers that see notification URLs: apprise itself and the HTTP stack its plugins use (urllib3 logs the
#: request path, where webhook tokens live). Logger filters apply where a record is created, so each is named.
_FILTERED_LOGGERS: Final = ("apprise", "urllib3", "urllib3.connectionpool", "urllib3.util.retry", "requests")


class NotifyConfigError(ValueError):
    """A notification URL apprise cannot use; the message names its position and redacted form."""


@dataclass(frozen=True, slots=True)
class NotificationAttempt:
    """One delivery attempt to one channel, as recorded in the `notifications` table (already redacted)."""

    ts: int
    event: str
    title: str
    body: str
    delivered: bool
    attempts: int
    error: str


@dataclass(frozen=True, slots=True)
class _Channel:
    label: str  # the redacted URL: what logs and records may show
    tags: frozenset[str]
    apprise: Any  # apprise.Apprise (untyped library)


def split_tags(url: str) -> tuple[str, frozenset[str]]:
    """(`url` without its `#tag,tag` suffix, the lower-cased tags); no suffix means no tags."""
    match = _TAG_SUFFIX.search(url)
    if not match:
        return url, frozenset()
    return url[: match.start()], frozenset(t.lower() for t in match.group("tags").split(","))


def redact_url(url: str) -> str:
    """The URL reduced to what is safe to show: scheme and host (and a numeric port) only.

    Credentials become `***@`, any path, query or fragment becomes `/***`, and a "host" that is not a real
    hostname or IP (many apprise schemes put a token there, e.g. `tgram://BOT_TOKEN/CHAT`) becomes `***`.
    """
    url, _tags = split_tags(url.strip())
    scheme, sep, rest = url.partition("://")
    if not sep:
        return MASK
    netloc, tail = _split_netloc(rest)
    creds, at, hostport = netloc.rpartition("@")
    host, port = _split_port(hostport)
    shown = host if _HOSTNAME.match(host) or _is_ip(host) else MASK
    out = f"{scheme.lower()}://{MASK + '@' if at and creds else ''}{shown}"
    if port is not None:
        out += f":{port}"
    if tail.strip("/"):
        out += f"/{MASK}"
    return out


def url_secrets(url: str) -> set[str]:
    """Every piece of `url` that may be secret: credentials, token-like hosts, path segments, query values."""
    url, _tags = split_tags(url.strip())
    secrets: set[str] = {url}
    _scheme, _sep, rest = url.partition("://")
    netloc, tail = _split_netloc(rest)
    creds, _at, hostport = netloc.rpartition("@")
    host, _port = _split_port(hostport)
    if not (_HOSTNAME.match(host) or _is_ip(host)):
        secrets.update({host, hostport})
    if creds:
        secrets.add(creds)
        secrets.update(creds.split(":"))
    path, _q, query = tail.partition("?")
    path = path.split("#", 1)[0]
    secrets.update(seg for seg in path.split("/") if seg)
    secrets.update(v for _k, v in parse_qsl(query, keep_blank_values=False))
    return {s for s in secrets if len(s) >= _MIN_SECRET_LEN}


def redact_secrets(text: str, secrets: Sequence[str]) -> str:
    """`text` with every secret replaced by `***`, longest first so a URL is masked before its parts."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def _split_netloc(rest: str) -> tuple[str, str]:
    cut = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    return rest[:cut], rest[cut:]


def _split_port(hostport: str) -> tuple[str, int | None]:
    if hostport.startswith("["):
        host, _b, port = hostport.partition("]")
        host += "]"
        port = port.lstrip(":")
        return host, int(port) if port.isdigit() else None
    host, colon, port = hostport.rpartition(":")
    if colon and port.isdigit():
        return host, int(port)
    return hostport, None


def _is_ip(host: str) -> bool:
    parts = host.split(".")
    return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)


class _RedactingFilter(logging.Filter):
    """Rewrites apprise's log records so no configured secret survives into any handler."""

    def __init__(self, secrets: Sequence[str]) -> None:
        super().__init__()
        self._secrets = list(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact_secrets(message, self._secrets)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


async def _sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


class AppriseNotifier:
    """The `Notifier` port over apprise. See the module docstring for tags, retries and redaction.

    `record` receives every attempt (the store persists them); `clock` stamps them; `sleep` is the backoff
    wait (tests pass a no-op). Raises NotifyConfigError when apprise rejects a URL.
    """

    def __init__(
        self,
        config: NotifyConfig,
        *,
        record: Callable[[NotificationAttempt], None] | None = None,
        clock: Clock | None = None,
        sleep: Callable[[float], Awaitable[None]] = _sleep,
    ) -> None:
        self._events = frozenset(config.events)
        self._retries = max(config.retries, 0)
        self._backoff_s = max(config.retry_backoff_s, 0.0)
        self._record = record
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._sleep = sleep
        secrets: set[str] = set()
        for url in config.urls:
            secrets |= url_secrets(url)
        self._secrets = sorted(secrets)
        self._filter = _RedactingFilter(self._secrets)
        for name in _FILTERED_LOGGERS:
            logging.getLogger(name).addFilter(self._filter)
        self._channels = [self._channel(i, url) for i, url in enumerate(config.urls, start=1)]

    def _channel(self, position: int, url: str) -> _Channel:
        bare, tags = split_tags(url.strip())
        label = redact_url(url)
        manager = apprise.Apprise()
        if not manager.add(bare, tag=sorted(tags) or [ALWAYS_TAG]):
            self.close()
            raise NotifyConfigError(f"[notify].urls[{position}]: apprise cannot use {label}")
        return _Channel(label=label, tags=tags, apprise=manager)

    @property
    def channels(self) -> list[str]:
        """The configured channels, redacted, with their tags: safe for the health screen."""
        return [f"{c.label}#{','.join(sorted(c.tags))}" if c.tags else c.label for c in self._channels]

    def wants(self, event: str) -> bool:
        """Whether `event` is enabled in `[notify].events` and at least one channel subscribes to it."""
        return event in self._events and any(not c.tags or event in c.tags for c in self._channels)

    async def send(self, event: str, title: str, body: str) -> bool:
        """Deliver to every channel subscribed to `event`.

        True when at least one channel took the message and none failed after all retries; False when the
        event is disabled, nobody subscribes to it, or a channel failed (the failure is logged, redacted).
        """
        if event not in self._events:
            return False
        title = redact_secrets(title, self._secrets)
        body = redact_secrets(body, self._secrets)
        targets = [c for c in self._channels if list(c.apprise.find(tag=event))]
        if not targets:
            return False
        results = await asyncio.gather(*(self._deliver(c, event, title, body) for c in targets))
        return all(results)

    async def _deliver(self, channel: _Channel, event: str, title: str, body: str) -> bool:
        attempts = 1 + self._retries
        for attempt in range(1, attempts + 1):
            error = ""
            try:
                result = await channel.apprise.async_notify(body=body, title=title, tag=event)
                delivered = bool(result)
                if not delivered:
                    error = self._failure_text(result, channel)
            except Exception as exc:  # apprise plugins may raise anything; one channel must not stop others
                delivered = False
                error = redact_secrets(f"{type(exc).__name__}: {exc}", self._secrets)
            self._write(event, title, body, delivered, attempt, error)
            if delivered:
                return True
            log.warning(
                "notification %r to %s failed (attempt %d/%d): %s", event, channel.label, attempt, attempts, error
            )
            if attempt < attempts:
                await self._sleep(self._backoff_s * (2 ** (attempt - 1)))
        return False

    def _failure_text(self, result: Any, channel: _Channel) -> str:
        problems: list[str] = []
        try:
            for entry in result.logs():
                if entry.level in ("WARNING", "ERROR", "CRITICAL"):
                    problems.append(str(entry.message))
        except (AttributeError, TypeError):
            problems = []
        text = problems[-1] if problems else "delivery failed"
        return redact_secrets(f"{channel.label}: {text}", self._secrets)

    def _write(self, event: str, title: str, body: str, delivered: bool, attempt: int, error: str) -> None:
        if self._record is None:
            return
        try:
            self._record(NotificationAttempt(self._clock.now_ms(), event, title, body, delivered, attempt, error))
        except Exception:
            log.exception("could not record a notification attempt for %r", event)

    def close(self) -> None:
        """Detach the log filter (the notifier is done)."""
        for name in _FILTERED_LOGGERS:
            logging.getLogger(name).removeFilter(self._filter)
