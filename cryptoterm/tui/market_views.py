"""What the market views read of the engine, as protocols (`services.market_views.MarketViews` satisfies them).

The market browser, movers, tape, full order book, replay bar and futures columns read only these shapes, so the
Pilot and snapshot tests drive them with deterministic fakes and the screens never learn how the engine was built.
`RuntimeView.views` is None before the engine exists (and in runtimes without the views); each part inside is
optional where a mode lacks it: no replay outside `--replay`, no futures figures outside USDⓈ-M.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from cryptoterm.domain.market import SymbolInfo, TickerStats, Trade
from cryptoterm.domain.movers import MoversBoard
from cryptoterm.ports.futures import FuturesQuote
from cryptoterm.ports.replay import ReplayProgress


class TapeView(Protocol):
    """`services.trade_tape.TradeTape`."""

    def recent(self, symbol: str, limit: int | None = None) -> list[Trade]: ...


class BookSampleView(Protocol):
    @property
    def ts(self) -> int: ...

    @property
    def spread_bps(self) -> float: ...

    @property
    def imbalance(self) -> float: ...


class BookHistoryView(Protocol):
    """`services.book_history.BookHistory`."""

    def series(self, symbol: str) -> Sequence[BookSampleView]: ...


class UniverseView(Protocol):
    """`services.market_universe.MarketUniverse`: every market and its tickers, the movers."""

    @property
    def listed(self) -> bool: ...

    @property
    def error(self) -> str: ...

    @property
    def version(self) -> int:
        """Grows whenever the markets or tickers change."""
        ...

    def markets(self) -> list[SymbolInfo]: ...

    def tickers(self) -> Mapping[str, TickerStats]: ...

    def board(self, window: str, *, quote: str = "", min_quote_volume: float = 0.0, limit: int = 10) -> MoversBoard: ...

    def request_refresh(self) -> None: ...


class FuturesView(Protocol):
    """`services.futures_stats.FuturesStats`."""

    def quote(self, symbol: str) -> FuturesQuote | None: ...

    def quotes(self) -> dict[str, FuturesQuote]: ...


class ReplayView(Protocol):
    """`ports.replay.ReplayControl`."""

    def progress(self) -> ReplayProgress: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def set_speed(self, speed: float) -> None: ...

    def seek(self, to_ms: int) -> None: ...


class MarketViewsView(Protocol):
    """Everything above, as the engine holds it."""

    @property
    def tape(self) -> TapeView: ...

    @property
    def book_history(self) -> BookHistoryView: ...

    @property
    def universe(self) -> UniverseView | None: ...

    @property
    def futures(self) -> FuturesView | None: ...

    @property
    def replay(self) -> ReplayView | None: ...
