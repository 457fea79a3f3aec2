"""Mark price, funding and open interest of the watched USDⓈ-M perpetuals (`[exchange] market = "usdm"`).

Two sources, newest wins per symbol: the mark price stream the Binance stream carries for every watched perpetual
(`<symbol>@markPrice@1s`: mark, index, funding rate, next funding time, once a second; the feed keeps the newest
per symbol), and REST — `premiumIndex` for every perpetual in one request every `[futures] funding_refresh_s` (it
fills the figures at once, before the stream's first message, and keeps them when the stream is down), and
`openInterest`, which Binance answers one symbol per request, for the watched symbols only, every
`[futures] open_interest_s`. A failed request is one warning line and leaves the last figures shown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from cryptoterm.domain.market import MarkPrice
from cryptoterm.domain.redaction import redact
from cryptoterm.ports.futures import FuturesQuote, FuturesSource, OpenInterest

log = logging.getLogger(__name__)


class FuturesStats:
    """See the module docstring. `quote` is cheap and runs on the UI thread."""

    def __init__(
        self,
        source: FuturesSource | None,
        feed_marks: Callable[[], Mapping[str, MarkPrice]],
        symbols: Callable[[], Sequence[str]],
        *,
        funding_refresh_s: float = 300.0,
        open_interest_s: float = 60.0,
    ) -> None:
        self._source = source
        self._feed_marks = feed_marks
        self._symbols = symbols
        self.funding_refresh_s = funding_refresh_s
        self.open_interest_s = open_interest_s
        self._rest_marks: dict[str, MarkPrice] = {}
        self._open_interest: dict[str, OpenInterest] = {}
        self.requests = 0
        self.error = ""

    def mark(self, symbol: str) -> MarkPrice | None:
        """The newest mark price of `symbol` from the stream or REST."""
        streamed = self._feed_marks().get(symbol)
        polled = self._rest_marks.get(symbol)
        if streamed is None or (polled is not None and polled.ts > streamed.ts):
            return polled
        return streamed

    def quote(self, symbol: str) -> FuturesQuote | None:
        """Everything known of `symbol` (None: nothing yet)."""
        mark = self.mark(symbol)
        interest = self._open_interest.get(symbol)
        if mark is None and interest is None:
            return None
        quote = FuturesQuote(symbol)
        if mark is not None:
            quote = replace(
                quote,
                mark=mark.mark,
                index=mark.index_price,
                funding_rate=mark.funding_rate,
                next_funding_ms=mark.next_funding_ms,
                ts=mark.ts,
            )
        if interest is not None:
            quote = replace(quote, open_interest=interest.qty, open_interest_ms=interest.ts)
        return quote

    def quotes(self) -> dict[str, FuturesQuote]:
        """Every watched symbol's figures."""
        out: dict[str, FuturesQuote] = {}
        for symbol in self._symbols():
            quote = self.quote(symbol)
            if quote is not None:
                out[symbol] = quote
        return out

    async def refresh_funding(self) -> bool:
        """Every perpetual's mark price and funding, in one request."""
        if self._source is None:
            return False
        try:
            marks = await self._source.premium_index()
        except Exception as exc:
            self._failed("funding rates (premiumIndex)", exc)
            return False
        self.requests += 1
        self._rest_marks = {mark.symbol: mark for mark in marks}
        self.error = ""
        return True

    async def refresh_open_interest(self) -> int:
        """Open interest of each watched symbol (one request each, as the exchange serves it); how many worked."""
        if self._source is None:
            return 0
        done = 0
        for symbol in list(self._symbols()):
            try:
                interest = await self._source.open_interest(symbol)
            except Exception as exc:
                self._failed(f"open interest of {symbol}", exc)
                continue
            self.requests += 1
            self._open_interest[symbol] = interest
            done += 1
        return done

    def _failed(self, what: str, exc: Exception) -> None:
        line = redact(" ".join(str(exc).split()) or type(exc).__name__)
        if not self.error:
            log.warning("reading the %s failed: %s", what, line)
        self.error = f"{what}: {line}"

    async def run(self) -> None:
        """Funding every `funding_refresh_s`, open interest every `open_interest_s`, until cancelled."""
        if self._source is None:
            return
        loop = asyncio.get_running_loop()
        next_funding = next_interest = loop.time()
        while True:
            now = loop.time()
            if now >= next_funding:
                await self.refresh_funding()
                next_funding = now + self.funding_refresh_s
            if now >= next_interest:
                await self.refresh_open_interest()
                next_interest = now + self.open_interest_s
            await asyncio.sleep(max(0.05, min(next_funding, next_interest) - loop.time()))
