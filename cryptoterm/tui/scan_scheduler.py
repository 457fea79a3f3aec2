"""When the TUI scans: the engine's own schedule (`services.scan_timer.ScanTimer`, the one `--headless` runs) —
every `[scanner].interval_s`, when a bar of a running strategy's timeframe closes, and when the user asks; one
scan at a time, requests during a scan coalescing into one more.

The TUI only listens: as the timer starts and finishes scans (on the event loop the app runs on) the scheduler
posts `ScanStarted` / `ScanFinished` to every screen on the stack, and the setup tracker's changes arrive from its
own thread as `SetupsChanged` (`App.call_later` is thread-safe). No widget is touched from a scan's thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.message import Message

from cryptoterm.tui.context import TuiSession
from cryptoterm.tui.messages import ScanFinished, ScanStarted, SetupsChanged

if TYPE_CHECKING:
    # Types only: importing the scanner pulls in pandas and apprise, which the first frame must not wait for.
    from cryptoterm.services.scan_report import ScanReport
    from cryptoterm.services.scan_timer import ScanTimer
    from cryptoterm.services.setup_tracker import TrackedChange

NOT_RUNNING = "The scanner is not running in this mode."


class ScanScheduler:
    """The app's view of the engine's scan schedule (`ScanControl` for the screens). See the module docstring."""

    def __init__(self, app: App[Any], session: TuiSession) -> None:
        self.app = app
        self.session = session
        self.last_report: ScanReport | None = None
        self.last_error = ""
        self.scans_started = 0
        self._timer: ScanTimer | None = None

    @property
    def available(self) -> bool:
        return self._timer is not None

    @property
    def running(self) -> bool:
        return self._timer is not None and bool(self._timer.running_origin)

    @property
    def running_origin(self) -> str:
        return self._timer.running_origin if self._timer is not None else ""

    @property
    def pending_origin(self) -> str:
        return self._timer.pending_origin if self._timer is not None else ""

    def start(self) -> None:
        """Start the engine's schedule over the started runtime's scan session (call on the UI thread)."""
        scanning = self.session.scanning
        if scanning is None or self._timer is not None:
            return
        # Imported here: by the time a runtime has scanning, the scanner's stack is loaded.
        from cryptoterm.services.scan_timer import ScanTimer

        timer = ScanTimer(scanning, self.session.config.scanner.interval_s)
        timer.on_started(self._started)
        timer.on_finished(self._finished)
        scanning.on_setups_changed(self._setups_changed)
        self._timer = timer
        timer.start()

    async def stop(self) -> None:
        """Stop scheduling; a scan under way finishes first (it writes to the store that closes next)."""
        timer, self._timer = self._timer, None
        if timer is not None:
            await timer.stop()

    def scan_now(self, origin: str = "manual") -> bool:
        """Ask for a scan now; while one runs, one more follows it. True when it starts now."""
        if self._timer is None:
            self.app.notify(NOT_RUNNING, severity="warning")
            return False
        return self._timer.request(origin)

    # ------------------------------------------------------------------ the timer's reports (event loop)
    def _started(self, origin: str) -> None:
        self.scans_started += 1
        self._broadcast(lambda: ScanStarted(origin))

    def _finished(self, origin: str, report: ScanReport | None, error: str) -> None:
        if report is not None:
            self.last_report = report
            self.session.regime = report.regime
        self.last_error = error
        self._broadcast(lambda: ScanFinished(report, error))

    def _setups_changed(self, changes: list[TrackedChange]) -> None:
        # Called from the tracker's thread: post, never touch the UI here.
        count = len(changes)
        self.app.call_later(self._broadcast, lambda: SetupsChanged(count))

    def _broadcast(self, make: Callable[[], Message]) -> None:
        """Post a fresh message (messages are consumed once) to every screen on the stack."""
        for screen in self.app.screen_stack:
            screen.post_message(make())
