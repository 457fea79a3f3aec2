"""Binance's market-data messages as msgspec structs: the fields the product uses, and the bounds their values
must lie in.

Field names are Binance's single letters; only the fields the product uses are declared (msgspec skips the rest
without building them). Prices and quantities arrive as strings; msgspec's non-strict mode turns them into floats
inside its C decoder, and the types from `adapters/market_values.py` (`Price`, `Qty`, `Id`, `EventMs` …) bound
them in the same pass, so a NaN price or an id of 1e20 fails decoding at no cost to the messages that are fine.
"""

from __future__ import annotations

from typing import Any

import msgspec

from cryptoterm.adapters.market_values import EventMs, Id, Levels, PrevId, Price, Qty, TradeQty

_NAN = float("nan")

# Field names are Binance's single letters; only the fields the product uses are declared (msgspec skips
# the rest without building them).


class Envelope(msgspec.Struct, gc=False):
    stream: str = ""
    data: msgspec.Raw = msgspec.Raw(b"")
    # Subscription replies
    id: int | None = None
    result: msgspec.Raw = msgspec.Raw(b"")
    error: msgspec.Raw = msgspec.Raw(b"")
    # Bare (unwrapped) payloads
    e: str = ""
    lastUpdateId: int = -1  # Binance's field name


class ReplyError(msgspec.Struct, gc=False):
    code: int = 0
    msg: str = ""


class TradeMsg(msgspec.Struct, gc=False):
    s: str
    t: Id
    p: Price
    q: TradeQty
    T: EventMs
    m: bool
    E: int = 0


class AggTradeMsg(msgspec.Struct, gc=False):
    s: str
    a: Id
    p: Price
    q: TradeQty
    T: EventMs
    m: bool
    E: int = 0


class BookTickerMsg(msgspec.Struct, gc=False):
    s: str
    b: Price
    B: Qty
    a: Price
    A: Qty
    u: int = 0
    E: EventMs = 0
    T: EventMs = 0


class DepthMsg(msgspec.Struct, gc=False):
    s: str
    E: EventMs
    U: Id
    u: Id
    b: Levels
    a: Levels
    pu: PrevId = -1


class SnapshotMsg(msgspec.Struct, gc=False):
    lastUpdateId: Id  # Binance's field name
    bids: Levels
    asks: Levels
    E: EventMs = 0
    T: EventMs = 0


class KlineBody(msgspec.Struct, gc=False):
    t: EventMs
    i: str
    o: Price
    h: Price
    l: Price  # noqa: E741 — Binance's field name
    c: Price
    v: Qty
    x: bool
    q: Qty = 0.0
    n: int = 0


class KlineMsg(msgspec.Struct, gc=False):
    s: str
    E: int
    k: KlineBody


class TickerMsg(msgspec.Struct, gc=False):
    """`24hrTicker` and `24hrMiniTicker` share these fields; only the full ticker has bid/ask (NaN: not sent).

    24 h figures other than the last price may be 0 (a market listed today opened at 0)."""

    s: str
    E: EventMs
    c: Price
    o: Qty
    h: Qty
    l: Qty  # noqa: E741 — Binance's field name
    v: Qty
    q: Qty
    b: Qty = _NAN
    a: Qty = _NAN


class MarkPriceMsg(msgspec.Struct, gc=False):
    """USDⓈ-M `markPriceUpdate`. Index price and funding rate stay text here: a delivery contract sends "" for
    the funding it does not have, which no float field could take (the decoder reads them)."""

    s: str
    E: EventMs
    p: Price
    i: str = ""
    r: str = ""
    T: int = 0


def decoder(kind: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(kind, strict=False)


ENVELOPE = msgspec.json.Decoder(Envelope)
REPLY_ERROR = msgspec.json.Decoder(ReplyError)
ANY = msgspec.json.Decoder()
TRADE = decoder(TradeMsg)
AGG_TRADE = decoder(AggTradeMsg)
BOOK_TICKER = decoder(BookTickerMsg)
DEPTH = decoder(DepthMsg)
SNAPSHOT = decoder(SnapshotMsg)
KLINE = decoder(KlineMsg)
TICKER = decoder(TickerMsg)
TICKER_LIST = decoder(list[TickerMsg])
MARK_PRICE = decoder(MarkPriceMsg)
MARK_PRICE_LIST = decoder(list[MarkPriceMsg])
