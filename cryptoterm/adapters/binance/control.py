"""The control channel of a Binance market-stream connection: SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS.

Requests carry an `id` and the server answers `{"result": ..., "id": N}` (or an error) on the same socket as the
data, so each request waits on a future the reader resolves when the reply with its id arrives. Binance drops a
connection that sends more than 5 messages a second (pings and pongs included), so requests go through a pacer
spaced at `max_messages_per_s` (default 4, leaving room for pongs). A connection that ends fails every pending
request: the next connection's URL lists every current stream, so nothing needs resending.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable

import msgspec
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from cryptoterm.adapters.binance.decode import SubscriptionReply
from cryptoterm.adapters.errors import RejectedError

log = logging.getLogger(__name__)


class Pacer:
    """Spaces outgoing control messages so no one-second window holds more than `rate` of them."""

    def __init__(self, rate: float, monotonic: Callable[[], float]) -> None:
        if rate <= 0:
            raise ValueError(f"max_messages_per_s must be positive, got {rate!r}")
        self._interval = 1.0 / rate
        self._monotonic = monotonic
        self._next = 0.0
        self._lock = asyncio.Lock()
        self.sent = 0
        #: Monotonic times the last messages were released (the schedule the exchange's limit applies to).
        self.released_at: deque[float] = deque(maxlen=64)

    async def wait(self) -> None:
        async with self._lock:
            now = self._monotonic()
            if self._next > now:
                await asyncio.sleep(self._next - now)
                now = self._next
            self._next = now + self._interval
            self.sent += 1
            self.released_at.append(now)


class ControlChannel:
    """Request / reply over the current connection (`ws`, set by the stream while a connection is up)."""

    def __init__(self, name: str, pacer: Pacer, reply_timeout_s: float) -> None:
        self.name = name
        self.pacer = pacer
        self.reply_timeout_s = reply_timeout_s
        self.ws: ClientConnection | None = None
        self._next_id = 0
        self._pending: dict[int, asyncio.Future[SubscriptionReply]] = {}

    async def request(self, method: str, params: list[str] | None = None) -> SubscriptionReply:
        """Send one control request (paced) and wait for the reply with the same id.

        Raises ConnectionError when not connected or the connection ends first, TimeoutError without a reply."""
        ws = self.ws
        if ws is None:
            raise ConnectionError("not connected")
        self._next_id += 1
        request_id = self._next_id
        future: asyncio.Future[SubscriptionReply] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            await self.pacer.wait()
            body: dict[str, object] = {"method": method, "id": request_id}
            if params is not None:
                body["params"] = params
            try:
                await ws.send(msgspec.json.encode(body).decode())
            except ConnectionClosed:
                raise ConnectionError("connection lost") from None
            return await asyncio.wait_for(future, self.reply_timeout_s)
        finally:
            self._pending.pop(request_id, None)

    async def list_subscriptions(self) -> list[str]:
        """The streams the server says this connection carries (LIST_SUBSCRIPTIONS)."""
        reply = await self.request("LIST_SUBSCRIPTIONS")
        return [str(s) for s in reply.result or []]

    @property
    def sent(self) -> int:
        """Control messages sent since the stream started."""
        return self.pacer.sent

    @property
    def send_times(self) -> list[float]:
        """Monotonic times the latest control messages were sent (up to 64)."""
        return list(self.pacer.released_at)

    async def change(self, method: str, params: list[str]) -> None:
        """SUBSCRIBE / UNSUBSCRIBE `params` now if connected; otherwise (or if the connection ends first) the next
        connection's URL carries the change. Raises `RejectedError` when the exchange refuses."""
        if self.ws is None or not params:
            return
        try:
            reply = await self.request(method, params)
        except ConnectionError:
            return
        if reply.error is not None:
            raise RejectedError(f"{method} {len(params)} streams refused: {reply.error}")

    def spawn_change(self, method: str, params: list[str]) -> None:
        """`change` in the background (a failure is logged): for streams that raced a connection's URL."""
        task = asyncio.get_running_loop().create_task(self.change(method, params))
        task.add_done_callback(self._log_failure)

    def _log_failure(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.warning("%s: control request failed: %s", self.name, task.exception())

    def on_reply(self, reply: SubscriptionReply) -> None:
        """A reply arrived on the data socket: resolve the request waiting for it."""
        future = self._pending.get(reply.id)
        if future is None:
            log.warning("%s: reply to unknown request id %d", self.name, reply.id)
            return
        if not future.done():
            future.set_result(reply)

    def fail_pending(self, exc: Exception) -> None:
        """The connection ended: every request still waiting fails with `exc`."""
        for future in self._pending.values():
            if not future.done():
                future.set_exception(exc)
        self._pending.clear()
