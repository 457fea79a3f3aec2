"""Orders in the few words a trader reads in a refusal, a confirmation or a report."""

from __future__ import annotations

from cryptoterm.domain.trading.orders import OrderRequest


def number(value: float) -> str:
    """A price or quantity as written by hand: no trailing zeros, no exponent for ordinary sizes."""
    text = f"{value:.10f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def describe_request(request: OrderRequest) -> str:
    """E.g. "BTC/USDT buy 0.01 limit @ 60000", "ETH/USDT sell 2 stop-limit stop 2400 @ 2390 (reduce-only)"."""
    words = [request.symbol, request.side, number(request.qty), request.type.replace("_", "-")]
    if request.stop_price is not None:
        words.append(f"stop {number(request.stop_price)}")
    if request.price is not None:
        words.append(f"@ {number(request.price)}")
    if request.reduce_only:
        words.append("(reduce-only)")
    return " ".join(words)
