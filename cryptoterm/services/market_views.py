"""What the market views read beside the feed: the trade tape, the books' spread and imbalance history, every
market of the exchange with its tickers (browser and movers), the USDⓈ-M figures, the replay's controls.

The engine builds one `MarketViews` over its feed when it is constructed (the tape listens to trades from the
first one), `open`s it once the market is open (what the mode has: a history source, a replay to steer, a futures
source) and runs it in the background: the ticker samples, the futures requests and the book sampler. Everything
here keeps fixed-size rings, so memory does not grow with the run time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Protocol

from cryptoterm.config.schema import AppConfig
from cryptoterm.domain.market import MarkPrice, Rewound, TickerStats, Trade
from cryptoterm.ports.futures import FuturesSource
from cryptoterm.ports.market import HistorySource
from cryptoterm.ports.replay import ReplayControl
from cryptoterm.services.book_history import BookHistory, BookSource
from cryptoterm.services.futures_stats import FuturesStats
from cryptoterm.services.market_universe import LOCAL_REFRESH_S, MarketUniverse
from cryptoterm.services.trade_tape import TradeTape


class ViewedFeed(Protocol):
    """The part of `services.market_feed.MarketFeed` the views listen to and read."""

    symbols: list[str]
    mark_prices: dict[str, MarkPrice]

    @property
    def books(self) -> BookSource: ...

    def on_trades(self, listener: Callable[[Sequence[Trade]], None]) -> None: ...

    def on_rewound(self, listener: Callable[[Rewound], None]) -> None: ...

    def ticker_stats(self) -> tuple[TickerStats, ...]: ...


class MarketViews:
    """See the module docstring."""

    def __init__(self, feed: ViewedFeed, config: AppConfig, clock: Callable[[], int]) -> None:
        self.config = config
        self._feed = feed
        self._clock = clock
        self.tape = TradeTape(config.tape.capacity)
        self.book_history = BookHistory(config.book.history)
        #: Every market and its tickers (built by `open`: it needs the mode's history source).
        self.universe: MarketUniverse | None = None
        #: USDⓈ-M mark price, funding and open interest (with `[exchange] market = "usdm"`).
        self.futures: FuturesStats | None = None
        #: The replay's controls (a replay only).
        self.replay: ReplayControl | None = None
        feed.on_trades(self.tape.on_trades)
        feed.on_rewound(self._rewound)

    def open(
        self,
        history: HistorySource | None,
        *,
        replay: ReplayControl | None = None,
        futures: FuturesSource | None = None,
        local: bool = False,
    ) -> None:
        """Attach what the opened market offers (`local`: a history that costs no request, sampled often)."""
        feed = self._feed
        self.universe = MarketUniverse(
            history,
            lambda: feed.symbols,
            feed.ticker_stats,
            self._clock,
            refresh_s=LOCAL_REFRESH_S if local else self.config.markets.refresh_s,
        )
        self.replay = replay
        if futures is not None:
            settings = self.config.futures
            self.futures = FuturesStats(
                futures,
                lambda: feed.mark_prices,
                lambda: feed.symbols,
                funding_refresh_s=settings.funding_refresh_s,
                open_interest_s=settings.open_interest_s,
            )

    def _rewound(self, event: Rewound) -> None:
        self.tape.clear()
        self.book_history.clear()
        if self.universe is not None:
            self.universe.clear()

    def sample_books(self) -> int:
        """Record every watched book's spread and imbalance now (the market's clock)."""
        return self.book_history.sample(self._feed.books, list(self._feed.symbols), self._clock())

    async def _book_sampler(self) -> None:
        while True:
            self.sample_books()
            await asyncio.sleep(self.config.book.sample_s)

    async def run(self) -> None:
        """The background work until cancelled: ticker samples, futures requests, book samples."""
        jobs: list[Coroutine[Any, Any, None]] = [self._book_sampler()]
        if self.universe is not None:
            jobs.append(self.universe.run())
        if self.futures is not None:
            jobs.append(self.futures.run())
        await asyncio.gather(*jobs)
