"""One line on the dashboard for the watched pair: its live z-score and where it stands against the bands.

Hidden while no pair is watched, so the dashboard's layout is the same as without it.
"""

from __future__ import annotations

import math

from rich.text import Text
from textual.widgets import Static

from cryptoterm.domain.market import TickerStats
from cryptoterm.tui.pair_watch import WatchedPair

_ZONE_STYLE = {"entry": "bold yellow", "exit": "green", "hold": "cyan", "": "dim"}


class PairWatchBar(Static):
    """`BTC/USDT ~ ETH/USDT  z +2.31  beyond ±2.0: entry  (ols β 0.812)`."""

    DEFAULT_CSS = """
    PairWatchBar { height: 1; padding: 0 1; background: $boost; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.display = False
        self.pair: WatchedPair | None = None
        self.z = math.nan

    def show_pair(self, pair: WatchedPair | None) -> None:
        self.pair = pair
        self.display = pair is not None
        if pair is None:
            self.update("")

    def apply_tickers(self, tickers: tuple[TickerStats, ...]) -> None:
        pair = self.pair
        if pair is None:
            return
        self.z = pair.zscore(tickers)
        self.update(watch_line(pair, self.z))


def watch_line(pair: WatchedPair, z: float) -> Text:
    zone = pair.zone(z)
    text = Text()
    text.append("pair ", style="dim")
    text.append(pair.label, style="bold")
    text.append("  z ")
    text.append(f"{z:+.2f}" if math.isfinite(z) else "—", style=_ZONE_STYLE[zone])
    if zone == "entry":
        text.append(f"  beyond ±{pair.entry_z:g}: entry zone", style=_ZONE_STYLE[zone])
    elif zone == "exit":
        text.append(f"  inside ±{pair.exit_z:g}: exit zone", style=_ZONE_STYLE[zone])
    elif zone == "hold":
        text.append("  between the bands", style="dim")
    else:
        text.append("  waiting for both prices", style="dim")
    text.append(f"  ({pair.hedge} β {pair.beta:.3f})", style="dim")
    return text
