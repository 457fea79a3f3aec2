"""One alert firing or market event opened from the feed: the symbol at the moment it happened — its 1m closes
around that time drawn as a strip, the bar's numbers — the values that fired, and every delivery attempt.
`s` opens the symbol's live detail; escape closes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from cryptoterm.domain.market import Candle
from cryptoterm.tui.alerts_view import FeedItem
from cryptoterm.tui.formatting import fmt_price
from cryptoterm.tui.messages import SymbolOpened

#: Bars drawn on either side of the moment.
AROUND = 30
_BLOCKS = "▁▂▃▄▅▆▇█"


def _utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def price_strip(candles: Sequence[Candle], moment_ms: int) -> Text:
    """Closes as a strip of block characters, the bar holding `moment_ms` marked (empty when no bars)."""
    if not candles:
        return Text("no bars of this symbol around that time are in memory", style="dim")
    closes = [c.close for c in candles]
    low, high = min(closes), max(closes)
    span = high - low or 1.0
    text = Text()
    for candle in candles:
        level = int((candle.close - low) / span * (len(_BLOCKS) - 1))
        here = candle.open_time <= moment_ms < candle.open_time + 60_000
        text.append(_BLOCKS[level], style="bold reverse yellow" if here else "cyan")
    text.append(f"  {fmt_price(low)} – {fmt_price(high)}", style="dim")
    return text


def around(candles: Sequence[Candle], moment_ms: int, bars: int = AROUND) -> list[Candle]:
    """The bars within `bars` minutes either side of `moment_ms`."""
    return [c for c in candles if abs(c.open_time - moment_ms) <= bars * 60_000]


class AlertDetailScreen(ModalScreen[None]):
    """See the module docstring. `candles` are the symbol's 1m bars the feed holds (the caller reads them)."""

    DEFAULT_CSS = """
    AlertDetailScreen { align: center middle; }
    AlertDetailScreen > VerticalScroll {
        width: 90%; max-width: 110; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close"),
        Binding("s", "open_symbol", "Symbol detail", tooltip="Open the symbol's live detail view"),
    ]

    def __init__(self, item: FeedItem, candles: Sequence[Candle]) -> None:
        super().__init__()
        self.item = item
        self.candles = around(candles, item.ts)

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = ("Alert" if self.item.kind == "alert" else "Market event") + " — s: symbol, esc: close"
            yield Static(self.render_detail(), id="alert-detail")

    def render_detail(self) -> RenderableType:
        item = self.item
        parts: list[RenderableType] = []
        if item.alert is not None:
            firing = item.alert.firing
            parts.append(Text(firing.title, style="bold"))
            parts.append(Text(firing.message))
        elif item.event is not None:
            parts.append(Text(item.event.describe(), style="bold"))
            members = ", ".join(item.event.members)
            if members:
                parts.append(Text(f"moved together: {members}", style="dim"))
        parts.append(Text(f"at {_utc(item.ts)}", style="dim"))
        parts.append(Text(""))
        parts.append(price_strip(self.candles, item.ts))
        bar = next((c for c in self.candles if c.open_time <= item.ts < c.open_time + 60_000), None)
        if bar is not None:
            parts.append(
                Text(
                    f"that minute: open {fmt_price(bar.open)}  high {fmt_price(bar.high)}  low {fmt_price(bar.low)}  "
                    f"close {fmt_price(bar.close)}  volume {bar.volume:,.4g}",
                    style="dim",
                )
            )
        if item.alert is not None:
            firing = item.alert.firing
            if firing.values:
                values = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
                for name, value in firing.values.items():
                    values.add_row(name, f"{value:,.6g}")
                parts += [Text(""), Text("Values that fired", style="bold"), values]
            parts += [Text(""), Text(f"Delivery: {item.status or item.alert.status}", style="bold")]
            attempts = Table(box=None, show_header=True, header_style="bold", padding=(0, 2, 0, 0))
            for column in ("#", "when", "channel", "result"):
                attempts.add_column(column)
            for attempt in item.alert.deliveries:
                result = (
                    Text("delivered", style="green")
                    if attempt.delivered
                    else Text(attempt.error or "failed", style="red")
                )
                attempts.add_row(str(attempt.attempt), _utc(attempt.ts), attempt.channel, result)
            if item.alert.deliveries:
                parts.append(attempts)
            elif item.alert.status == "no_channel":
                parts.append(Text("no notification URL takes this alert's tags: it is kept here only", style="dim"))
        return Group(*parts)

    def action_open_symbol(self) -> None:
        symbol = self.item.symbol
        if not symbol or "/" not in symbol:
            self.notify("This event belongs to the whole market, not one symbol.")
            return
        self.dismiss()
        self.app.post_message(SymbolOpened(symbol))
