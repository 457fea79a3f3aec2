"""Keeping secrets out of everything a person or a file can see: logs, error messages, the screen, the database.

Pure string work, kept at the bottom of the layers because every layer needs it: config errors echo values that
may be API keys or notification URLs, adapters re-raise library errors that quote signed request URLs, and
services record error texts. Two tools:

* `redact(text, secrets)` masks credential-looking query parameters (`signature=`, `apiKey=`, `token=` …) and
  the given secret strings;
* `redact_url(url)` reduces a notification URL to what is safe to show (scheme and a real host), because
  apprise URLs carry tokens in every part (`tgram://BOT_TOKEN/CHAT`); `url_secrets(url)` lists those parts so a
  text that quotes the URL can be masked with `redact_secrets`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final
from urllib.parse import parse_qsl

MASK: Final = "***"
_SECRET_QUERY_RE: Final = re.compile(
    r"(?i)\b(signature|api[_-]?key|apikey|secret|token|access[_-]?token|listenkey|passphrase|password)"
    r"=([^&\s\"']+)"
)
_TAG_SUFFIX: Final = re.compile(r"#(?P<tags>[A-Za-z0-9][A-Za-z0-9_-]*(?:,[A-Za-z0-9][A-Za-z0-9_-]*)*)$")
_HOSTNAME: Final = re.compile(r"^(?:localhost|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|\[[0-9A-Fa-f:.]+\])$")
_MIN_SECRET_LEN: Final = 3


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with credential-looking query parameters and the given secret strings replaced by `***`.

    ccxt puts the full request URL (signatures and tokens included) into its error messages; everything an
    adapter logs or re-raises passes through here first. Longer secrets are masked first, so a URL is masked
    before the pieces it contains.
    """
    cleaned = _SECRET_QUERY_RE.sub(lambda m: f"{m.group(1)}={MASK}", text)
    return redact_secrets(cleaned, [s for s in secrets if s])


def redact_secrets(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret replaced by `***`, longest first so a URL is masked before its parts."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, MASK)
    return text


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
