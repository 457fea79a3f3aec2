"""USDⓈ-M figures over REST through ccxt: every perpetual's mark price and funding, and open interest.

`CcxtFutures` is the `CcxtHistory` of a `market = "usdm"` exchange plus the two requests the futures views need
(`ports.futures.FuturesSource`), on the same client and through the same `_call` — retries, `Retry-After`, bans,
the circuit breaker and error translation apply to them as to candles. ccxt's `fetch_funding_rates` is Binance's
`GET /fapi/v1/premiumIndex` without a symbol (every perpetual in one answer); `fetch_open_interest` is
`GET /fapi/v1/openInterest?symbol=…` (Binance serves open interest one symbol per request).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cryptoterm.adapters.ccxt_client import num
from cryptoterm.adapters.ccxt_history import CcxtHistory
from cryptoterm.domain.market import MarkPrice
from cryptoterm.ports.futures import OpenInterest


class CcxtFutures(CcxtHistory):
    """`HistorySource` and `FuturesSource` of a USDⓈ-M market."""

    async def premium_index(self, symbols: Sequence[str] | None = None) -> list[MarkPrice]:
        """Mark price, index price, funding rate and next funding time of `symbols` (None: every perpetual)."""
        exchange = self._client()
        await self._ensure_markets()
        wanted = [self._ccxt_symbol(s) for s in symbols] if symbols is not None else None
        raw: dict[str, Any] = await self._call("fetch_funding_rates", lambda: exchange.fetch_funding_rates(wanted))
        now = self._now_ms()
        marks: list[MarkPrice] = []
        for rate in raw.values():
            mark = num(rate.get("markPrice"))
            if not mark > 0:
                continue  # a perpetual being delisted answers without a mark price
            marks.append(
                MarkPrice(
                    symbol=self._project_symbol(str(rate["symbol"])),
                    ts=int(rate.get("timestamp") or now),
                    mark=mark,
                    index_price=num(rate.get("indexPrice")),
                    funding_rate=num(rate.get("fundingRate")),
                    next_funding_ms=int(rate.get("fundingTimestamp") or 0),
                )
            )
        return marks

    async def open_interest(self, symbol: str) -> OpenInterest:
        """Open contracts of `symbol`'s perpetual, in the base asset."""
        exchange = self._client()
        await self._ensure_markets()
        ccxt_symbol = self._ccxt_symbol(symbol)
        raw: dict[str, Any] = await self._call(
            f"fetch_open_interest {symbol}", lambda: exchange.fetch_open_interest(ccxt_symbol)
        )
        return OpenInterest(symbol, int(raw.get("timestamp") or self._now_ms()), num(raw.get("openInterestAmount")))
