"""Every market of the configured exchange and their tickers: what the market browser lists and movers rank.

The market list comes from the history source once (`load_markets` through ccxt, the simulated market's own
list), and is read again on request. Tickers come from one all-symbols request every `[markets] refresh_s` (Binance
answers every market's 24 h ticker in one call; never one request per symbol), and each answer is a sample of
the movers' history (`domain.movers.TickerHistory`). A replay has no exchange to ask: its markets are the symbols
the recording carries and its tickers are the feed's, sampled every `LOCAL_REFRESH_S`.

A failed request is one warning line (then quiet until a request succeeds again) and leaves the last good answer
on screen; the browser shows the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

from cryptoterm.domain.market import SymbolInfo, TickerStats
from cryptoterm.domain.movers import MoversBoard, TickerHistory
from cryptoterm.domain.redaction import redact
from cryptoterm.domain.universe import is_stablecoin
from cryptoterm.ports.market import HistorySource

log = logging.getLogger(__name__)

#: Seconds between samples of the feed's own tickers (a replay: no request is made, so it can be often).
LOCAL_REFRESH_S = 2.0
#: Seconds before a failed market list is asked for again.
MARKETS_RETRY_S = 60.0


def feed_markets(symbols: Sequence[str]) -> list[SymbolInfo]:
    """Markets named by unified symbols alone (a replay's): base and quote split at the slash."""
    out: list[SymbolInfo] = []
    for symbol in symbols:
        base, _, quote = symbol.partition("/")
        out.append(SymbolInfo(symbol, base, quote, f"{base}{quote}"))
    return out


class MarketUniverse:
    """See the module docstring. Reads (`markets`, `tickers`, `board`) are cheap and run on the UI thread."""

    def __init__(
        self,
        history: HistorySource | None,
        feed_symbols: Callable[[], Sequence[str]],
        feed_tickers: Callable[[], Sequence[TickerStats]],
        clock: Callable[[], int],
        *,
        refresh_s: float = 60.0,
    ) -> None:
        self._history = history
        self._feed_symbols = feed_symbols
        self._feed_tickers = feed_tickers
        self._clock = clock
        self.refresh_s = refresh_s if history is not None else LOCAL_REFRESH_S
        self._markets: list[SymbolInfo] = []
        self._markets_loaded = False
        self.history = TickerHistory()
        #: The last failure, in one line ("" while the last request succeeded).
        self.error = ""
        self.refreshes = 0
        #: Grows with every change a reader would see (a market list read, a ticker sample, a clear).
        self.version = 0
        self._wake = asyncio.Event()

    # ----------------------------------------------------------------- reads
    @property
    def listed(self) -> bool:
        """True once the exchange's market list has been read (a replay: always)."""
        return self._history is None or self._markets_loaded

    def markets(self) -> list[SymbolInfo]:
        if self._history is None:
            return feed_markets(self._feed_symbols())
        return list(self._markets)

    def tickers(self) -> dict[str, TickerStats]:
        return self.history.latest

    def board(self, window: str, *, quote: str = "", min_quote_volume: float = 0.0, limit: int = 10) -> MoversBoard:
        """Movers over `window` among the markets of `quote` ("" any), stablecoins left out."""
        chosen = [
            m.symbol
            for m in self.markets()
            if (not quote or m.quote == quote) and not is_stablecoin(m.base) and m.active
        ]
        return self.history.board(window, chosen, limit=limit, min_quote_volume=min_quote_volume)

    # ----------------------------------------------------------------- requests
    def request_refresh(self) -> None:
        """Read the tickers (and a market list that failed) again now, not at the next interval."""
        self._wake.set()

    async def load_markets(self) -> bool:
        """Read the market list; True when it was read."""
        if self._history is None:
            return True
        try:
            markets = await self._history.markets()
        except Exception as exc:
            self._failed("market list", exc)
            return False
        self._markets = sorted(markets, key=lambda m: m.symbol)
        self._markets_loaded = True
        self.version += 1
        self.error = ""
        log.info("%d markets listed on %s", len(self._markets), self._history.name)
        return True

    async def refresh(self) -> bool:
        """Sample every market's ticker once (one request); True when it worked."""
        if self._history is None:
            tickers: Sequence[TickerStats] = self._feed_tickers()
        else:
            try:
                tickers = await self._history.fetch_tickers()
            except Exception as exc:
                self._failed("tickers", exc)
                return False
        self.history.add(self._clock(), tickers)
        self.refreshes += 1
        self.version += 1
        if self.error and self._markets_loaded:
            self.error = ""
        return True

    def _failed(self, what: str, exc: Exception) -> None:
        line = redact(" ".join(str(exc).split()) or type(exc).__name__)
        if not self.error:
            log.warning("reading the %s failed: %s (the market browser and movers keep the last answer)", what, line)
        self.error = f"{what}: {line}"

    def clear(self) -> None:
        """Forget the sampled tickers (a replay went back in time)."""
        self.history.clear()
        self.version += 1

    async def run(self) -> None:
        """Load the markets, then sample tickers every `refresh_s` (sooner on `request_refresh`)."""
        last_markets_try = -MARKETS_RETRY_S
        loop = asyncio.get_running_loop()
        while True:
            if not self.listed and loop.time() - last_markets_try >= MARKETS_RETRY_S:
                last_markets_try = loop.time()
                await self.load_markets()
            await self.refresh()
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.refresh_s)
            if self._wake.is_set() and not self.listed:
                last_markets_try = -MARKETS_RETRY_S
