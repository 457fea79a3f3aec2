"""The depth ladder: the top N levels of a symbol's order book, asks above bids, with size bars.

The book lives in the feed (`MarketFeed.books`) and changes with every diff; the screen copies what is shown
(`LadderView.from_book`, a few dozen floats) at its repaint cadence, and the ladder renders only that copy.
A book that is not in sync is never shown half-built: the ladder says "syncing…" until it is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from cryptoterm.tui.context import BookView, Level
from cryptoterm.tui.formatting import fmt_abbrev, fmt_bps, fmt_price, fmt_spread

BAR_CHAR = "█"
BID_STYLE = "green"
ASK_STYLE = "red"


@dataclass(frozen=True, slots=True)
class LadderView:
    """An immutable copy of the top of a book: bids best first (descending), asks best first (ascending)."""

    symbol: str
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    spread: float
    mid: float
    imbalance: float

    @classmethod
    def from_book(cls, symbol: str, book: BookView, levels: int) -> LadderView:
        bids, asks = book.top(levels)
        return cls(symbol, tuple(bids), tuple(asks), book.spread, book.mid, book.imbalance(levels))

    @property
    def spread_bps(self) -> float:
        return self.spread / self.mid * 10_000 if self.mid and math.isfinite(self.mid) else float("nan")


def fit_rows(view: LadderView, height: int) -> LadderView:
    """The best levels of each side that fit `height` rows (two for the summary, one header, one spread row)."""
    per_side = (height - 4) // 2
    if height <= 0 or per_side >= max(len(view.bids), len(view.asks)):
        return view
    keep = max(1, per_side)
    return LadderView(view.symbol, view.bids[:keep], view.asks[:keep], view.spread, view.mid, view.imbalance)


def size_bar(qty: float, largest: float, width: int) -> str:
    """A bar of `width` cells at most, proportional to `qty` / `largest` (at least one cell for any size)."""
    if largest <= 0 or qty <= 0 or width <= 0:
        return ""
    return BAR_CHAR * max(1, round(qty / largest * width))


def ladder_summary(view: LadderView) -> Text:
    """ "spread 0.10 (0.2 bps)" over "mid 61,000.05 · imb 62% bid" """
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("spread ", style="dim")
    text.append(f"{fmt_spread(view.spread, view.mid)} ({fmt_bps(view.spread_bps)} bps)")
    text.append("\nmid ", style="dim")
    text.append(fmt_price(view.mid))
    text.append(" · imb ", style="dim")
    if math.isnan(view.imbalance):
        text.append("–")
    else:
        style = BID_STYLE if view.imbalance >= 0.5 else ASK_STYLE
        text.append(f"{view.imbalance * 100:.0f}% bid", style=style if abs(view.imbalance - 0.5) > 0.1 else "")
    return text


def ladder_table(view: LadderView, bar_width: int = 10) -> Table:
    """Asks from the worst shown down to the best, a spread row, then bids from the best down."""
    table = Table(box=None, expand=True, show_header=True, header_style="bold", padding=(0, 1, 0, 0))
    table.add_column("Price", justify="right", no_wrap=True)
    table.add_column("Size", justify="right", no_wrap=True)
    table.add_column("", no_wrap=True, ratio=1)
    largest = max((q for _, q in (*view.bids, *view.asks)), default=0.0)
    for price, qty in reversed(view.asks):
        table.add_row(
            Text(fmt_price(price), style=ASK_STYLE),
            fmt_abbrev(qty),
            Text(size_bar(qty, largest, bar_width), style=ASK_STYLE),
        )
    # The spread in the book's price decimals, as in the summary above (fmt_price would give it its own).
    table.add_row(Text("─ spread ─", style="dim"), Text(fmt_spread(view.spread, view.mid), style="dim"), "")
    for price, qty in view.bids:
        table.add_row(
            Text(fmt_price(price), style=BID_STYLE),
            fmt_abbrev(qty),
            Text(size_bar(qty, largest, bar_width), style=BID_STYLE),
        )
    return table


class DepthLadder(Static):
    """Shows a `LadderView`, or "syncing…" while the symbol's book is not in sync."""

    DEFAULT_CSS = """
    DepthLadder { border: round $primary 60%; border-title-color: $text; padding: 0 1; }
    """

    def __init__(self, *, levels: int = 10, id: str | None = None) -> None:
        super().__init__("syncing…", id=id)
        self.levels = levels
        self.view: LadderView | None = None
        self.symbol = ""
        self.border_title = "Depth"

    @property
    def syncing(self) -> bool:
        return self.view is None

    def show(self, symbol: str, view: LadderView | None) -> None:
        self.symbol = symbol
        self.view = view
        self.border_title = f"Depth · {symbol} · top {self.levels}" if symbol else "Depth"
        self.update(self.render_view(view), layout=False)  # its size is set by the screen, not its text

    def on_resize(self) -> None:
        # How many levels fit depends on the height: repaint the same view at the new size.
        self.update(self.render_view(self.view), layout=False)

    def render_view(self, view: LadderView | None) -> RenderableType:
        if view is None:
            return Text("syncing…", style="yellow")
        bar_width = max(3, self.content_size.width - 26) if self.content_size.width else 10
        return Group(ladder_summary(view), ladder_table(fit_rows(view, self.content_size.height), bar_width))

    @staticmethod
    def rows_shown(view: LadderView) -> Sequence[Level]:
        """Every level shown, top to bottom (asks worst to best, then bids best to worst)."""
        return (*reversed(view.asks), *view.bids)
