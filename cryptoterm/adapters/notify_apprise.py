"""Notifications through apprise: any of its ~100 services from one URL each, with tags, retries and redaction.

Subscribing a URL to some events only: append `#event,event` to it in `[notify].urls`, e.g.
`"tgram://TOKEN/CHAT#triggered,closed"`. The suffix is split off here and passed to apprise as the URL's tags;
every message is sent with its event name as apprise's tag filter, so a tagged URL receives only its events.
A URL without a suffix is tagged apprise's `always` and receives every event enabled in `[notify].events`.
Tags are letters, digits, `_` and `-` (apprise's tag syntax), separated by commas.

Alerts choose channels by their rule's own tags instead (`send_alert`): a rule tagged `telegram` goes to the URLs
tagged `#telegram`; a rule without tags to every untagged URL and those tagged `#alert`. `[notify].events` does
not apply to alerts: a rule is the user's own request to be told.

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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import apprise

from cryptoterm.adapters.clock import SystemClock
from cryptoterm.config.schema import NotifyConfig
from cryptoterm.domain.redaction import redact_secrets, redact_url, split_tags, url_secrets
from cryptoterm.ports.alerts import DeliveryAttempt, DeliveryStatus
from cryptoterm.ports.clock import Clock
from cryptoterm.ports.notify import NotificationAttempt

log = logging.getLogger(__name__)

ALWAYS_TAG: Final = "always"
#: The tag that subscribes a URL to alerts whose rules name no tags.
ALERT_TAG: Final = "alert"
#: Loggers that see notification URLs: apprise itself and the HTTP stack its plugins use (urllib3 logs the
#: request path, where webhook tokens live). Logger filters apply where a record is created, so each is named.
_FILTERED_LOGGERS: Final = ("apprise", "urllib3", "urllib3.connectionpool", "urllib3.util.retry", "requests")


class NotifyConfigError(ValueError):
    """A notification URL apprise cannot use; the message names its position and redacted form."""


@dataclass(frozen=True, slots=True)
class _Channel:
    label: str  # the redacted URL: what logs and records may show
    tags: frozenset[str]
    apprise: Any  # apprise.Apprise (untyped library)


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

    async def send_alert(
        self, tags: Sequence[str], title: str, body: str, on_attempt: Callable[[DeliveryAttempt], None]
    ) -> DeliveryStatus:
        """Deliver an alert to the channels its tags select (see the module docstring), reporting every attempt
        to `on_attempt` instead of the notifications table. "no_channel" when no URL is subscribed."""
        wanted = frozenset(tags) if tags else frozenset({ALERT_TAG})
        targets = [c for c in self._channels if (c.tags & wanted) or (not c.tags and not tags)]
        if not targets:
            return "no_channel"
        title = redact_secrets(title, self._secrets)
        body = redact_secrets(body, self._secrets)
        results = await asyncio.gather(
            *(
                self._deliver(c, min(c.tags & wanted) if c.tags else ALWAYS_TAG, title, body, on_attempt)
                for c in targets
            )
        )
        return "delivered" if all(results) else "failed"

    async def _deliver(
        self,
        channel: _Channel,
        event: str,
        title: str,
        body: str,
        on_attempt: Callable[[DeliveryAttempt], None] | None = None,
    ) -> bool:
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
            if on_attempt is None:
                self._write(event, title, body, delivered, attempt, error)
            else:
                self._report(
                    on_attempt, DeliveryAttempt(self._clock.now_ms(), channel.label, attempt, delivered, error)
                )
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

    def _report(self, on_attempt: Callable[[DeliveryAttempt], None], attempt: DeliveryAttempt) -> None:
        try:
            on_attempt(attempt)
        except Exception:
            log.exception("could not record an alert delivery attempt to %s", attempt.channel)

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
