"""Binance websocket payloads → domain events, decoded by msgspec into typed structs.

Speed matters here (a busy book sends thousands of messages a second per symbol), so decoding is two cheap
steps instead of one generic parse: the combined-stream envelope `{"stream": ..., "data": ...}` is decoded
with `data` left as raw bytes, the stream name picks a decoder from a per-stream cache, and that decoder
builds a small typed struct (`binance/wire.py`) straight from the bytes. Binance sends prices and quantities as
strings; msgspec's non-strict mode turns them into floats inside the C decoder, and bounds them in the same pass,
so no Python-level float() call or range check happens per level. Payloads without an envelope (`/ws`
connections, REST depth snapshots inlined in recordings) are recognised by their own fields.

Errors never escape as anything but `DecodeError` (malformed or truncated JSON, wrong field types) or its
subclasses `UnknownMessage` (well-formed but of a kind we do not handle) and `RejectedValue` (well-formed, but a
value no market sends: a NaN or negative price, an id beyond 2**53, a time in the year 5138 — the rules are in
`adapters/market_values.py`), so callers can count and skip them. Each error has a `kind`, the same for every
message that fails the same way, so a stream logs the first of each kind and counts the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

import msgspec

from cryptoterm.adapters.binance.mark_price import mark_price_event
from cryptoterm.adapters.binance.symbols import SymbolMap
from cryptoterm.adapters.binance.wire import (
    AGG_TRADE,
    ANY,
    BOOK_TICKER,
    DEPTH,
    ENVELOPE,
    KLINE,
    MARK_PRICE,
    REPLY_ERROR,
    SNAPSHOT,
    TICKER,
    TICKER_LIST,
    TRADE,
    Envelope,
    TickerMsg,
)
from cryptoterm.adapters.market_values import (
    MAX_AHEAD_MS,
    MIN_EVENT_MS,
    BadMarketValue,
    check_time,
)
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


class DecodeError(ValueError):
    """A message that cannot be turned into events: malformed, truncated, or of the wrong shape.

    `kind` groups errors for logging: every malformed message is one kind, whatever its bytes."""

    def __init__(self, message: str, kind: str = "malformed message") -> None:
        super().__init__(message)
        self.kind = kind


class UnknownMessage(DecodeError):
    """A well-formed message of a stream or event type this decoder does not handle (its kind is its text)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, message)


class RejectedValue(DecodeError):
    """A well-formed message carrying a value no market sends (see `adapters/market_values.py`)."""

    def __init__(self, where: str, bad: BadMarketValue) -> None:
        super().__init__(f"{where}: rejected: {bad}", f"rejected {bad.kind}")


class SubscriptionReply(NamedTuple):
    """Binance's answer to SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS, matched to the request by `id`."""

    id: int
    result: Any
    error: str | None = None


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
            env = ENVELOPE.decode(raw)
        except msgspec.ValidationError as exc:
            if raw[:1] in (b"[", "["):
                return self._bare_list(raw, recv_ms)
            raise DecodeError(f"unexpected message shape: {exc}", "unexpected message shape") from None
        except msgspec.DecodeError as exc:
            raise DecodeError(f"malformed JSON: {exc}", "malformed JSON") from None
        if env.stream:
            route = self._routes.get(env.stream)
            if route is None:
                route = self._route(env.stream)
            self.snapshot_symbol = route[1]
            try:
                return route[0](self, env.data, route[1], recv_ms)
            except msgspec.MsgspecError as exc:
                raise _error(f"stream {env.stream!r}", exc, env.data) from None
            except BadMarketValue as bad:
                raise RejectedValue(f"stream {env.stream!r}", bad) from None
        if env.id is not None:
            return self._reply(env)
        try:
            return self._bare(env, raw, recv_ms)
        except msgspec.MsgspecError as exc:
            raise _error(env.e or "message", exc, raw) from None
        except BadMarketValue as bad:
            raise RejectedValue(env.e or "message", bad) from None

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

    def _bare(self, env: Envelope, raw: Buf, recv_ms: int) -> list[MarketEvent]:
        kind = env.e
        if kind:
            handler = _EVENT_TYPES.get(kind)
            if handler is None:
                raise UnknownMessage(f"unknown event type {kind!r}")
            return handler(self, raw, "", recv_ms)
        if env.lastUpdateId >= 0:
            if not self.snapshot_symbol:
                raise DecodeError("depth snapshot before any stream message: its symbol is unknown", "orphan snapshot")
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
            raise _error("array message", exc, raw) from None
        except BadMarketValue as bad:
            raise RejectedValue("array message", bad) from None

    def _reply(self, env: Envelope) -> SubscriptionReply:
        assert env.id is not None
        error: str | None = None
        if env.error:
            err = REPLY_ERROR.decode(env.error)
            error = f"code {err.code}: {err.msg}"
        result = ANY.decode(env.result) if env.result else None
        return SubscriptionReply(env.id, result, error)

    # ------------------------------------------------------------------ payloads

    # Values are range-checked by the structs' types as msgspec decodes (see `adapters/market_values.py`);
    # what is left is the one bound that needs the receive time: an event time far ahead of it.

    def _trade(self, data: Buf, symbol: str, recv_ms: int) -> list[MarketEvent]:
        m = TRADE.decode(data)
        if m.T - recv_ms > MAX_AHEAD_MS and recv_ms >= MIN_EVENT_MS:
            check_time(m.T, recv_ms, "trade")
        return [Trade(symbol or self.symbols.unified(m.s), m.T, m.p, m.q, "sell" if m.m else "buy", m.t)]

    def _agg_trade(self, data: Buf, symbol: str, recv_ms: int) -> list[MarketEvent]:
        m = AGG_TRADE.decode(data)
        if m.T - recv_ms > MAX_AHEAD_MS and recv_ms >= MIN_EVENT_MS:
            check_time(m.T, recv_ms, "trade")
        return [Trade(symbol or self.symbols.unified(m.s), m.T, m.p, m.q, "sell" if m.m else "buy", m.a)]

    def _book_ticker(self, data: Buf, symbol: str, recv_ms: int) -> list[MarketEvent]:
        m = BOOK_TICKER.decode(data)
        ts = m.E or m.T or recv_ms
        if ts - recv_ms > MAX_AHEAD_MS and recv_ms >= MIN_EVENT_MS:
            check_time(ts, recv_ms, "book ticker")
        return [BookTop(symbol or self.symbols.unified(m.s), ts, m.b, m.B, m.a, m.A)]

    def _depth(self, data: Buf, symbol: str, recv_ms: int) -> list[MarketEvent]:
        m = DEPTH.decode(data)
        if m.u < m.U:
            raise BadMarketValue("depth id order", f"depth: first update id {m.U} is after the last {m.u}")
        if m.E - recv_ms > MAX_AHEAD_MS and recv_ms >= MIN_EVENT_MS:
            check_time(m.E, recv_ms, "depth")
        return [DepthUpdate(symbol or self.symbols.unified(m.s), m.E, m.U, m.u, m.b, m.a, m.pu)]

    def _partial_depth(self, data: Buf, symbol: str, recv_ms: int) -> list[MarketEvent]:
        m = SNAPSHOT.decode(data)
        ts = m.E or m.T or recv_ms
        if ts - recv_ms > MAX_AHEAD_MS and recv_ms >= MIN_EVENT_MS:
            check_time(ts, recv_ms, "depth snapshot")
        return [DepthSnapshot(symbol, ts, m.lastUpdateId, m.bids, m.asks)]

    def _kline(self, data: Buf, symbol: str, recv_ms: int) -> list[MarketEvent]:
        m = KLINE.decode(data)
        k = m.k
        if k.t - recv_ms > MAX_AHEAD_MS and recv_ms >= MIN_EVENT_MS:
            check_time(k.t, recv_ms, "kline")
        candle = Candle(k.t, k.o, k.h, k.l, k.c, k.v, k.q, k.n, k.x)
        return [Kline(symbol or self.symbols.unified(m.s), k.i, candle)]

    def _ticker(self, data: Buf, symbol: str, recv_ms: int) -> list[MarketEvent]:
        m = TICKER.decode(data)
        return [self._ticker_stats(m, symbol, recv_ms)]

    def _mark_price(self, data: Buf, symbol: str, recv_ms: int) -> list[MarketEvent]:
        m = MARK_PRICE.decode(data)
        if m.E - recv_ms > MAX_AHEAD_MS and recv_ms >= MIN_EVENT_MS:
            check_time(m.E, recv_ms, "mark price")
        return [mark_price_event(m, symbol or self.symbols.unified(m.s))]

    def _tickers(self, data: Buf, symbol: str, recv_ms: int) -> list[MarketEvent]:
        return [self._ticker_stats(m, "", recv_ms) for m in TICKER_LIST.decode(data)]

    def _ticker_stats(self, m: TickerMsg, symbol: str, recv_ms: int) -> TickerStats:
        if m.E - recv_ms > MAX_AHEAD_MS and recv_ms >= MIN_EVENT_MS:
            check_time(m.E, recv_ms, "ticker")
        return TickerStats(symbol or self.symbols.unified(m.s), m.E, m.c, m.o, m.h, m.l, m.v, m.q, m.b, m.a)


#: msgspec's wording for a value outside its type's bounds ("Expected `float` > 0.0 - at `$.p`").
_OUT_OF_RANGE = re.compile(r"Expected `(?:int|float)` [<>]=? \S+ - at `(\$[^`]*)`")
_INDEX = re.compile(r"\[\d+\](?=\[)")  # the level index of "$.b[3][1]", not the field


def _error(where: str, exc: msgspec.MsgspecError, data: Buf) -> DecodeError:
    """The decode error for `exc`: a `RejectedValue` naming the field and its value when a bound failed."""
    match = _OUT_OF_RANGE.search(str(exc))
    if match is None:
        return DecodeError(f"{where}: {exc}")
    path = match.group(1)
    rule = str(exc)[: match.start(1) - len(" - at `")]
    field = _INDEX.sub("[]", path)  # one kind per field ("$.b[][1]"), whichever level of a book it was
    return RejectedValue(where, BadMarketValue(f"{where} {field}", f"{path} = {_value_at(data, path)}: {rule}"))


def _value_at(data: Buf, path: str) -> str:
    """The JSON value at `path` ("$.b[3][1]") as sent, for the error line (only runs for a rejected message)."""
    try:
        value: Any = ANY.decode(data)
        for key in re.findall(r"\.(\w+)|\[(\d+)\]", path):
            value = value[key[0]] if key[0] else value[int(key[1])]
    except (msgspec.MsgspecError, KeyError, IndexError, TypeError, ValueError):
        return "?"
    return repr(value)


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
    "markPrice": BinanceDecoder._mark_price,
    "markPrice@1s": BinanceDecoder._mark_price,
}

_EVENT_TYPES: dict[str, _Route] = {
    "trade": BinanceDecoder._trade,
    "aggTrade": BinanceDecoder._agg_trade,
    "bookTicker": BinanceDecoder._book_ticker,
    "depthUpdate": BinanceDecoder._depth,
    "kline": BinanceDecoder._kline,
    "24hrTicker": BinanceDecoder._ticker,
    "24hrMiniTicker": BinanceDecoder._ticker,
    "markPriceUpdate": BinanceDecoder._mark_price,
}
