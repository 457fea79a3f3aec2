"""The dashboard's market-view keys: the watchlist's sort, the log pane's filter and pause, the replay bar and the
USDⓈ-M columns — kept apart from `dashboard.py`, which lays the dashboard out.

* **Sort** (`o` next key, `r` reverse): change, volume, spread or 1 h volatility (`domain.watch_sort`), or the
  user's order. Rows move at most once a second (`RESORT_EVERY_S`) however fast prices change — a table that
  reshuffles ten times a second cannot be read — and at once when the user asks. The sort is remembered
  (`UiState.sort["watchlist"]`).
* **Log** (`/` text, `L` level, `F` pause autoscroll): see `widgets/log_pane.py`.
* **Replay bar** and **futures cells** follow every snapshot.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from rich.text import Text
from textual.binding import Binding, BindingType

from cryptoterm.domain.market import TickerStats
from cryptoterm.domain.watch_sort import (
    SORT_LABELS,
    VOLATILITY_BARS,
    next_sort_key,
    realized_volatility_pct,
    sorted_symbols,
)
from cryptoterm.ports.futures import FuturesQuote
from cryptoterm.ports.ui_state import SortOrder
from cryptoterm.services.market_snapshot import MarketSnapshot
from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.formatting import DASH, fmt_abbrev
from cryptoterm.tui.messages import UiStateChanged
from cryptoterm.tui.widgets.futures_line import countdown
from cryptoterm.tui.widgets.log_pane import LEVEL_FILTERS, LogPane
from cryptoterm.tui.widgets.replay_bar import ReplayBar
from cryptoterm.tui.widgets.watchlist import Watchlist

if TYPE_CHECKING:
    from cryptoterm.tui.context import TuiSession
    from cryptoterm.tui.screens.base import LiveScreen

    _Base = LiveScreen
else:
    _Base = object

#: The watchlist's rows move at most this often while sorted (a key press re-sorts at once).
RESORT_EVERY_S = 1.0
STATE_KEY = "watchlist"

DASHBOARD_VIEW_BINDINGS: list[BindingType] = [
    Binding(
        "o",
        "sort_watchlist",
        "Sort",
        show=False,
        tooltip="Sort the watchlist by the next key: change, volume, spread, 1 h σ",
    ),
    Binding("r", "reverse_watchlist", "Reverse", show=False, tooltip="Reverse the watchlist's sort"),
    Binding("slash", "filter_log", "Filter log", key_display="/", show=False, tooltip="Filter the log by text"),
    Binding("L", "log_level", "Log level", show=False, tooltip="Log: show every level, ≥ INFO, ≥ WARNING, ≥ ERROR"),
    Binding("F", "pause_log", "Pause log", show=False, tooltip="Log: pause / resume following the newest line"),
]


def futures_market(session: TuiSession) -> bool:
    """The watchlist shows funding and open interest: live on USDⓈ-M."""
    return session.config.exchange.market == "usdm" and session.options.mode == "live"


def futures_cells(quotes: dict[str, FuturesQuote], now_ms: int) -> dict[tuple[str, str], Text]:
    """The watchlist's USDⓈ-M cells: funding % (coloured by who pays), time to funding, open interest."""
    cells: dict[tuple[str, str], Text] = {}
    for symbol, quote in quotes.items():
        rate = quote.funding_rate * 100
        style = "" if not math.isfinite(rate) or rate == 0 else "green" if rate > 0 else "red"
        cells[(symbol, "funding")] = Text(DASH if math.isnan(rate) else f"{rate:+.4f}", style=style, justify="right")
        cells[(symbol, "next")] = Text(countdown(quote.next_funding_ms - now_ms), justify="right")
        cells[(symbol, "oi")] = Text(fmt_abbrev(quote.open_interest), justify="right")
    return cells


class DashboardViews(_Base):
    """Mixed into `DashboardScreen` (its `BINDINGS` include `DASHBOARD_VIEW_BINDINGS`)."""

    _resorted_at = 0.0

    # ------------------------------------------------------------------ sort
    @property
    def watch_sort(self) -> SortOrder:
        return self.session.ui.sort.get(STATE_KEY, SortOrder("", True))

    def _set_sort(self, order: SortOrder) -> None:
        if order.column:
            self.session.ui.sort[STATE_KEY] = order
        else:
            self.session.ui.sort.pop(STATE_KEY, None)
        self.post_message(UiStateChanged())
        self.resort_watchlist(self.session.snapshot, force=True)
        label = SORT_LABELS.get(order.column, order.column)
        direction = "" if not order.column else " (high to low)" if order.descending else " (low to high)"
        self.notify(f"watchlist sorted by {label}{direction}", title="Watchlist", timeout=2)

    def action_sort_watchlist(self) -> None:
        self._set_sort(SortOrder(next_sort_key(self.watch_sort.column), True))

    def action_reverse_watchlist(self) -> None:
        order = self.watch_sort
        if order.column:
            self._set_sort(SortOrder(order.column, not order.descending))

    def resort_watchlist(self, snapshot: MarketSnapshot | None, *, force: bool = False) -> bool:
        """Put the rows in the sort's order (at most every `RESORT_EVERY_S` unless forced); True when they moved."""
        now = time.monotonic()
        if snapshot is None or (not force and now - self._resorted_at < RESORT_EVERY_S):
            return False
        self._resorted_at = now
        order = self.watch_sort
        tickers: list[TickerStats] = list(snapshot.tickers)
        volatility: dict[str, float] = {}
        if order.column == "volatility":
            feed = self.session.feed
            for ticker in tickers:
                closes = [c.close for c in feed.candles(ticker.symbol, "1m", VOLATILITY_BARS)]
                volatility[ticker.symbol] = realized_volatility_pct(closes)
        symbols = sorted_symbols(tickers, order.column, descending=order.descending, volatility=volatility)
        shown = (order.column, order.descending) if order.column else None
        return self.query_one(Watchlist).reorder(symbols, shown)

    # ------------------------------------------------------------------ log
    @property
    def log_pane(self) -> LogPane:
        return self.query_one(LogPane)

    def action_filter_log(self) -> None:
        from cryptoterm.tui.screens.text_prompt import TextPrompt

        prompt = TextPrompt(
            "Show log lines containing (empty: every line)", str, value=self.log_pane.text_filter, placeholder="feed"
        )
        self.app.push_screen(prompt, self._log_text_chosen)

    def _log_text_chosen(self, text: str | None) -> None:
        if text is not None:
            self.log_pane.set_filter(text=text)

    def action_log_level(self) -> None:
        pane = self.log_pane
        index = LEVEL_FILTERS.index(pane.min_level) if pane.min_level in LEVEL_FILTERS else 0
        pane.set_filter(min_level=LEVEL_FILTERS[(index + 1) % len(LEVEL_FILTERS)])

    def action_pause_log(self) -> None:
        self.log_pane.set_paused(not self.log_pane.paused)

    # ------------------------------------------------------------------ every snapshot
    def apply_market_views(self, snapshot: MarketSnapshot) -> None:
        """Replay bar, futures cells and the sort's row order, from the engine's views."""
        views = self.session.views
        replay = views.replay if views is not None else None
        self.query_one(ReplayBar).show(replay.progress() if replay is not None else None)
        watchlist = self.query_one(Watchlist)
        if views is not None and views.futures is not None and "funding" in {k for k, _, _ in watchlist.base_columns}:
            watchlist.apply_cells(futures_cells(views.futures.quotes(), snapshot.ts))
        if self.watch_sort.column or watchlist.sort_shown is not None:
            self.resort_watchlist(snapshot)

    def view_commands(self) -> list[PaletteCommand]:
        return [
            PaletteCommand(
                "Sort watchlist", "Sort by the next key: change, volume, spread, 1 h σ", self.action_sort_watchlist, "o"
            ),
            PaletteCommand("Reverse watchlist sort", "High to low or low to high", self.action_reverse_watchlist, "r"),
            PaletteCommand("Filter log by text", "Show only log lines containing a text", self.action_filter_log, "/"),
            PaletteCommand("Log level filter", "Every level, ≥ INFO, ≥ WARNING, ≥ ERROR", self.action_log_level, "L"),
            PaletteCommand(
                "Pause log autoscroll", "Stop / resume following the newest line", self.action_pause_log, "F"
            ),
        ]
