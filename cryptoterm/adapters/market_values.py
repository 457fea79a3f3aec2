"""Sanity rules for market values from an exchange, applied where messages are decoded, before anything is built.

Why at the boundary: a NaN price that reaches the bar builder makes the store refuse the whole bar on every
timeframe (one NaN loses six candles), and a trade id of 1e20 or a timestamp in the year 5138 becomes a watermark
that silently drops every later trade of the symbol. A message carrying such a value is rejected whole, counted
like a malformed message, and the next one is read. The rules:

* prices are finite and > 0; quantities are finite and >= 0 (a depth level of quantity 0 is how a diff removes
  it), a trade's quantity is > 0;
* ids (trade ids, depth update ids) are integers in [0, 2**53): JSON numbers above 2**53 are not exact, and no
  exchange numbers its trades that high (Binance's busiest market is near 5e9 after seven years);
* event times lie after 2010-01-01 and at most `MAX_AHEAD_MS` (10 minutes) ahead of the time the message was
  received; when the receive time is unknown (0), before 2100-01-01. Ten minutes is far more than any network
  delay or exchange clock error, and still small next to a machine whose clock is wrong by hours (its messages are
  rejected with a line that says how far ahead they are, so the clock gets fixed instead of the data going wrong).
  A receive time before 2010 is no clock reading (a test's placeholder) and counts as unknown.

A time far ahead is the dangerous one: a bar builder or a de-duplication watermark that adopted it would treat
every real event after it as late. Times in the past are accepted (an exchange may resend old trades).

Two forms of the same rules: constrained types (`Price`, `Qty`, `Id`, `EventMs` …) that msgspec checks in C while
it decodes — the Binance decoder's structs use them, so checking costs nothing on a path that runs for every book
update — and `check_*` functions for values that arrive as Python objects (ccxt's dicts). Only the receive-clock
bound needs the receive time, so it is the one check the decoder does in Python (`check_not_ahead`).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import Annotated

import msgspec

#: Largest id accepted, exclusive (2**53: above it JSON numbers lose integer precision).
MAX_ID = 2**53
#: Earliest event time accepted (2010-01-01 00:00 UTC, ms).
MIN_EVENT_MS = 1_262_304_000_000
#: Latest event time accepted when the receive time is unknown (2100-01-01 00:00 UTC, ms).
MAX_EVENT_MS = 4_102_444_800_000
#: How far ahead of the receive clock an event time may be.
MAX_AHEAD_MS = 10 * 60_000

_INF = math.inf
_FLOAT_MAX = sys.float_info.max

#: A price: finite, above 0 (NaN and infinities fail the bounds).
Price = Annotated[float, msgspec.Meta(gt=0.0, le=_FLOAT_MAX)]
#: A book quantity: finite, >= 0 (0 removes a level).
Qty = Annotated[float, msgspec.Meta(ge=0.0, le=_FLOAT_MAX)]
#: A traded quantity: finite, above 0.
TradeQty = Annotated[float, msgspec.Meta(gt=0.0, le=_FLOAT_MAX)]
#: A trade or update id.
Id = Annotated[int, msgspec.Meta(ge=0, lt=MAX_ID)]
#: Binance's `pu` (previous final update id of USDⓈ-M diffs); -1 when not sent.
PrevId = Annotated[int, msgspec.Meta(ge=-1, lt=MAX_ID)]
#: An event time in epoch ms between 2010 and 2100 (the receive-clock bound is `check_not_ahead`).
EventMs = Annotated[int, msgspec.Meta(ge=MIN_EVENT_MS, le=MAX_EVENT_MS)]
#: Book levels (price, qty) as the exchange sends them.
Levels = tuple[tuple[Price, Qty], ...]


class BadMarketValue(ValueError):
    """A value no real market sends. `kind` names the rule ("trade price", "depth time", …) so that a stream
    can log the first rejection of each kind and count the rest without flooding the log."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def latest_event_ms(recv_ms: int) -> int:
    """The latest event time accepted for a message received at `recv_ms` (0, or any time before 2010: unknown)."""
    return recv_ms + MAX_AHEAD_MS if recv_ms >= MIN_EVENT_MS else MAX_EVENT_MS


def check_price(value: float, what: str) -> None:
    """`value` must be a finite price above 0."""
    if not 0.0 < value < _INF:
        raise BadMarketValue(f"{what} price", f"{what}: price must be a finite number above 0, got {value!r}")


def check_qty(value: float, what: str, *, zero_ok: bool = True) -> None:
    """`value` must be a finite quantity, >= 0 (> 0 when `zero_ok` is False)."""
    ok = 0.0 <= value < _INF if zero_ok else 0.0 < value < _INF
    if not ok:
        bound = ">= 0" if zero_ok else "above 0"
        raise BadMarketValue(f"{what} qty", f"{what}: quantity must be a finite number {bound}, got {value!r}")


def check_non_negative(value: float, what: str) -> None:
    """`value` (a 24 h volume, an open price of a market listed today) must be finite and >= 0."""
    if not 0.0 <= value < _INF:
        raise BadMarketValue(what, f"{what}: must be a finite number >= 0, got {value!r}")


def check_id(value: int, what: str) -> None:
    """`value` must be an id in [0, 2**53)."""
    if not 0 <= value < MAX_ID:
        raise BadMarketValue(f"{what} id", f"{what}: id {value} is outside [0, 2**53)")


def check_time(ts: int, recv_ms: int, what: str) -> None:
    """`ts` (epoch ms) must be after 2010 and not far ahead of the receive time (see the module docstring)."""
    if MIN_EVENT_MS <= ts <= latest_event_ms(recv_ms):
        return
    if ts < MIN_EVENT_MS:
        raise BadMarketValue(f"{what} time", f"{what}: time {ts} ms is before 2010")
    if recv_ms >= MIN_EVENT_MS:
        ahead_s = (ts - recv_ms) / 1000
        raise BadMarketValue(
            f"{what} time",
            f"{what}: time {ts} ms is {ahead_s:,.0f} s ahead of the receive clock (more than "
            f"{MAX_AHEAD_MS // 60_000} min: a corrupt message, or this machine's clock is wrong)",
        )
    raise BadMarketValue(f"{what} time", f"{what}: time {ts} ms is after 2100")


def check_trade(price: float, qty: float, ts: int, trade_id: int, recv_ms: int, what: str = "trade") -> None:
    """Every rule a trade must pass (price, quantity above 0, id, time)."""
    if not (0.0 < price < _INF and 0.0 < qty < _INF):
        check_price(price, what)
        check_qty(qty, what, zero_ok=False)
    if not 0 <= trade_id < MAX_ID:
        check_id(trade_id, what)
    if not MIN_EVENT_MS <= ts <= (recv_ms + MAX_AHEAD_MS if recv_ms >= MIN_EVENT_MS else MAX_EVENT_MS):
        check_time(ts, recv_ms, what)


def check_not_ahead(ts: int, recv_ms: int, what: str) -> None:
    """The receive-clock bound alone (the decoder's structs already bound `ts` to 2010–2100)."""
    if ts - recv_ms > MAX_AHEAD_MS and recv_ms >= MIN_EVENT_MS:
        check_time(ts, recv_ms, what)


def check_levels(levels: Sequence[tuple[float, float]], what: str) -> None:
    """Book levels (price, qty): finite prices above 0, finite quantities >= 0."""
    for price, qty in levels:
        check_price(price, what)
        check_qty(qty, what)
