"""Dates on the command line: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM` (UTC) or epoch milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime

_DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")


class DateError(ValueError):
    """A date that cannot be read; the message names the option and the accepted forms."""


def parse_date(text: str, option: str) -> int:
    """Epoch ms (UTC) from a date, a date and time, or an integer epoch-ms; `DateError` names the option."""
    value = text.strip()
    if value.isdigit():
        return int(value)
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return int(parsed.replace(tzinfo=UTC).timestamp() * 1000)
    raise DateError(f"{option}: bad date {text!r} (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM, UTC)")


def iso_utc(ms: int) -> str:
    """`2023-06-30T23:00:00Z` for epoch ms."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat().replace("+00:00", "Z")
