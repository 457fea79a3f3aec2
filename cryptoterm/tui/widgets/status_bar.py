"""The status bar: mode, exchange, connection state, throughput, freshness, late trades and feed time.

Everything shown comes from the snapshot (including "now", the snapshot's `ts`), so a frozen clock gives a
frozen status bar and the age of the last message is measured on the feed's clock, not the terminal's.

The rate, the age and the clock change with every snapshot; repainting them ten times a second tells nobody
anything, so they repaint at most once a second (`REPAINT_EVERY_S`, the newest always shown in the end). A change
worth seeing at once — mode, regime, connection state, late trades — repaints at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from cryptoterm.ports.market import StreamHealth
from cryptoterm.services.market_snapshot import MarketSnapshot
from cryptoterm.tui.formatting import fmt_age, fmt_clock, fmt_rate

MODE_STYLES = {"demo": "bold black on yellow", "live": "bold white on dark_green", "replay": "bold white on blue"}
STATE_STYLES = {
    "connected": "green",
    "connecting": "yellow",
    "reconnecting": "yellow",
    "disconnected": "bold red",
    "closed": "red",
}
#: Market regime colours: the same reading at a glance on every screen.
REGIME_STYLES = {"bull": "bold green", "bear": "bold red", "range": "yellow", "high-vol": "bold magenta"}
_STATE_RANK = {"closed": 4, "disconnected": 3, "reconnecting": 2, "connecting": 1, "connected": 0}
#: Rates, ages and the clock repaint at most this often (seconds).
REPAINT_EVERY_S = 1.0


def connection_state(health: tuple[StreamHealth, ...]) -> str:
    """The worst state across connections ("connected" only if all are); "no stream" when none report."""
    if not health:
        return "no stream"
    if any(h.breaker == "open" for h in health):
        return "breaker open"
    return max(health, key=lambda h: _STATE_RANK.get(h.state, 5)).state


def status_text(mode: str, exchange: str, snapshot: MarketSnapshot | None, regime: str = "") -> Text:
    """The whole bar as one styled line (pure, so it is tested without a terminal)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f" {mode.upper()} ", style=MODE_STYLES.get(mode, "reverse"))
    text.append(f" {exchange} ")
    if regime and regime != "unknown":  # "unknown" = still warming up: nothing worth a glance yet
        text.append("│ ", style="dim")
        text.append(regime, style=REGIME_STYLES.get(regime, ""))
        text.append(" ")
    if snapshot is None:
        text.append("│ starting…", style="dim")
        return text
    stats = snapshot.stats
    state = connection_state(stats.health)
    text.append("│ ", style="dim")
    text.append(state, style=STATE_STYLES.get(state, "bold red"))
    text.append(" │ ", style="dim")
    text.append(f"{fmt_rate(stats.messages_per_s)} msg/s")
    text.append(" │ ", style="dim")
    age = snapshot.ts - stats.last_message_ms if stats.last_message_ms else float("nan")
    text.append(f"last {fmt_age(age)}")
    text.append(" │ ", style="dim")
    text.append(f"late {stats.late_trades}", style="yellow" if stats.late_trades else "")
    text.append(" │ ", style="dim")
    text.append(f"{fmt_clock(snapshot.ts)} UTC")
    return text


class StatusBar(Static):
    """One line at the bottom of a screen, above the footer."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $foreground; }
    """

    def __init__(self, mode: str, exchange: str, *, id: str | None = None) -> None:
        super().__init__(status_text(mode, exchange, None), id=id)
        self.mode = mode
        self.exchange = exchange
        self.shown_text = ""
        #: Monotonic seconds (tests set a clock of their own).
        self.clock: Callable[[], float] = time.monotonic
        self._painted_at = float("-inf")
        self._steady: tuple[object, ...] = ()
        self._pending: Text | None = None
        self._timer: Timer | None = None

    def apply_snapshot(self, snapshot: MarketSnapshot | None, regime: str = "") -> None:
        rendered = status_text(self.mode, self.exchange, snapshot, regime)
        if rendered.plain == self.shown_text:
            self._pending = None
            return
        steady = _steady_part(snapshot, regime)
        wait = REPAINT_EVERY_S - (self.clock() - self._painted_at)
        if steady != self._steady or wait <= 0:
            self._steady = steady
            self._paint(rendered)
            return
        self._pending = rendered
        if self._timer is None:
            self._timer = self.set_timer(wait, self._paint_pending, name="status-bar")

    def _paint_pending(self) -> None:
        self._timer = None
        if self._pending is not None:
            self._paint(self._pending)

    def _paint(self, rendered: Text) -> None:
        self._pending = None
        self._painted_at = self.clock()
        self.shown_text = rendered.plain
        # One fixed-height line: a new text never changes its size, so skip the layout pass (which, with
        # the clock and rates changing every second, was most of the idle dashboard's CPU).
        self.update(rendered, layout=False)


def _steady_part(snapshot: MarketSnapshot | None, regime: str) -> tuple[object, ...]:
    """What repaints at once when it changes: everything but the rate, the age and the clock."""
    if snapshot is None:
        return (regime,)
    stats = snapshot.stats
    return (regime, stats.mode, connection_state(stats.health), stats.late_trades)
