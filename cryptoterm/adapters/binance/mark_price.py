"""USDⓈ-M mark price messages (`<symbol>@markPrice@1s`, `markPriceUpdate`) → `MarkPrice` events.

Binance sends the index price and the funding rate as text, and "" where a contract has none (a delivery
contract has no funding); those become NaN. A funding rate outside ±100 % (no exchange caps funding that far
out) or a text that is no number is a rejected value, as any other impossible market value.
"""

from __future__ import annotations

import math

from cryptoterm.adapters.binance.wire import MarkPriceMsg
from cryptoterm.adapters.market_values import BadMarketValue
from cryptoterm.domain.market import MarkPrice

#: Largest funding rate magnitude accepted (a fraction: 1.0 = 100 % a period).
MAX_FUNDING_RATE = 1.0


def _number(text: str, field: str) -> float:
    if not text:
        return float("nan")
    try:
        value = float(text)
    except ValueError:
        raise BadMarketValue(f"mark price {field}", f"mark price: ${field} = {text!r} is not a number") from None
    if not math.isfinite(value):
        raise BadMarketValue(f"mark price {field}", f"mark price: ${field} = {text!r} is not finite")
    return value


def mark_price_event(m: MarkPriceMsg, symbol: str) -> MarkPrice:
    """The event of one decoded message; raises `BadMarketValue` for an impossible index or funding rate."""
    index = _number(m.i, ".i")
    if math.isfinite(index) and index <= 0:
        raise BadMarketValue("mark price .i", f"mark price: $.i = {m.i!r} is not a price above 0")
    rate = _number(m.r, ".r")
    if abs(rate) > MAX_FUNDING_RATE:
        raise BadMarketValue("mark price .r", f"mark price: $.r = {m.r!r} is beyond ±100 %")
    return MarkPrice(symbol, m.E, m.p, index, rate, max(0, m.T))
