"""Binance websocket payloads → domain events, decoded by msgspec into typed structs.

Speed matters here (a busy book sends thousands of messages a second per symbol), so decoding is two cheap
steps instead of one generic parse: the combined-stream envelope `{"stream": ..., "data": ...}` is decoded
with `data` left as raw bytes, the stream name picks a decoder from a per-stream cache, and that decoder
builds a small typed struct straight from the bytes. Binance sends prices and quantities as strings;
msgspec's non-strict mode turns them into floats inside the C decoder, so no Python-level float() calls
happen per level. Payloads without an envelope (`/ws` connections, REST depth snapshots inlined in
recordings) are recognised by their own fields.

Errors never escape as anything but `DecodeError` (malformed or truncated JSON, wrong field types) or its
subclass `UnknownMessage` (well-formed but of a kind we do not handle), so callers can count and skip them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import msgspec

from cryptoterm.adapters.binance.symbols import SymbolMap
from cryptoterm.domain.market import (
    BookTop,
    Candle,
    DepthSnapshot,
    DepthUpdate,
    Kline,
    MarketEvent,
    TickerStats,
    Trade,
)

_NAN = float("nan")
Levels = tuple[tuple[float, float], ...]


class DecodeError(ValueError):
    """A message that cannot be turned into events: malformed, truncated, or of the wrong shape."""


class UnknownMessage(DecodeError):
    """A well-formed message of a stream or event type this decoder does not handle."""


class SubscriptionReply(NamedTuple):
    """Binance's answer to SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS, matched to the request by `id`."""

    id: int
    result: Any
    error: str | None = None


# ---------------------------------------------------------------------------------------------- wire structs
# Field names are Binance's single letters; only the fields the product uses are declared (msgspec skips
# the rest without building them).


class _Envelope(msgspec.Struct, gc=False):
    stream: str = ""
    data: msgspec.Raw = msgspec.Raw(b"")
    # Subscription replies
    id: int | None = None
    result: msgspec.Raw = msgspec.Raw(b"")
    error: msgspec.Raw = msgspec.Raw(b"")
    # Bare (unwrapped) payloads
    e: str = ""
    lastUpdateId: int = -1  # Binance's field name


class _ReplyError(msgspec.Struct, gc=False):
    code: int = 0
    msg: str = ""


class _TradeMsg(msgspec.Struct, gc=False):
    s: str
    t: int
    p: float
    q: float
    T: int
    m: bool
    E: int = 0


class _AggTradeMsg(msgspec.Struct, gc=False):
    s: str
    a: int
    p: float
    q: float
    T: int
    m: bool
    E: int = 0


class _BookTickerMsg(msgspec.Struct, gc=False):
    s: str
    b: float
    B: float
    a: float
    A: float
    u: int = 0
    E: int = 0
    T: int = 0


class _DepthMsg(msgspec.Struct, gc=False):
    s: str
    E: int
    U: int
    u: int
    b: Levels
    a: Levels
    pu: int = -1


class _SnapshotMsg(msgspec.Struct, gc=False):
    lastUpdateId: int  # Binance's field name
    bids: Levels
    asks: Levels
    E: int = 0
    T: int = 0


class _KlineBody(msgspec.Struct, gc=False):
    t: int
    i: str
    o: float
    h: float
    l: float  # noqa: E741 — Binance's field name
    c: float
    v: float
    x: bool
    q: float = 0.0
    n: int = 0


class _KlineMsg(msgspec.Struct, gc=False):
    s: str
    E: int
    k: _KlineBody


class _TickerMsg(msgspec.Struct, gc=False):
    """`24hrTicker` and `24hrMiniTicker` share these fields; only the full ticker has bid/ask."""

    s: str
    E: int
    c: float
    o: float
    h: float
    l: float  # noqa: E741 — Binance's field name
    v: float
    q: float
    b: float = _NAN
    a: float = _NAN


def _decoder(kind: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(kind, strict=False)


_ENVELOPE = msgspec.json.Decoder(_Envelope)
_REPLY_ERROR = msgspec.json.Decoder(_ReplyError)
_ANY = msgspec.json.Decoder()
_TRADE = _decoder(_TradeMsg)
_AGG_TRADE = _decoder(_AggTradeMsg)
_BOOK_TICKER = _decoder(_BookTickerMsg)
_DEPTH = _decoder(_DepthMsg)
_SNAPSHOT = _decoder(_SnapshotMsg)
_KLINE = _decoder(_KlineMsg)
_TICKER = _decoder(_TickerMsg)
_TICKER_LIST = _decoder(list[_TickerMsg])

#: A payload as msgspec reads it: the bytes of a message, or the raw slice of one.
Buf = bytes | str | msgspec.Raw
#: A route turns a payload into events; `symbol` is the unified symbol from the stream name ("" = use `s`).
_Route = Callable[["BinanceDecoder", Buf, str, int], list[MarketEvent]]


class BinanceDecoder:
    """Decodes Binance market-data messages (combined-stream or bare) into domain events.

    `decode(raw, recv_ms)` returns a list of events, or a `SubscriptionReply` for control replies, and raises
    `DecodeError` / `UnknownMessage` otherwise. `recv_ms` stamps events Binance sends without an event time
    (spot `bookTicker`). A REST depth snapshot carries no symbol: it is attributed to the symbol of the last
    stream message seen (recordings are per symbol), or to `snapshot_symbol` when set.
    """

    def __init__(self, symbols: SymbolMap | None = None) -> None:
        self.symbols = symbols if symbols is not None else SymbolMap()
        self.snapshot_symbol = ""
        self._routes: dict[str, tuple[_Route, str]] = {}

    def decode(self, raw: bytes | str, recv_ms: int = 0) -> list[MarketEvent] | SubscriptionReply:
        try:
            env = _ENVELOPE.decode(raw)
        except msgspec.ValidationError as exc:
            if raw[:1] in (b"[", "["):
                return self._bare_list(raw, recv_ms)
            raise DecodeError(f"unexpected message shape: {exc}") from None
        except msgspec.DecodeError as exc:
            raise DecodeError(f"malformed JSON: {exc}") from None
        if env.stream:
            route = self._routes.get(env.stream)
            if route is None:
                route = self._route(env.stream)
            self.snapshot_symbol = route[1]
            try:
                return route[0](self, env.data, route[1], recv_ms)
            except msgspec.MsgspecError as exc:
                raise DecodeError(f"stream {env.stream!r}: {exc}") from None
        if env.id is not None:
            return self._reply(env)
        try:
            return self._bare(env, raw, recv_ms)
        except msgspec.MsgspecError as exc:
            raise DecodeError(f"{env.e or 'message'}: {exc}") from None

    # ------------------------------------------------------------------ routing

    def _route(self, stream: str) -> tuple[_Route, str]:
        if stream in ("!miniTicker@arr", "!ticker@arr"):
            route: tuple[_Route, str] = (BinanceDecoder._tickers, "")
        else:
            native, _, kind = stream.partition("@")
            handler = _STREAM_KINDS.get(kind)
            if handler is None:
                if kind.startswith("kline_"):
                    handler = BinanceDecoder._kline
                elif kind.startswith("depth") and kind[5:6].isdigit():
                    handler = BinanceDecoder._partial_depth
                elif not kind:
                    # User-data streams are named by their listen key, a credential: never echo it.
                    raise UnknownMessage(f"unknown stream without a type ({len(stream)}-character name)")
                else:
                    raise UnknownMessage(f"unknown stream type {kind!r} on {native!r}")
            route = (handler, self.symbols.unified(native))
        self._routes[stream] = route
        return route

    def _bare(self, env: _Envelope, raw: Buf, recv_ms: int) -> list[MarketEvent]:
        kind = env.e
        if kind:
            handler = _EVENT_TYPES.get(kind)
            if handler is None:
                raise UnknownMessage(f"unknown event type {kind!r}")
            return handler(self, raw, "", recv_ms)
        if env.lastUpdateId >= 0:
            if not self.snapshot_symbol:
                raise DecodeError("depth snapshot before any stream message: its symbol is unknown")
            return self._partial_depth(raw, self.snapshot_symbol, recv_ms)
        # Spot bookTicker is the one stream payload without an "e" field; anything else is unknown.
        try:
            return self._book_ticker(raw, "", recv_ms)
        except msgspec.ValidationError:
            raise UnknownMessage("message of unknown shape (no stream, event type or id)") from None

    def _bare_list(self, raw: Buf, recv_ms: int) -> list[MarketEvent]:
        try:
            return self._tickers(raw, "", recv_ms)
        except msgspec.MsgspecError as exc:
            raise DecodeError(f"array message: {exc}") from None

    def _reply(self, env: _Envelope) -> SubscriptionReply:
        assert env.id is not None
        error: str | None = None
        if env.error:
            err = _REPLY_ERROR.decode(env.error)
            error = f"code {err.code}: {err.msg}"
        result = _ANY.decode(env.result) if env.result else None
        return SubscriptionReply(env.id, result, error)

    # ------------------------------------------------------------------ payloads

    def _trade(self, data: Buf, symbol: str, recv_ms: int) -> list[MarketEvent]:
        m = _TRADE.decode(data)
        return [Trade(symbol or self.symbols.unified(m.s), m.T, m.p, m.q, "sell" if m.m else "buy", m.t)]

    def _agg_trade(self, data: Buf, symbol: str, recv_ms: int) -> list[MarketEvent]:
        m = _AGG_TRADE.decode(data)
        return [Trade(symbol or self.symbols.unified(m.s), m.T, m.p, m.q, "sell" if m.m else "buy", m.a)]

    def _book_ticker(self, data: Buf, symbol: str, recv_ms: int) -> list[MarketEvent]:
        m = _BOOK_TICKER.decode(data)
        return [BookTop(symbol or self.symbols.unified(m.s), m.E or m.T or recv_ms, m.b, m.B, m.a, m.A)]

    def _depth(self, data: Buf, symbol: str, recv_ms: int) -> list[MarketEvent]:
        m = _DEPTH.decode(data)
        return [DepthUpdate(symbol or self.symbols.unified(m.s), m.E, m.U, m.u, m.b, m.a, m.pu)]

    def _partial_depth(self, data: Buf, symbol: str, recv_ms: int) -> list[MarketEvent]:
        m = _SNAPSHOT.decode(data)
        return [DepthSnapshot(symbol, m.E or m.T or recv_ms, m.lastUpdateId, m.bids, m.asks)]

    def _kline(self, data: Buf, symbol: str, recv_ms: int) -> list[MarketEvent]:
        m = _KLINE.decode(data)
        k = m.k
        candle = Candle(k.t, k.o, k.h, k.l, k.c, k.v, k.q, k.n, k.x)
        return [Kline(symbol or self.symbols.unified(m.s), k.i, candle)]

    def _ticker(self, data: Buf, symbol: str, recv_ms: int) -> list[MarketEvent]:
        m = _TICKER.decode(data)
        return [self._ticker_stats(m, symbol)]

    def _tickers(self, data: Buf, symbol: str, recv_ms: int) -> list[MarketEvent]:
        return [self._ticker_stats(m, "") for m in _TICKER_LIST.decode(data)]

    def _ticker_stats(self, m: _TickerMsg, symbol: str) -> TickerStats:
        return TickerStats(symbol or self.symbols.unified(m.s), m.E, m.c, m.o, m.h, m.l, m.v, m.q, m.b, m.a)


_STREAM_KINDS: dict[str, _Route] = {
    "trade": BinanceDecoder._trade,
    "aggTrade": BinanceDecoder._agg_trade,
    "bookTicker": BinanceDecoder._book_ticker,
    "depth": BinanceDecoder._depth,
    "depth@100ms": BinanceDecoder._depth,
    "depth@250ms": BinanceDecoder._depth,
    "depth@500ms": BinanceDecoder._depth,
    "depth@0ms": BinanceDecoder._depth,
    "ticker": BinanceDecoder._ticker,
    "miniTicker": BinanceDecoder._ticker,
}

_EVENT_TYPES: dict[str, _Route] = {
    "trade": BinanceDecoder._trade,
    "aggTrade": BinanceDecoder._agg_trade,
    "bookTicker": BinanceDecoder._book_ticker,
    "depthUpdate": BinanceDecoder._depth,
    "kline": BinanceDecoder._kline,
    "24hrTicker": BinanceDecoder._ticker,
    "24hrMiniTicker": BinanceDecoder._ticker,
}
