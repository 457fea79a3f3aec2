"""The depth chart: cumulative bid depth falling away to the left of the mid, ask depth to the right.

Drawn with block characters (eight heights a cell) rather than plotext: one column per price step, so a deep book
costs a binary search per column (`domain.book_depth.depth_profile`) and a string per row — cheap enough to
follow the book at the screen's repaint rate. The x axis names the lowest, mid and highest price shown, the
y axis the largest cumulative size.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from cryptoterm.domain.book_depth import Level, depth_profile
from cryptoterm.tui.formatting import fmt_abbrev, fmt_price
from cryptoterm.tui.widgets.sized_static import SizedStatic

BLOCKS = " ▁▂▃▄▅▆▇█"
BID_STYLE = "green"
ASK_STYLE = "red"
#: Columns on the left for the y-axis label.
LABEL_WIDTH = 7


def block_rows(values: Sequence[float], top: float, height: int) -> list[str]:
    """`values` as columns of blocks `height` rows tall, scaled so `top` fills a column; top row first."""
    rows: list[str] = []
    steps = len(BLOCKS) - 1
    scaled = [max(0.0, v) / top * height * steps if top > 0 else 0.0 for v in values]
    for row in range(height - 1, -1, -1):
        floor = row * steps
        rows.append("".join(BLOCKS[max(0, min(steps, round(v - floor)))] if v > floor else " " for v in scaled))
    return rows


def price_axis(mid: float, span: float, width: int) -> str:
    """ "59,990.00      60,000.00      60,010.00" across `width`; the mid and ± span when the three do not fit."""
    low, centre, high = fmt_price(mid - span), fmt_price(mid), fmt_price(mid + span)
    gap = width - len(low) - len(high) - len(centre)
    if gap >= 2:
        return f"{low}{' ' * (gap // 2)}{centre}{' ' * (gap - gap // 2)}{high}"
    label = f"{centre} ± {fmt_price(span)}"
    return f"{label:^{width}}"[:width]


class DepthChart(SizedStatic):
    """Cumulative depth either side of the mid over ± `span` in price (set by its screen from the grouping)."""

    DEFAULT_CSS = """
    DepthChart { border: round $primary 60%; border-title-color: $text; text-wrap: nowrap; text-overflow: clip; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.border_title = "Depth"
        self.profile: list[float] = []
        self.renders = 0
        self._shown: tuple[object, ...] = ()

    def show(self, bids: Sequence[Level], asks: Sequence[Level], span: float) -> bool:
        """Draw the book (levels best first) over mid ± `span`; True when the picture changed."""
        width = max(4, self.content_size.width - LABEL_WIDTH)
        height = max(1, self.content_size.height - 1)
        profile = depth_profile(bids, asks, width, span)
        top = max(profile, default=0.0)
        signature = (tuple(block_rows(profile, top, height)), width, height, round(top, 6), span)
        if signature == self._shown:
            return False
        self._shown = signature
        self.drawn_at_this_size()
        self.profile = profile
        self.update(self._render_text(signature[0], bids, asks, span, top, width))
        self.renders += 1
        return True

    def _render_text(
        self, rows: Sequence[str], bids: Sequence[Level], asks: Sequence[Level], span: float, top: float, width: int
    ) -> Text:
        if not rows or not bids or not asks:
            return Text("waiting for a synced book", style="dim")
        half = width // 2
        text = Text(no_wrap=True, overflow="crop")
        for index, row in enumerate(rows):
            label = fmt_abbrev(top) if index == 0 else ""
            text.append(f"{label:>{LABEL_WIDTH - 1}} ", style="dim")
            text.append(row[:half], style=BID_STYLE)
            text.append(row[half:], style=ASK_STYLE)
            text.append("\n")
        mid = (bids[0][0] + asks[0][0]) / 2
        text.append(" " * LABEL_WIDTH + price_axis(mid, span, width), style="dim")
        return text
