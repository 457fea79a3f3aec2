"""Replay a recorded session as a live `MarketStream`.

Two recording formats are read:

* websocket recordings, one JSON object per line (gzip or plain): `{"recv_time_ns": <ns>, "msg": <raw>}` as
  written by `Recorder` (and by the hftbacktest collector), or `{"recv_ts": <float s>, "msg": <raw>}`
  (cryptofeed). `msg` is the exchange payload exactly as received;
* trade CSVs with a header: `trade_id,price,qty,trade_time_ms,…,is_buyer_maker,…[,recv_time_ns]` (`@trade`)
  or `agg_trade_id,price,qty,…,trade_time_ms,is_buyer_maker,…` (`@aggTrade`).

Every message goes through the same `BinanceDecoder` as live data (CSV rows are first re-expressed as the
Binance payload they came from), so a replay exercises exactly the code a live session runs. Pacing follows
the recorded receive times (trade time for CSVs without one) divided by `speed`; `speed=0` replays as fast
as the consumer takes it, yielding to the event loop between batches. When the recording ends the stream says
so in the log (`replay finished: N events`) and its state is "closed".

`check_recording` reads the first records before anything starts, so a file that is not a recording at all
(garbage, JSON lines of something else, a broken gzip) is one line naming the file and line, not a replay of
nothing with errors in the log pane and a clock stuck at 1970.
"""

from __future__ import annotations

import asyncio
import csv
import logging
import re
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import NamedTuple

import msgspec

from cryptoterm.adapters.binance.decode import BinanceDecoder, DecodeError, SubscriptionReply
from cryptoterm.adapters.binance.symbols import SymbolMap
from cryptoterm.adapters.recording_files import open_binary, open_csv
from cryptoterm.adapters.replay_pacing import ReplayPacer, recording_span_ns
from cryptoterm.domain.market import MarketEvent, Rewound
from cryptoterm.ports.market import ConnectionState, StreamHealth

log = logging.getLogger(__name__)


class RecordedMessage(NamedTuple):
    """One recorded websocket message: collector receive time (ns) and the raw payload bytes."""

    recv_ns: int
    raw: bytes


class RecordingError(ValueError):
    """A recording that cannot be read; the message names the file and line."""


#: Messages `check_recording` reads: enough to see the file's shape, few enough to be instant on any file.
CHECKED_MESSAGES = 200
#: What reading a damaged file raises besides `RecordingError`: a broken or truncated gzip, text that is not
#: UTF-8, a CSV the csv module cannot split.
_UNREADABLE = (OSError, EOFError, zlib.error, UnicodeDecodeError, csv.Error)


class _Line(msgspec.Struct, gc=False):
    msg: msgspec.Raw
    recv_time_ns: int = -1
    recv_ts: float = -1.0


_LINE = msgspec.json.Decoder(_Line)


def read_recording(path: str | Path, *, skip_bad_lines: bool = False) -> Iterator[RecordedMessage]:
    """Yield the messages of a websocket recording in file order.

    A malformed line raises `RecordingError` naming the file and line number, or is logged and skipped when
    `skip_bad_lines` is true (a recording cut off mid-line by a crash should still replay).
    """
    path = Path(path)
    with open_binary(path) as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = _LINE.decode(line)
            except msgspec.MsgspecError as exc:
                if skip_bad_lines:
                    log.warning("%s:%d: skipped unreadable line (%s)", path, lineno, exc)
                    continue
                raise RecordingError(f"{path}:{lineno}: not a recorded message ({exc})") from None
            if rec.recv_time_ns >= 0:
                recv_ns = rec.recv_time_ns
            elif rec.recv_ts >= 0:
                recv_ns = round(rec.recv_ts * 1e9)
            else:
                raise RecordingError(f"{path}:{lineno}: neither 'recv_time_ns' nor 'recv_ts' present")
            yield RecordedMessage(recv_ns, bytes(rec.msg))


_CSV_NAME = re.compile(r"_([A-Za-z0-9]+)_(?:trades|aggTrades)_")


def read_trades_csv(path: str | Path, symbol: str = "") -> Iterator[RecordedMessage]:
    """Yield a trade CSV's rows as the Binance `trade` / `aggTrade` payloads they were recorded from.

    The native symbol comes from `symbol` ("BTC/USDT"), else from the file name (`…_BTCUSDT_trades_…`).
    Receive time is `recv_time_ns` when the file has it, else the trade time. Bad rows raise
    `RecordingError` naming file, line and column.
    """
    path = Path(path)
    if symbol:
        native = symbol.replace("/", "").partition(":")[0].upper()
    else:
        found = _CSV_NAME.search(path.name)
        if found is None:
            raise RecordingError(
                f"{path}: cannot tell the symbol from the file name "
                "(name it like binance-spot_BTCUSDT_trades_2024-08-08.csv, or give the symbol)"
            )
        native = found.group(1).upper()
    with open_csv(path) as text_fh:
        reader = csv.DictReader(text_fh)
        fields = reader.fieldnames or []
        agg = "agg_trade_id" in fields
        id_col = "agg_trade_id" if agg else "trade_id"
        missing = {id_col, "price", "qty", "trade_time_ms", "is_buyer_maker"} - set(fields)
        if missing:
            raise RecordingError(f"{path}:1: trade CSV lacks column(s) {', '.join(sorted(missing))}")
        has_recv = "recv_time_ns" in fields
        kind, id_key = ("aggTrade", "a") if agg else ("trade", "t")
        for lineno, row in enumerate(reader, 2):
            try:
                trade_time = int(row["trade_time_ms"])
                event_time = int(row.get("event_time_ms") or trade_time)
                recv_ns = int(row["recv_time_ns"]) if has_recv else trade_time * 1_000_000
                trade_id = int(row[id_col])
                price, qty = row["price"].strip(), row["qty"].strip()
                float(price), float(qty)  # validate here so the error names the line
                maker = row["is_buyer_maker"].strip().lower()
                if maker not in ("true", "false"):
                    raise ValueError(f"is_buyer_maker must be true/false, got {row['is_buyer_maker']!r}")
            except (TypeError, ValueError) as exc:
                raise RecordingError(f"{path}:{lineno}: bad trade row ({exc})") from None
            payload = (
                f'{{"e":"{kind}","E":{event_time},"s":"{native}","{id_key}":{trade_id},'
                f'"p":"{price}","q":"{qty}","T":{trade_time},"m":{maker}}}'
            )
            yield RecordedMessage(recv_ns, payload.encode())


def read_any(path: str | Path, symbol: str = "") -> Iterator[RecordedMessage]:
    """A websocket recording (`.jsonl[.gz]`) or a trade CSV (`.csv[.gz]`), by file name."""
    name = Path(path).name
    if name.endswith((".csv", ".csv.gz")):
        return read_trades_csv(path, symbol)
    return read_recording(path)


def check_recording(path: str | Path, symbol: str = "") -> int:
    """Raise `RecordingError` (one line naming the file) unless `path` reads as a recording; returns how many
    messages were checked.

    The first `CHECKED_MESSAGES` messages must read (every line a recorded message, every CSV row a trade) and
    at least one of them must decode as market data: a file of well-formed JSON lines that are not Binance
    payloads is not a recording. Later damage is left to the replay, which skips and counts it as live does.
    """
    path = Path(path)
    if not path.is_file():
        raise RecordingError(f"{path}: replay file not found")
    decoder = BinanceDecoder(SymbolMap([symbol] if symbol else []))
    checked = decoded = 0
    first_error = ""
    try:
        for _recv_ns, raw in read_any(path, symbol):
            checked += 1
            try:
                decoder.decode(raw, 0)
                decoded += 1
            except DecodeError as exc:
                first_error = first_error or f"message {checked}: {exc}"
            if checked >= CHECKED_MESSAGES:
                break
    except _UNREADABLE as exc:
        raise RecordingError(f"{path}: cannot read it as a recording ({_reason(exc)})") from None
    if checked == 0:
        raise RecordingError(f"{path}: the recording holds no messages")
    if decoded == 0:
        raise RecordingError(
            f"{path}: not a market-data recording: no Binance stream message among its first {checked} "
            f"message(s) ({first_error})"
        )
    return checked


def recording_problem(path: str | Path) -> str | None:
    """Why `path` cannot be replayed, in one line (see `check_recording`), or None when it can."""
    try:
        check_recording(path)
    except RecordingError as exc:
        return str(exc)
    return None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "it is not UTF-8 text"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


class ReplayStream:
    """A `MarketStream` over a recorded file, paced by its recorded receive times.

    `speed` 1.0 is real time, N is N× faster, 0 is as fast as possible; `control` (`replay_pacing.ReplayPacer`,
    the `ports.replay.ReplayControl`) pauses, changes the speed and seeks while it runs. `subscribe` narrows the
    replay to some symbols (nothing subscribed = everything in the file). Bad messages are counted in `health()`
    and skipped, as live. `batch_window_ms` groups messages recorded that close together into one batch.
    `hold_at_end` keeps the stream open once the recording has played (the TUI: a seek back can still replay it);
    otherwise it ends there (`--headless --replay` exits). `sleep` and `monotonic` default to the event loop's;
    tests pass a virtual clock (an injected `sleep` is not woken early by the controls).
    """

    def __init__(
        self,
        path: str | Path,
        speed: float = 1.0,
        *,
        symbol: str = "",
        batch_window_ms: float = 20.0,
        max_batch: int = 4096,
        hold_at_end: bool = False,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        monotonic: Callable[[], float] | None = None,
    ) -> None:
        if speed < 0:
            raise ValueError(f"replay speed must be >= 0, got {speed!r}")
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"replay file not found: {self.path}")
        self.name = f"replay:{self.path.name}"
        self.control = ReplayPacer(speed, monotonic, sleep)
        self._symbol = symbol
        self._window_ns = batch_window_ms * 1e6
        self._max_batch = max_batch
        self._hold_at_end = hold_at_end
        self._symbols = SymbolMap([symbol] if symbol else [])
        self._decoder = BinanceDecoder(self._symbols)
        self._wanted: set[str] | None = None  # None: every symbol in the file
        self._excluded: set[str] = set()
        self._state: ConnectionState = "connecting"
        self._messages = 0
        self._events = 0
        self._errors = 0
        self._last_ms = 0
        self._closed = False
        self._span: asyncio.Task[None] | None = None

    @property
    def speed(self) -> float:
        return self.control.speed

    async def batches(self) -> AsyncIterator[list[MarketEvent]]:
        pacer = self.control
        if self._span is None:
            span = pacer.read_span(partial(recording_span_ns, self.path, partial(read_any, symbol=self._symbol)))
            self._span = asyncio.get_running_loop().create_task(span, name=f"{self.name}: span")
        try:
            while not self._closed:
                self._state = "connected"
                async for batch in self._play(pacer):
                    yield batch
                target_ns = pacer.take_rewind()
                if target_ns:
                    yield [Rewound(self.name, target_ns // 1_000_000)]
                    continue
                if self._closed:
                    break
                pacer.finished = True
                self._state = "closed"
                log.info(
                    "%s: replay finished: %d events from %d messages (%d skipped)",
                    self.name,
                    self._events,
                    self._messages,
                    self._errors,
                )
                if not self._hold_at_end:
                    break
                while not self._closed and not pacer.rewind_to_ns:
                    await pacer.wait(3600.0)
        finally:
            self._state = "closed"

    async def _play(self, pacer: ReplayPacer) -> AsyncIterator[list[MarketEvent]]:
        """The recording from its start, once (a seek back ends it early: the caller starts over).

        The pacer's controls only change while this generator is suspended (at a `yield` or an `await`), so
        after the first message past a suspension the pace is known until the next one: running unpaced (speed 0,
        no seek, not paused), the messages in between skip the pacer entirely and the position is reported once
        per batch. That keeps a replay at speed 0 as fast as decoding."""
        batch_start_ns = -1
        batch: list[MarketEvent] = []
        decode = self._decoder.decode
        free_run = False
        recv_ns = 0
        for recv_ns, raw in read_any(self.path, self._symbol):
            if not free_run:
                wait = pacer.delay(recv_ns)
                if batch_start_ns < 0:
                    batch_start_ns = recv_ns
                if batch and not pacer.fast and (wait > 0 or recv_ns - batch_start_ns > self._window_ns):
                    yield batch
                    batch, batch_start_ns = [], recv_ns
                while (wait > 0 or pacer.holding) and not self._closed and not pacer.rewind_to_ns:
                    if batch:
                        yield batch
                        batch, batch_start_ns = [], recv_ns
                    await pacer.wait(wait)
                    wait = pacer.delay(recv_ns)
                if self._closed or pacer.rewind_to_ns:
                    break
                pacer.played(recv_ns)
                free_run = pacer.speed == 0 and not pacer.seek_ns and not pacer.paused
            recv_ms = recv_ns // 1_000_000
            self._messages += 1
            self._last_ms = recv_ms
            try:
                events = decode(raw, recv_ms)
            except DecodeError as exc:
                self._errors += 1
                log.warning("%s: skipped message %d: %s", self.name, self._messages, exc)
                continue
            if type(events) is SubscriptionReply:
                continue
            assert isinstance(events, list)
            if self._wanted is not None or self._excluded:
                events = [e for e in events if self._keeps(getattr(e, "symbol", ""))]
            batch.extend(events)
            self._events += len(events)
            if len(batch) >= self._max_batch:
                pacer.played(recv_ns)
                yield batch
                batch, batch_start_ns, free_run = [], recv_ns, False
                if pacer.fast:
                    await asyncio.sleep(0)
        if batch:
            pacer.played(recv_ns)
            yield batch

    def _keeps(self, symbol: str) -> bool:
        if symbol in self._excluded:
            return False
        return self._wanted is None or symbol in self._wanted

    async def subscribe(self, symbols: Sequence[str]) -> None:
        """Narrow the replay to these symbols (the first call switches from "everything" to a list)."""
        if self._wanted is None:
            self._wanted = set()
        for symbol in symbols:
            self._symbols.add(symbol)
            self._wanted.add(symbol)
            self._excluded.discard(symbol)

    async def unsubscribe(self, symbols: Sequence[str]) -> None:
        for symbol in symbols:
            self._excluded.add(symbol)
            if self._wanted is not None:
                self._wanted.discard(symbol)

    def health(self) -> list[StreamHealth]:
        return [
            StreamHealth(
                name=self.name,
                state=self._state,
                messages=self._messages,
                errors=self._errors,
                last_message_ms=self._last_ms,
                detail=("paused, " if self.control.paused else "")
                + (f"speed {self.speed:g}×" if self.speed else "as fast as possible"),
            )
        ]

    async def close(self) -> None:
        self._closed = True
        self._state = "closed"
        self.control.resume()
        self.control.wake()  # a paused, waiting or finished stream sees it is closed and ends
        if self._span is not None:
            self._span.cancel()
