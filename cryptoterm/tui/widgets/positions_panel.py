"""The dashboard's positions panel: the account's equity and day, and each open position marked to the market.

A few lines above the status bar, shown only while something is open (a position or an order), so an
account at rest costs the chart no row. It repaints from the broker's view with each market snapshot (already
bounded to `ui.max_fps`), and only when what it would show changed.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from cryptoterm.domain.trading.order_text import number
from cryptoterm.services.trading_runtime import AccountView
from cryptoterm.tui.formatting import fmt_price

#: Positions listed before "+N more".
SHOWN = 3


def signed(value: float) -> Text:
    style = "green" if value > 0 else "red" if value < 0 else ""
    return Text(f"{value:+,.2f}", style=style)


def panel_text(view: AccountView, mode: str) -> Text:
    """What the panel shows for `view` (pure: tests and the snapshot read it)."""
    quote = view.quote
    text = Text()
    text.append(f"{mode} ", style="bold reverse" if mode == "live" else "bold")
    text.append(f" equity {view.equity:,.2f} {quote}  day ")
    text.append_text(signed(view.day_pnl))
    text.append(f"  free {view.free:,.2f}")
    orders = len(view.orders)
    if orders:
        text.append(f"  · {orders} order{'s' if orders != 1 else ''}")
    text.append("  p: all", style="dim")  # the positions screen
    for position, mark in view.positions[:SHOWN]:
        side = "long" if position.qty > 0 else "short"
        pnl = position.unrealized(mark)
        cost = abs(position.qty) * position.avg_price
        pct = pnl / cost * 100 if cost else 0.0
        name = position.symbol + (f" [{position.pair_id}]" if position.pair_id else "")
        text.append(f"\n{name:<13}{side:<6}{number(abs(position.qty)):>10} @ {fmt_price(position.avg_price):>10}")
        text.append(f" mark {fmt_price(mark):>10} ")  # 80 columns hold a line with its profit
        text.append_text(signed(pnl))
        text.append(f" ({pct:+.2f}%)", style="green" if pct > 0 else "red" if pct < 0 else "")
    more = len(view.positions) - SHOWN
    if more > 0:
        text.append(f"\n+{more} more", style="dim")
    return text


class PositionsPanel(Static):
    """See the module docstring."""

    DEFAULT_CSS = """
    PositionsPanel { height: auto; max-height: 5; padding: 0 1; background: $boost; display: none; }
    PositionsPanel.-open { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._shown: tuple[object, ...] = ()
        self.paints = 0

    def show(self, view: AccountView | None, mode: str = "paper") -> None:
        """Repaint from the account (None: no broker yet); hidden while nothing is open."""
        open_ = view is not None and bool(view.positions or view.orders)
        self.set_class(open_, "-open")
        if view is None or not open_:
            self._shown = ()
            return
        key = (
            mode,
            round(view.equity, 2),
            round(view.day_pnl, 2),
            round(view.free, 2),
            len(view.orders),
            tuple((p.symbol, p.pair_id, p.qty, p.avg_price, round(mark, 8)) for p, mark in view.positions),
        )
        if key == self._shown:
            return
        self._shown = key
        self.paints += 1
        self.update(panel_text(view, mode))
