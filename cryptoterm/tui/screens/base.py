"""`LiveScreen`: the base of every screen that shows market data.

The app forwards each `MarketUpdated` / `LogRecorded` to the screens on the current stack; a live screen
keeps its status bar and log pane current, and catches up from the shared session when it is resumed (a
screen in another mode misses updates while hidden and needs none). Subclasses extend `apply_snapshot`
for their own widgets and may add `palette_commands()` entries.
"""

from __future__ import annotations

from textual.worker import Worker

from cryptoterm.services.market_snapshot import MarketSnapshot
from cryptoterm.tui.commands import PaletteCommand
from cryptoterm.tui.context import LogLine, TuiSession
from cryptoterm.tui.messages import LogRecorded, MarketUpdated
from cryptoterm.tui.trading_keys import TradingScreen
from cryptoterm.tui.widgets.log_pane import LogPane
from cryptoterm.tui.widgets.status_bar import StatusBar
from cryptoterm.tui.workers import report_worker_state


class LiveScreen(TradingScreen):
    """A screen bound to the shared `TuiSession` (its trading keys: `TradingScreen`)."""

    def __init__(self, session: TuiSession, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.session = session
        self.snapshots_applied = 0
        #: `MarketUpdated.published` of the newest snapshot applied (monotonic seconds), for latency figures.
        self.last_published = 0.0

    def on_mount(self) -> None:
        for pane in self.query(LogPane):
            pane.add_lines(self.session.logs)
        if self.session.snapshot is not None:
            self.apply_snapshot(self.session.snapshot)

    def on_screen_resume(self) -> None:
        if self.session.snapshot is not None:
            self.apply_snapshot(self.session.snapshot)

    def on_market_updated(self, message: MarketUpdated) -> None:
        self.last_published = message.published
        self.apply_snapshot(message.snapshot)

    def on_log_recorded(self, message: LogRecorded) -> None:
        self.apply_log(message.line)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Worker.StateChanged does not bubble: a screen's own jobs (scans, loads) are reported here.
        report_worker_state(event.worker, event.state, owner=self.name or type(self).__name__)

    def apply_snapshot(self, snapshot: MarketSnapshot) -> None:
        """Repaint from `snapshot`. The base keeps status bars current; subclasses call super()."""
        self.snapshots_applied += 1
        for bar in self.query(StatusBar):
            bar.apply_snapshot(snapshot, self.session.regime)
        self.show_account()

    def apply_log(self, line: LogLine) -> None:
        for pane in self.query(LogPane):
            pane.add_lines((line,))

    def palette_commands(self) -> list[PaletteCommand]:
        """This screen's palette entries (the app adds its own after them)."""
        return []
