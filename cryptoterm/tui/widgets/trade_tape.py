"""The trade tape (time and sales): the newest prints first, buys green, sells red, large prints highlighted.

Its screen hands it the symbol's recent trades (`services.trade_tape`) at the repaint cadence; it groups them
into prints (`domain.tape.aggregate_prints`: one taker order is one print, small trades accumulate up to the
minimum notional) and renders as many as fit. Nothing is rebuilt while the newest trade and the size are the same:
a quiet symbol costs nothing per frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from rich.text import Text

from cryptoterm.domain.market import Trade
from cryptoterm.domain.tape import Print, aggregate_prints, tape_summary
from cryptoterm.tui.formatting import DASH, fmt_abbrev, fmt_price
from cryptoterm.tui.widgets.sized_static import SizedStatic

BUY_STYLE = "green"
SELL_STYLE = "red"
LARGE_BUY_STYLE = "bold black on green"
LARGE_SELL_STYLE = "bold black on red"


def fmt_qty(qty: float) -> str:
    """A trade size in about six significant digits (0.00123, 12.5, 1,204)."""
    if qty >= 1000:
        return f"{qty:,.0f}"
    if qty >= 1:
        return f"{qty:,.3f}".rstrip("0").rstrip(".")
    return f"{qty:.6f}".rstrip("0").rstrip(".") or "0"


def print_line(item: Print, *, millis: bool = False) -> Text:
    """ "23:59:58  61,234.56    0.0421   2.58K ▲" in the print's side colour (inverse when large)."""
    moment = datetime.fromtimestamp(item.ts / 1000, tz=UTC)
    stamp = moment.strftime("%H:%M:%S") + (f".{item.ts % 1000:03d}" if millis else "")
    buy = item.side == "buy"
    styles = (LARGE_BUY_STYLE, LARGE_SELL_STYLE) if item.large else (BUY_STYLE, SELL_STYLE)
    style = styles[0] if buy else styles[1]
    line = Text(no_wrap=True, overflow="crop")
    line.append(f"{stamp} ", style="dim")
    line.append(f"{fmt_price(item.price):>12} {fmt_qty(item.qty):>10} {fmt_abbrev(item.notional):>6} ", style=style)
    line.append("▲" if buy else "▼", style=style)
    if item.trades > 1:
        line.append(f" ×{item.trades}", style="dim")
    return line


class TradeTapeView(SizedStatic):
    """The tape of one symbol (see the module docstring). `min_notional` / `large_notional` come from `[tape]`."""

    DEFAULT_CSS = """
    TradeTapeView { border: round $primary 60%; border-title-color: $text; padding: 0 1; text-wrap: nowrap;
        text-overflow: clip; }
    """

    def __init__(self, *, min_notional: float = 0.0, large_notional: float = 0.0, id: str | None = None) -> None:
        super().__init__(f"no trades yet {DASH}", id=id)
        self.min_notional = min_notional
        self.large_notional = large_notional
        self.symbol = ""
        self.prints: tuple[Print, ...] = ()
        self.renders = 0
        self._shown: tuple[object, ...] = ()
        self.border_title = "Tape"

    @property
    def rows(self) -> int:
        """Prints that fit (one a row, below the summary line)."""
        return max(1, self.content_size.height - 1)

    def show(self, symbol: str, trades: Sequence[Trade]) -> bool:
        """Show `trades` (oldest first) of `symbol`; True when the picture changed."""
        newest = trades[-1] if trades else None
        signature = (symbol, newest, len(trades), self.min_notional, self.size, self.large_notional)
        if signature == self._shown:
            return False
        self._shown = signature
        self.drawn_at_this_size()
        self.symbol = symbol
        prints = aggregate_prints(trades, min_notional=self.min_notional, large_notional=self.large_notional)
        self.prints = tuple(reversed(prints[-self.rows :]))
        self.border_title = f"Tape {symbol}" if symbol else "Tape"
        self.update(self._render_text(prints))
        self.renders += 1
        return True

    def _render_text(self, prints: Sequence[Print]) -> Text:
        if not self.prints:
            return Text(f"{self.symbol or 'no symbol'}: no trades yet", style="dim")
        bought, sold = tape_summary(prints)
        text = Text(no_wrap=True, overflow="crop")
        text.append(f"{len(prints)} prints", style="dim")
        if self.min_notional > 0:
            text.append(f" · ≥ {fmt_abbrev(self.min_notional)}", style="dim")
        text.append(" · bought ", style="dim")
        text.append(fmt_abbrev(bought), style=BUY_STYLE)
        text.append(" sold ", style="dim")
        text.append(fmt_abbrev(sold), style=SELL_STYLE)
        for item in self.prints:
            text.append("\n")
            text.append_text(print_line(item))
        return text
