"""USDⓈ-M perpetual figures beside the market data: mark price, funding and open interest.

The exchange's REST API answers them (Binance: `premiumIndex` for every perpetual's mark price and funding in one
call, `openInterest` one symbol at a time); the mark price stream (`@markPrice@1s`) keeps them current between
calls. `ccxt_futures.CcxtFutures` implements the source; `services.futures_stats` keeps the newest figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from cryptoterm.domain.market import MarkPrice


class OpenInterest(NamedTuple):
    """Open contracts of a perpetual (in the base asset) at `ts`."""

    symbol: str
    ts: int
    qty: float


@dataclass(frozen=True, slots=True)
class FuturesQuote:
    """What the watchlist and symbol detail show of one perpetual (NaN / 0 where not known yet)."""

    symbol: str
    mark: float = float("nan")
    index: float = float("nan")
    funding_rate: float = float("nan")
    next_funding_ms: int = 0
    open_interest: float = float("nan")
    open_interest_ms: int = 0
    ts: int = 0

    @property
    def open_interest_notional(self) -> float:
        """Open interest valued at the mark price (quote asset)."""
        return self.open_interest * self.mark


class FuturesSource(Protocol):
    """REST figures of the configured perpetuals market."""

    async def premium_index(self, symbols: Sequence[str] | None = None) -> list[MarkPrice]:
        """Mark price, index price and funding of `symbols` (None: every perpetual), in one request."""
        ...

    async def open_interest(self, symbol: str) -> OpenInterest: ...
