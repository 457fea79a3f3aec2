"""Record live websocket messages so a session can be replayed later.

The format is the one `ReplayStream` reads: one JSON object per line, `{"recv_time_ns": <ns>, "msg": <raw>}`,
gzip-compressed when the file name ends in `.gz`. The raw payload is spliced in byte-for-byte (not re-encoded)
so a replay decodes exactly what the exchange sent, and recording costs no JSON work per message.
"""

from __future__ import annotations

import gzip
import io
import time
from pathlib import Path
from types import TracebackType

import msgspec


class Recorder:
    """Appends raw messages to a JSONL(.gz) recording.

    Only well-formed JSON may be written (the caller records messages after they decoded), otherwise the
    line would not parse on replay; `write` checks cheaply that the payload looks like a JSON object/array.
    Writes are buffered; `flush()` pushes them to the OS, `close()` finishes the gzip stream.
    """

    def __init__(self, path: str | Path, *, append: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: io.BufferedIOBase
        if self.path.suffix == ".gz":
            self._fh = gzip.GzipFile(self.path, "ab" if append else "wb")
        elif append:
            self._fh = self.path.open("ab")
        else:
            self._fh = self.path.open("wb")
        self.count = 0

    def write(self, raw: bytes | str, recv_time_ns: int | None = None) -> None:
        """Record one message; `recv_time_ns` defaults to now (epoch ns)."""
        payload = raw.encode() if isinstance(raw, str) else raw
        payload = payload.strip()
        if payload[:1] not in (b"{", b"[") or payload[-1:] not in (b"}", b"]"):
            raise ValueError(f"{self.path}: refusing to record a message that is not a JSON object or array")
        ns = time.time_ns() if recv_time_ns is None else int(recv_time_ns)
        self._fh.write(b'{"recv_time_ns":%d,"msg":%s}\n' % (ns, payload))
        self.count += 1

    def write_json(self, obj: object, recv_time_ns: int | None = None) -> None:
        """Record a message given as a Python object (e.g. a REST snapshot body)."""
        self.write(msgspec.json.encode(obj), recv_time_ns)

    def flush(self) -> None:
        self._fh.flush()

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
