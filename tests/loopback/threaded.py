"""A loopback server on its own event loop in a thread, for code under test that runs `asyncio.run` itself (the CLI)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any, Generic, Protocol, TypeVar


class _Server(Protocol):
    async def start(self) -> Any: ...

    async def stop(self) -> None: ...


S = TypeVar("S", bound=_Server)
T = TypeVar("T")


class ServerThread(Generic[S]):
    """`with ServerThread(server) as srv:` — started before the block, stopped after it."""

    def __init__(self, server: S) -> None:
        self.server = server
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> S:
        self.thread.start()
        self.run(self.server.start)
        return self.server

    def run(self, work: Callable[[], Awaitable[T]]) -> T:
        """Run a coroutine on the server's loop (to touch its state between requests) and return its result."""
        return asyncio.run_coroutine_threadsafe(_awaited(work), self.loop).result(60)

    def __exit__(self, *exc: object) -> None:
        self.run(self.server.stop)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        self.loop.close()


async def _awaited(work: Callable[[], Awaitable[T]]) -> T:
    return await work()
