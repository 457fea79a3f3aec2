"""A loopback Binance websocket exchange for adapter tests.

It speaks Binance's market-stream protocol on 127.0.0.1 (an ephemeral port): `/stream?streams=a/b` combined
streams (payloads wrapped as `{"stream", "data"}`) and `/ws` raw streams, the `SUBSCRIBE` / `UNSUBSCRIBE` /
`LIST_SUBSCRIPTIONS` methods answered `{"result": ..., "id": N}`, and it replays *real* recorded messages
(hftbacktest / cryptofeed files) filtered to each connection's subscriptions.

The message cursor is shared by all connections, like exchange time: what was sent before a drop is not
sent again unless `overlap_on_reconnect` asks for it (to prove the client de-duplicates).

Fault knobs, indexed by position in the message list:
* `drop_after` — the k-th connection is cut (TCP abort, no close frame) after sending `drop_after[k]` messages;
* `stall_after` — the k-th connection goes silent after sending `stall_after[k]` messages: it stays open, answers
  pings and control requests, and sends no more data (the shared cursor stays where it stopped, so the next
  connection carries on from there); `stalled` is set when it goes silent;
* `malformed_at` / `truncated_at` / `unknown_at` — inject broken JSON, a frame cut mid-message, or a
  well-formed message of an unknown stream/event type just before message i;
* `skip_depth_at` — never send depth message i (a hole in the update-id chain);
* `delay_s` — pause between sent messages;
* `hold_before` — message i is not sent until its event is set (a test orders events instead of timing them);
* `reject_streams` — SUBSCRIBE requests naming one of these are answered with an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import msgspec
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from cryptoterm.adapters.replay import read_recording


class _Wrapped(msgspec.Struct):
    stream: str = ""
    data: msgspec.Raw = msgspec.Raw(b"")


class _DepthIds(msgspec.Struct):
    u: int = -1


_WRAPPED = msgspec.json.Decoder(_Wrapped)
_DEPTH_IDS = msgspec.json.Decoder(_DepthIds)

MALFORMED = b'{"stream":"btcusdt@trade","data":{"e":"trade",,}'
UNKNOWN_STREAM = b'{"stream":"btcusdt@forceOrder","data":{"e":"forceOrder","E":1,"o":{"s":"BTCUSDT"}}}'


class RecordedStreamMessage(msgspec.Struct, frozen=True):
    stream: str
    data: bytes
    raw: bytes
    depth_u: int  # final update id of a depth diff, else -1


def load_stream_messages(path: str | Path, *, skip: int = 0, limit: int | None = None) -> list[RecordedStreamMessage]:
    """The combined-stream messages of a recording, in file order (inline REST snapshots left out)."""
    out: list[RecordedStreamMessage] = []
    for i, rec in enumerate(read_recording(path)):
        if i < skip:
            continue
        wrapped = _WRAPPED.decode(rec.raw)
        if not wrapped.stream:
            continue
        data = bytes(wrapped.data)
        depth_u = _DEPTH_IDS.decode(data).u if "@depth" in wrapped.stream else -1
        out.append(RecordedStreamMessage(wrapped.stream, data, rec.raw, depth_u))
        if limit is not None and len(out) >= limit:
            break
    return out


def altered(message: RecordedStreamMessage, **fields: object) -> RecordedStreamMessage:
    """`message` with some fields of its payload replaced: a real message carrying a value no market sends
    (pass Binance's string form for prices, e.g. p="NaN", or a number, e.g. t=10**20)."""
    data = json.loads(message.data)
    data.update(fields)
    payload = json.dumps(data, separators=(",", ":"))
    raw = f'{{"stream":{json.dumps(message.stream)},"data":{payload}}}'.encode()
    return RecordedStreamMessage(message.stream, payload.encode(), raw, message.depth_u)


class BinanceWsServer:
    """See the module docstring. Use as `async with BinanceWsServer(messages, ...) as server: server.url`."""

    def __init__(
        self,
        messages: Sequence[RecordedStreamMessage],
        *,
        drop_after: Sequence[int] = (),
        stall_after: Sequence[int] = (),
        overlap_on_reconnect: int = 0,
        malformed_at: Collection[int] = (),
        truncated_at: Collection[int] = (),
        unknown_at: Collection[int] = (),
        skip_depth_at: Collection[int] = (),
        delay_s: float = 0.0,
        yield_every: int = 64,
        reject_streams: Collection[str] = (),
        hold_before: Mapping[int, asyncio.Event] | None = None,
    ) -> None:
        self.messages = list(messages)
        self.drop_after = list(drop_after)
        self.stall_after = list(stall_after)
        self.overlap_on_reconnect = overlap_on_reconnect
        self.malformed_at = set(malformed_at)
        self.truncated_at = set(truncated_at)
        self.unknown_at = set(unknown_at)
        self.skip_depth_at = set(skip_depth_at)
        self.delay_s = delay_s
        self.reject_streams = set(reject_streams)
        self.yield_every = yield_every
        self.hold_before = dict(hold_before or {})
        #: Index of the next message in `messages` (shared across connections, like exchange time).
        self.position = 0
        self.connections = 0
        self.sent = 0
        self.injected = 0
        #: (monotonic time, request) for every control message received.
        self.control_log: list[tuple[float, dict[str, Any]]] = []
        #: Paths clients connected with.
        self.paths: list[str] = []
        #: Final update id of the last depth diff the exchange produced per stream symbol ("btcusdt").
        self.depth_u: dict[str, int] = {}
        self.finished = asyncio.Event()
        #: Set when a connection goes silent (`stall_after`).
        self.stalled = asyncio.Event()
        self._server: Server | None = None
        self._live: set[ServerConnection] = set()
        self.url = ""

    async def __aenter__(self) -> BinanceWsServer:
        self._server = await serve(self._handle, "127.0.0.1", 0, compression=None)
        port = next(iter(self._server.sockets)).getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}"
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 5)

    async def ping_clients(self, timeout_s: float = 10.0) -> int:
        """Ping every live connection as Binance does; returns how many answered with a pong."""
        answered = 0
        for conn in list(self._live):
            waiter = await conn.ping()
            await asyncio.wait_for(waiter, timeout_s)
            answered += 1
        return answered

    @property
    def live_connections(self) -> int:
        """Connections open now."""
        return len(self._live)

    def drop_all(self) -> None:
        """Cut every live connection now (as a network failure would)."""
        for conn in list(self._live):
            conn.transport.abort()

    # ------------------------------------------------------------------ protocol

    async def _handle(self, conn: ServerConnection) -> None:
        request = conn.request
        assert request is not None
        parts = urlsplit(request.path)
        self.paths.append(request.path)
        combined = parts.path.rstrip("/") == "/stream"
        if not combined and not parts.path.startswith("/ws"):
            await conn.close(1008, "unknown path")
            return
        subs: list[str] = []
        if combined:
            for value in parse_qs(parts.query).get("streams", []):
                subs.extend(s for s in value.split("/") if s)
        elif parts.path.startswith("/ws/"):
            subs.extend(s for s in parts.path[4:].split("/") if s)
        index = self.connections
        self.connections += 1
        if index > 0 and self.overlap_on_reconnect:
            self.position = max(0, self.position - self.overlap_on_reconnect)
        self._live.add(conn)
        listening = asyncio.Event()  # a bare /ws connection receives nothing until it subscribes
        if subs:
            listening.set()
        reader = asyncio.create_task(self._control(conn, subs, listening))
        try:
            await listening.wait()
            drop = self.drop_after[index] if index < len(self.drop_after) else None
            stall = self.stall_after[index] if index < len(self.stall_after) else None
            await self._pump(conn, subs, combined, drop, stall)
            await conn.wait_closed()
        except ConnectionClosed:
            pass
        finally:
            self._live.discard(conn)
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader

    async def _control(self, conn: ServerConnection, subs: list[str], listening: asyncio.Event) -> None:
        async for frame in conn:
            try:
                req = json.loads(frame)
            except ValueError:
                await conn.send(json.dumps({"error": {"code": 3, "msg": "Invalid JSON"}, "id": None}))
                continue
            self.control_log.append((time.monotonic(), req))
            method, req_id, params = req.get("method"), req.get("id"), req.get("params") or []
            reply: dict[str, Any]
            if method == "SUBSCRIBE" and self.reject_streams.intersection(params):
                reply = {"error": {"code": 2, "msg": "Invalid request: unknown stream"}, "id": req_id}
            elif method == "SUBSCRIBE":
                subs.extend(p for p in params if p not in subs)
                listening.set()
                reply = {"result": None, "id": req_id}
            elif method == "UNSUBSCRIBE":
                subs[:] = [s for s in subs if s not in params]
                reply = {"result": None, "id": req_id}
            elif method == "LIST_SUBSCRIPTIONS":
                reply = {"result": list(subs), "id": req_id}
            else:
                reply = {"error": {"code": 2, "msg": f"Invalid request: unknown method {method!r}"}, "id": req_id}
            await conn.send(json.dumps(reply))

    async def _pump(
        self, conn: ServerConnection, subs: list[str], combined: bool, drop_after: int | None, stall_after: int | None
    ) -> None:
        sent_here = 0
        while self.position < len(self.messages):
            if stall_after is not None and sent_here >= stall_after:
                self.stalled.set()
                return  # silent from now on; the control reader keeps answering, the library answers pings
            i = self.position
            msg = self.messages[i]
            hold = self.hold_before.get(i)
            if hold is not None:
                await hold.wait()
                if self.position != i:  # another connection moved the shared cursor meanwhile
                    continue
            self.position += 1
            if msg.depth_u >= 0:
                self.depth_u[msg.stream.partition("@")[0]] = msg.depth_u
            for injected in self._faults(i, msg):
                await conn.send(injected, text=True)
                self.injected += 1
            if msg.stream not in subs or (i in self.skip_depth_at and msg.depth_u >= 0):
                continue
            await conn.send(msg.raw if combined else msg.data, text=True)
            self.sent += 1
            sent_here += 1
            if drop_after is not None and sent_here >= drop_after:
                conn.transport.abort()
                return
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            elif sent_here % self.yield_every == 0:
                await asyncio.sleep(0)
        self.finished.set()

    def _faults(self, i: int, msg: RecordedStreamMessage) -> Iterable[bytes]:
        if i in self.malformed_at:
            yield MALFORMED
        if i in self.truncated_at:
            yield msg.raw[: len(msg.raw) // 2]
        if i in self.unknown_at:
            yield UNKNOWN_STREAM
            yield b'{"e":"someNewEvent","E":1,"s":"BTCUSDT"}'
