"""Binance, spoken natively: websocket market streams, their decoder, and symbol mapping.

REST history and trading go through ccxt elsewhere; the websockets are hand-driven because the product
needs control ccxt.pro does not give: exact diff-depth synchronisation, paced subscriptions, dedupe and
gap markers across reconnects, and a decoder fast enough for every book update.
"""

from cryptoterm.adapters.binance.decode import BinanceDecoder, DecodeError, SubscriptionReply, UnknownMessage
from cryptoterm.adapters.binance.depth_snapshots import FetchDepth
from cryptoterm.adapters.binance.symbols import SymbolMap, to_native, to_stream
from cryptoterm.adapters.binance.ws_stream import BinanceStream

__all__ = [
    "BinanceDecoder",
    "BinanceStream",
    "DecodeError",
    "FetchDepth",
    "SubscriptionReply",
    "SymbolMap",
    "UnknownMessage",
    "to_native",
    "to_stream",
]
