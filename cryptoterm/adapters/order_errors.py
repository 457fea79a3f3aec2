"""An exchange's refusal of an order (or of an account request) as the one line a trader acts on.

ccxt reports Binance's answers as `binance {"code":-1013,"msg":"Filter failure: LOT_SIZE"}` (or, for the errors it
recognises by message, `binance Account has insufficient balance …`), wrapped in an exception class. The code and
message are pulled out here and said plainly: a filter failure names the rule it broke with the symbol's own
limits (read from the exchange's market info), a refused key or signature names the environment variable to
check, a clock problem says so. Every line is redacted: no key, secret or signature survives.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cryptoterm.adapters.errors import redact
from cryptoterm.domain.trading.order_text import number

_BINANCE_ERROR = re.compile(r'\{\s*"code"\s*:\s*(-?\d+)\s*,\s*"msg"\s*:\s*"((?:[^"\\]|\\.)*)"')
INSUFFICIENT_BALANCE = "Account has insufficient balance for requested action."
DUPLICATE_ORDER = "Duplicate order sent."
NO_SUCH_ORDER = -2013
UNKNOWN_ORDER = -2011
#: The request's timestamp fell outside the receive window: refused before anything was placed.
CLOCK_SKEW = -1021


def exchange_answer(exc: BaseException) -> tuple[int | None, str]:
    """(Binance's error code or None, its message) from a ccxt exception, the exchange id prefix removed."""
    text = str(exc)
    match = _BINANCE_ERROR.search(text)
    if match:
        return int(match.group(1)), match.group(2)
    words = text.split(" ", 1)
    message = words[1] if len(words) == 2 and words[0].isalnum() and words[0].islower() else text
    if INSUFFICIENT_BALANCE in message:
        return -2010, INSUFFICIENT_BALANCE
    return None, message.strip() or type(exc).__name__


def refusal_reason(
    exc: BaseException,
    *,
    market: Mapping[str, Any] | None = None,
    side: str = "",
    key_envs: tuple[str, str] = ("", ""),
    secrets: tuple[str, ...] = (),
) -> str:
    """Why the exchange said no, in words: the rule and its limits where the market says them."""
    code, message = exchange_answer(exc)
    key_env, secret_env = key_envs
    if message == INSUFFICIENT_BALANCE:
        asset = _asset(market, side)
        reason = f"insufficient balance: the account has too little free {asset} for it" if asset else message
    elif message.startswith("Filter failure: "):
        reason = _filter_reason(message.removeprefix("Filter failure: "), market)
    elif code == -1022:
        reason = f"the exchange refused the request signature: check the API secret in ${secret_env}"
    elif code in (-2014, -2015):
        reason = (
            f"the exchange refused the API key (invalid, or not allowed from this IP or to trade): check ${key_env}"
        )
    elif code == CLOCK_SKEW:
        reason = "the request's time is outside the exchange's receive window: check this machine's clock"
    elif code == NO_SUCH_ORDER:
        reason = "the exchange has no such order"
    elif code == UNKNOWN_ORDER:
        reason = "the exchange has no open order by that id (already filled, cancelled or expired)"
    elif code is not None:
        reason = f"{message.rstrip('.')} (code {code})"
    else:
        reason = f"{type(exc).__name__}: {message}" if not _is_plain(message) else message
    return redact(reason, secrets)


def _is_plain(message: str) -> bool:
    return bool(message) and message[0].isupper()


def _asset(market: Mapping[str, Any] | None, side: str) -> str:
    if market is None or side not in ("buy", "sell"):
        return ""
    return str(market.get("quote" if side == "buy" else "base", ""))


def _filter(market: Mapping[str, Any] | None, kind: str) -> Mapping[str, Any]:
    info = market.get("info", {}) if market is not None else {}
    for spec in info.get("filters", ()) if isinstance(info, Mapping) else ():
        if isinstance(spec, Mapping) and spec.get("filterType") == kind:
            return spec
    return {}


def _n(spec: Mapping[str, Any], key: str) -> str:
    try:
        return number(float(spec[key]))
    except (KeyError, TypeError, ValueError):
        return "?"


def _filter_reason(kind: str, market: Mapping[str, Any] | None) -> str:
    spec = _filter(market, kind)
    symbol = str(market.get("symbol", "the symbol")) if market is not None else "the symbol"
    base = str(market.get("base", "")) if market is not None else ""
    quote = str(market.get("quote", "")) if market is not None else ""
    rule = f"the exchange's {kind} rule"
    if not spec:
        return f"{rule} refused it"
    if kind in ("LOT_SIZE", "MARKET_LOT_SIZE"):
        what = "the quantity" if kind == "LOT_SIZE" else "a market order's quantity"
        step = f" in steps of {_n(spec, 'stepSize')}" if float(spec.get("stepSize", 0) or 0) > 0 else ""
        return f"{rule}: {what} on {symbol} must be {_n(spec, 'minQty')} to {_n(spec, 'maxQty')} {base}{step}"
    if kind == "PRICE_FILTER":
        return (
            f"{rule}: the price on {symbol} must be {_n(spec, 'minPrice')} to {_n(spec, 'maxPrice')} {quote} "
            f"in steps of {_n(spec, 'tickSize')}"
        )
    if kind == "PERCENT_PRICE":
        return (
            f"{rule}: the price on {symbol} must be within {_n(spec, 'multiplierDown')}× to "
            f"{_n(spec, 'multiplierUp')}× the recent average price"
        )
    if kind in ("MIN_NOTIONAL", "NOTIONAL"):
        cap = f" and at most {_n(spec, 'maxNotional')}" if kind == "NOTIONAL" and "maxNotional" in spec else ""
        return f"{rule}: an order on {symbol} must be worth at least {_n(spec, 'minNotional')} {quote}{cap}"
    if kind == "MAX_NUM_ORDERS":
        return f"{rule}: {symbol} already has the most open orders allowed ({spec.get('maxNumOrders')})"
    if kind == "MAX_NUM_ALGO_ORDERS":
        return f"{rule}: {symbol} already has the most open stop orders allowed ({spec.get('maxNumAlgoOrders')})"
    return f"{rule} refused it"
