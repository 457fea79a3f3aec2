"""The full order book: as many grouped levels as the screen holds, with cumulative depth, and the spread and
imbalance over time.

`FullBookLadder` shows asks above bids like the side ladder, but grouped by a multiple of the tick
(`domain.book_depth.group_levels`), with each level's size, the cumulative size from the touch and a bar of that
cumulative size, so where the book is thick is seen at a glance. `BookHistoryLines` draws the sampled spread
(bps) and top-10 imbalance of the last minutes as two sparklines with their latest, low and high values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rich.text import Text

from cryptoterm.domain.book_depth import DepthRow, Level, cumulative, decimals_of, group_levels
from cryptoterm.tui.formatting import DASH, fmt_abbrev, fmt_bps
from cryptoterm.tui.market_views import BookSampleView
from cryptoterm.tui.widgets.sized_static import SizedStatic

BID_STYLE = "green"
ASK_STYLE = "red"
BAR = "█"
SPARKS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True, slots=True)
class GroupedBook:
    """A book grouped for display: rows best first per side, the step and the touch."""

    symbol: str
    step: float
    bids: tuple[DepthRow, ...]
    asks: tuple[DepthRow, ...]

    @classmethod
    def build(cls, symbol: str, bids: Sequence[Level], asks: Sequence[Level], step: float, rows: int) -> GroupedBook:
        grouped_bids = group_levels(bids, step, bids=True)[:rows]
        grouped_asks = group_levels(asks, step, bids=False)[:rows]
        return cls(symbol, step, tuple(cumulative(grouped_bids)), tuple(cumulative(grouped_asks)))

    @property
    def spread(self) -> float:
        if not self.bids or not self.asks:
            return float("nan")
        return self.asks[0].price - self.bids[0].price


def _price(value: float, step: float) -> str:
    return f"{value:,.{decimals_of(step)}f}"


#: A picked level: its side and its place from the best price outwards (0: the best bid / ask).
Pick = tuple[Literal["bid", "ask"], int]
PICK_STYLE = "reverse"
#: The ladder's column headers (the bar column has none).
HEADERS = ("Price", "Size", "Cum")


def picked_level(book: GroupedBook, pick: Pick | None) -> DepthRow | None:
    """The level a pick points at, if the book still shows that many levels on that side."""
    if pick is None:
        return None
    rows = book.bids if pick[0] == "bid" else book.asks
    return rows[pick[1]] if 0 <= pick[1] < len(rows) else None


def move_pick(book: GroupedBook, pick: Pick | None, delta: int) -> Pick | None:
    """One row up (delta -1: towards higher prices) or down the ladder as it is drawn — asks from the farthest to
    the best, then bids from the best outwards; the first move picks the best ask (up) or best bid (down)."""
    asks, bids = len(book.asks), len(book.bids)
    if not asks and not bids:
        return None
    if pick is None:
        return ("ask", 0) if delta < 0 and asks else ("bid", 0) if bids else ("ask", 0)
    # rows top to bottom: ask (asks - 1) … ask 0, bid 0 … bid (bids - 1)
    row = asks - 1 - pick[1] if pick[0] == "ask" else asks + pick[1]
    row = min(max(row + delta, 0), asks + bids - 1)
    return ("ask", asks - 1 - row) if row < asks else ("bid", row - asks)


def book_table(book: GroupedBook, bar_width: int, pick: Pick | None = None) -> Text:
    """Asks from the farthest shown down to the best, a spread row, then bids from the best outwards: one line
    each, in columns sized to the widest value.

    Formatted by hand rather than as a rich `Table`: the ladder repaints with every snapshot, and a table's layout
    pass (measuring every cell, then rendering each) cost about 30 ms a repaint — a fifth of a core for the book
    screen alone; lines of text cost well under a millisecond.
    """
    deepest = max((r.cumulative for r in (*book.bids[-1:], *book.asks[-1:])), default=0.0)

    def bar(row: DepthRow) -> str:
        return BAR * max(1, round(row.cumulative / deepest * bar_width)) if deepest > 0 else ""

    spread = book.spread
    mid = (book.asks[0].price + book.bids[0].price) / 2 if book.asks and book.bids else float("nan")
    bps = spread / mid * 10_000 if mid and math.isfinite(mid) else float("nan")
    rows = [(row, ASK_STYLE) for row in reversed(book.asks)] + [(row, BID_STYLE) for row in book.bids]
    cells = [(_price(row.price, book.step), fmt_abbrev(row.qty), fmt_abbrev(row.cumulative)) for row, _ in rows]
    spread_cells = ("─ spread ─", DASH if math.isnan(spread) else _price(spread, book.step), f"{fmt_bps(bps)} bps")
    widths = [max(len(header), len(spread_cells[k]), *(len(c[k]) for c in cells)) for k, header in enumerate(HEADERS)]

    out = Text(no_wrap=True, overflow="crop")
    out.append(" ".join(h.rjust(w) for h, w in zip(HEADERS, widths, strict=True)), style="bold")
    picked = picked_level(book, pick)
    asks = len(book.asks)
    for i, ((row, style), (price, qty, cum)) in enumerate(zip(rows, cells, strict=True)):
        if i == asks:
            out.append("\n")
            out.append(" ".join(c.rjust(w) for c, w in zip(spread_cells, widths, strict=True)), style="dim")
        start = len(out) + 1
        out.append("\n")
        out.append(price.rjust(widths[0]), style=style)
        out.append(f" {qty.rjust(widths[1])} {cum.rjust(widths[2])} ")
        out.append(bar(row), style=style)
        if row is picked:
            out.stylize(PICK_STYLE, start, len(out))
    if asks == len(rows):  # no bids: the spread row still closes the asks
        out.append("\n")
        out.append(" ".join(c.rjust(w) for c, w in zip(spread_cells, widths, strict=True)), style="dim")
    return out


class FullBookLadder(SizedStatic):
    """A `GroupedBook`, or why there is none ("syncing…")."""

    DEFAULT_CSS = """
    FullBookLadder { border: round $primary 60%; border-title-color: $text; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("syncing…", id=id)
        self.book: GroupedBook | None = None
        self.renders = 0
        self._shown: object = None
        self.border_title = "Order book"

    @property
    def rows_per_side(self) -> int:
        """Levels a side that fit: the height less the header and spread rows, halved."""
        return max(1, (self.content_size.height - 2) // 2)

    def show(self, symbol: str, book: GroupedBook | None, title: str, pick: Pick | None = None) -> bool:
        signature = (symbol, book, title, self.size, pick)
        if signature == self._shown:
            return False
        self._shown = signature
        self.drawn_at_this_size()
        self.book = book
        self.border_title = title
        if book is None or not (book.bids or book.asks):
            self.update(Text(f"{symbol or 'no symbol'}: syncing…", style="dim"))
        else:
            self.update(book_table(book, max(4, self.content_size.width - 30), pick))
        self.renders += 1
        return True


def sparkline(values: Sequence[float], width: int) -> str:
    """`values` (oldest first) in at most `width` cells (each the mean of its share of the values), scaled from
    their low to their high; unknown values are blank."""
    if width <= 0:
        return ""
    if len(values) > width:
        cells = []
        for i in range(width):
            chunk = [v for v in values[i * len(values) // width : (i + 1) * len(values) // width] if math.isfinite(v)]
            cells.append(sum(chunk) / len(chunk) if chunk else float("nan"))
    else:
        cells = list(values)
    finite = [c for c in cells if math.isfinite(c)]
    if not finite:
        return ""
    low, span = min(finite), max(finite) - min(finite)
    top = len(SPARKS) - 1
    return "".join(
        " " if not math.isfinite(c) else SPARKS[round((c - low) / span * top) if span > 0 else 0] for c in cells
    )


def fmt_small_bps(value: float) -> str:
    """Basis points with two decimals below 10 (a major's spread is a fraction of one)."""
    if not math.isfinite(value):
        return DASH
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def fmt_share(value: float) -> str:
    return DASH if not math.isfinite(value) else f"{value * 100:.0f}%"


class BookHistoryLines(SizedStatic):
    """Spread (bps) and imbalance of the sampled history, one sparkline each with latest and range."""

    DEFAULT_CSS = """
    BookHistoryLines { height: 5; border: round $primary 60%; border-title-color: $text; padding: 0 1;
        text-wrap: nowrap; text-overflow: clip; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.border_title = "Spread · imbalance"
        self.samples = 0
        self._shown: object = None

    def show(self, samples: Sequence[BookSampleView], span_label: str) -> bool:
        newest = samples[-1] if samples else None
        signature = (len(samples), newest.ts if newest is not None else 0, self.size, span_label)
        if signature == self._shown:
            return False
        self._shown = signature
        self.drawn_at_this_size()
        self.samples = len(samples)
        if not samples:
            self.update(Text("no samples yet (one every [book] sample_s)", style="dim"))
            return True
        spreads = [s.spread_bps for s in samples]
        imbalances = [s.imbalance for s in samples]
        text = Text(no_wrap=True, overflow="crop")
        for label, values, fmt in (("spread bps", spreads, fmt_small_bps), ("imbalance ", imbalances, fmt_share)):
            finite = [v for v in values if math.isfinite(v)]
            latest = f" {fmt(values[-1]):>6}"
            extent = f" ({fmt(min(finite))}–{fmt(max(finite))})" if finite else ""
            room = self.content_size.width - len(label) - 1 - len(latest)
            if room - len(extent) < 8:
                extent = ""
            text.append(f"{label} ", style="dim")
            text.append(sparkline(values, max(4, room - len(extent))), style="cyan")
            text.append(latest, style="bold")
            text.append(extent, style="dim")
            text.append("\n")
        text.append(span_label, style="dim")
        self.update(text)
        return True
