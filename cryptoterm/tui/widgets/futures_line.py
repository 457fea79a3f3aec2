"""The symbol detail's USDⓈ-M line: mark and index price, funding rate and time to it, open interest.

Hidden where the market has no such figures (spot, the demo, replays without mark price messages); shown as soon
as the engine's futures figures (`services.futures_stats`: the mark price stream and REST) know the symbol.
"""

from __future__ import annotations

import math

from rich.text import Text
from textual.widgets import Static

from cryptoterm.ports.futures import FuturesQuote
from cryptoterm.tui.formatting import DASH, fmt_abbrev, fmt_clock, fmt_price
from cryptoterm.tui.market_views import MarketViewsView


def countdown(ms: int) -> str:
    """Time left as "3h12m" / "12m" / "45s" (a dash when the time is unknown or past)."""
    if ms <= 0:
        return DASH
    seconds = ms // 1000
    hours, rest = divmod(seconds, 3600)
    if hours:
        return f"{hours}h{rest // 60:02d}m"
    return f"{rest // 60}m" if rest >= 60 else f"{rest}s"


def futures_text(quote: FuturesQuote, now_ms: int) -> Text:
    """ "mark 61,800.2 · index 61,790.1 · funding +0.0100% in 3h12m (08:00 UTC) · OI 80.1K (4.95B)" """
    rate = quote.funding_rate * 100
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("mark ", style="dim")
    text.append(fmt_price(quote.mark))
    text.append(" · index ", style="dim")
    text.append(fmt_price(quote.index))
    text.append(" · funding ", style="dim")
    style = "" if not math.isfinite(rate) or rate == 0 else "green" if rate > 0 else "red"
    text.append(DASH if math.isnan(rate) else f"{rate:+.4f}%", style=style)
    if quote.next_funding_ms:
        text.append(f" in {countdown(quote.next_funding_ms - now_ms)}", style="dim")
        text.append(f" ({fmt_clock(quote.next_funding_ms)[11:16]} UTC)", style="dim")
    text.append(" · OI ", style="dim")
    text.append(fmt_abbrev(quote.open_interest))
    if math.isfinite(quote.open_interest_notional):
        text.append(f" ({fmt_abbrev(quote.open_interest_notional)})", style="dim")
    return text


class FuturesLine(Static):
    """One line under the symbol detail's chart (see the module docstring)."""

    DEFAULT_CSS = """
    FuturesLine { height: 1; padding: 0 1; display: none; }
    FuturesLine.-shown { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.quote: FuturesQuote | None = None
        self._shown = ""

    def show_for(self, views: MarketViewsView | None, symbol: str, now_ms: int) -> bool:
        futures = views.futures if views is not None else None
        quote = futures.quote(symbol) if futures is not None and symbol else None
        self.quote = quote
        self.set_class(quote is not None, "-shown")
        if quote is None:
            return False
        text = futures_text(quote, now_ms)
        if text.plain == self._shown:
            return False
        self._shown = text.plain
        self.update(text)
        return True
