"""A loopback HTTP receiver for notification tests: it records every request apprise's `json://` plugin sends.

`json://127.0.0.1:PORT/path` makes apprise POST `{"version", "title", "message", "type"}` to
`http://127.0.0.1:PORT/path`; the receiver keeps each request (path, headers, decoded body) so tests can check
exactly what was delivered. `fail_next(n)` answers the next n requests with HTTP 500 to exercise retries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web


@dataclass(frozen=True)
class Received:
    """One request as it arrived."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    answered: int


@dataclass
class NotifyReceiver:
    """`async with NotifyReceiver() as rx:` then point apprise at `rx.json_url("/hook")`."""

    received: list[Received] = field(default_factory=list)
    port: int = 0
    _failures_left: int = 0
    _runner: web.AppRunner | None = None

    def fail_next(self, count: int = 1) -> None:
        self._failures_left += count

    def json_url(self, path: str = "/hook") -> str:
        return f"json://127.0.0.1:{self.port}{path}"

    def bodies(self, path: str | None = None) -> list[dict[str, Any]]:
        """Bodies of the requests that were accepted (HTTP 200), optionally for one path only."""
        return [r.body for r in self.received if r.answered == 200 and (path is None or r.path == path)]

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body = orjson.loads(raw) if raw else {}
        except orjson.JSONDecodeError:
            body = {"_raw": raw.decode("utf-8", "replace")}
        status = 200
        if self._failures_left > 0:
            self._failures_left -= 1
            status = 500
        self.received.append(Received(request.path, dict(request.headers), body, status))
        return web.json_response({"ok": status == 200}, status=status)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> NotifyReceiver:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
