"""Binance's SIGNED endpoint security, checked the way the exchange checks it, and the errors it answers.

A SIGNED request (orders, the account, its trades) carries the API key in the `X-MBX-APIKEY` header and, among
its parameters, a `timestamp` (epoch ms), an optional `recvWindow` (ms, default 5000, at most 60000) and a
`signature`: the lower-case hex HMAC-SHA256, keyed by the API secret, of *totalParams* — the query string
exactly as sent concatenated with the request body exactly as sent, without the `signature` pair itself. The
server recomputes it over the bytes it received, so a client that signs one encoding and sends another (or a
proxy that re-encodes) is refused with -1022, as Binance does. A request is accepted when
`serverTime - recvWindow <= timestamp < serverTime + 1000`.

`ApiError` is the exchange's error answer (`{"code", "msg"}` with its HTTP status); `sign_params` is the client
side, for tests that talk to the loopback without ccxt.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

DEFAULT_RECV_WINDOW_MS = 5000
MAX_RECV_WINDOW_MS = 60000
#: How far ahead of the server's clock a timestamp may be.
AHEAD_TOLERANCE_MS = 1000


@dataclass
class ApiError(Exception):
    """An error answer: Binance's code and message, and the HTTP status it comes with."""

    code: int
    msg: str
    status: int = 400

    def body(self) -> dict[str, object]:
        return {"code": self.code, "msg": self.msg}


def mandatory(name: str) -> ApiError:
    return ApiError(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


def signature_of(total_params: str, secret: str) -> str:
    return hmac.new(secret.encode(), total_params.encode(), hashlib.sha256).hexdigest()


def _without_signature(raw: str) -> tuple[str, str | None]:
    """`raw` with its `signature=` pair removed (the other pairs byte for byte), and the signature found."""
    kept: list[str] = []
    found: str | None = None
    for pair in raw.split("&") if raw else []:
        if pair.startswith("signature="):
            found = pair[len("signature=") :]
        else:
            kept.append(pair)
    return "&".join(kept), found


def verify_signed(
    api_keys: Mapping[str, str], headers: Mapping[str, str], raw_query: str, raw_body: str, now_ms: int
) -> dict[str, str]:
    """The request's parameters when its key, signature and timestamp pass; `ApiError` as Binance answers."""
    api_key = headers.get("X-MBX-APIKEY", "")
    if not api_key:
        raise ApiError(-2014, "API-key format invalid.", 401)
    secret = api_keys.get(api_key)
    if secret is None:
        raise ApiError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
    query, query_signature = _without_signature(raw_query)
    body, body_signature = _without_signature(raw_body)
    sent = query_signature or body_signature
    if not sent:
        raise mandatory("signature")
    if not hmac.compare_digest(signature_of(query + body, secret), sent.lower()):
        raise ApiError(-1022, "Signature for this request is not valid.")
    params = dict(parse_qsl(raw_query, keep_blank_values=True))
    params.update(parse_qsl(raw_body, keep_blank_values=True))
    params.pop("signature", None)
    check_timestamp(params, now_ms)
    return params


def check_timestamp(params: Mapping[str, str], now_ms: int) -> None:
    try:
        timestamp = int(params["timestamp"])
    except (KeyError, ValueError):
        raise mandatory("timestamp") from None
    try:
        recv_window = int(params.get("recvWindow", DEFAULT_RECV_WINDOW_MS))
    except ValueError:
        raise ApiError(
            -1100, "Illegal characters found in parameter 'recvWindow'; legal range is '^[0-9]{1,20}$'."
        ) from None
    if recv_window > MAX_RECV_WINDOW_MS:
        raise ApiError(-1131, "recvWindow must be less than 60000.")
    if not (now_ms - recv_window <= timestamp < now_ms + AHEAD_TOLERANCE_MS):
        raise ApiError(-1021, "Timestamp for this request is outside of the recvWindow.")


def sign_params(params: Mapping[str, object], secret: str) -> str:
    """The urlencoded parameters with their signature appended, as a client sends them."""
    query = urlencode({k: str(v) for k, v in params.items()})
    return f"{query}&signature={signature_of(query, secret)}"
