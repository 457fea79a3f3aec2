"""The project's exchange error types, and the translation of ccxt's error hierarchy into them.

Services decide what to do from the type alone: a `RetryableError` (the network or the exchange is having a
bad moment) is retried with backoff and counts against the circuit breaker; a `RejectedError` (the exchange
understood the request and said no: unknown symbol, bad parameters, bad key) is never retried, because asking
again would get the same answer. `RateLimitedError` carries the server's `Retry-After` so the client waits
at least that long instead of its own backoff guess.

ccxt is not imported here: its classes are recognised by name along the exception's MRO, so importing this
module (and raising or catching these types) costs nothing at startup.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from cryptoterm.domain.redaction import redact

__all__ = [
    "AdapterError",
    "ExchangeBanned",
    "ExchangeUnavailable",
    "IncompleteHistoryError",
    "IncompleteResponseError",
    "RateLimitedError",
    "RejectedError",
    "RetryableError",
    "redact",
    "translate_ccxt_error",
]


class AdapterError(Exception):
    """Base of every error an exchange adapter raises. `retryable` says whether asking again can help."""

    retryable: bool = False


class RetryableError(AdapterError):
    """A transient failure: timeout, connection error, HTTP 5xx, maintenance, rate limit."""

    retryable = True


class ExchangeUnavailable(RetryableError):
    """The exchange could not be reached or answered with a server error (timeouts, 5xx, refused, reset)."""


class RateLimitedError(RetryableError):
    """HTTP 429/418 or an exchange rate-limit code. `retry_after_s` is the server's hint (None if absent)."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ExchangeBanned(RateLimitedError):
    """The exchange asked for a wait longer than `[exchange.reliability] max_wait_s` (a 418 IP ban, a long 429):
    the request fails at once instead of sleeping through it. `until_ms` is when the ban ends (epoch ms)."""

    def __init__(self, message: str, retry_after_s: float, until_ms: int) -> None:
        super().__init__(message, retry_after_s)
        self.until_ms = until_ms

    @classmethod
    def of(cls, what: str, wait_s: float, until_ms: int, max_wait_s: float) -> ExchangeBanned:
        """The one line a user reads: what was refused, until when (UTC), and which setting decided."""
        until = datetime.fromtimestamp(until_ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return cls(
            f"{what}: the exchange refuses requests until {until} (a wait of {wait_s:,.0f} s, longer than "
            f"[exchange.reliability] max_wait_s = {max_wait_s:g} s); not waiting",
            wait_s,
            until_ms,
        )


class IncompleteResponseError(RetryableError):
    """A response that is not the exchange's JSON: a body cut off in transit, a proxy's HTML page. Asking again
    usually helps; read as data it would look like an empty page, and an empty page reads as "no more history"."""


class IncompleteHistoryError(IncompleteResponseError):
    """History that must continue came back empty again and again: the series would have a hole nobody saw."""


class RejectedError(AdapterError):
    """The exchange refused the request (bad symbol, bad request, authentication). Never retried."""

    retryable = False


# ccxt class names, most specific first; the first name found along the exception's MRO decides.
_INCOMPLETE = ("NullResponse", "BadResponse")
_RATE_LIMITED = ("RateLimitExceeded", "DDoSProtection")
_RETRYABLE = (
    "RequestTimeout",
    "ExchangeNotAvailable",
    "OnMaintenance",
    "InvalidNonce",
    "NetworkError",
    "OperationFailed",
)
_REJECTED = (
    "BadSymbol",
    "BadRequest",
    "AuthenticationError",
    "PermissionDenied",
    "AccountSuspended",
    "InsufficientFunds",
    "InvalidOrder",
    "NotSupported",
    "ExchangeError",
)

_RETRY_AFTER_RE = re.compile(r"(?i)retry[-_ ]after[\"']?\s*[:=]\s*[\"']?(\d+(?:\.\d+)?)")


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from an HTTP `Retry-After` value (delta-seconds form); None when absent or unparsable."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def retry_after_from_message(message: str) -> float | None:
    """A `Retry-After` value quoted inside an error message (ccxt includes response headers in some)."""
    match = _RETRY_AFTER_RE.search(message)
    return float(match.group(1)) if match else None


def _ccxt_names(exc: BaseException) -> list[str]:
    return [cls.__name__ for cls in type(exc).__mro__ if cls.__module__.startswith("ccxt")]


def translate_ccxt_error(
    exc: BaseException, retry_after_s: float | None = None, secrets: tuple[str, ...] = ()
) -> Exception:
    """The project error for `exc` (a ccxt error, or a raw network error that escaped ccxt).

    Already-translated errors are returned unchanged. `retry_after_s` is the `Retry-After` the caller read
    from the last response headers, if any; otherwise one quoted in the message is used. Messages are
    redacted (see `redact`). Anything unrecognised becomes a `RejectedError`: retrying an error nobody
    understands is how clients end up banned.
    """
    if isinstance(exc, AdapterError):
        return exc
    message = redact(f"{type(exc).__name__}: {exc}", secrets)
    names = _ccxt_names(exc)
    for name in names:
        if name in _INCOMPLETE:
            return IncompleteResponseError(message)
        if name in _RATE_LIMITED:
            hint = retry_after_s if retry_after_s is not None else retry_after_from_message(str(exc))
            return RateLimitedError(message, hint)
        if name in _RETRYABLE:
            return ExchangeUnavailable(message)
        if name in _REJECTED:
            return RejectedError(message)
    if isinstance(exc, TimeoutError | OSError):
        return ExchangeUnavailable(message)
    return RejectedError(message)
