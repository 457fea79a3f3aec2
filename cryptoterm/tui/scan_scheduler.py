"""When the TUI scans: every `[scanner].interval_s`, when a bar of a running strategy's timeframe closes, and
when the user asks. Each scan runs in a thread worker on the app (the scheduler lives as long as the app).

Two scans never overlap: the worker is `exclusive` in the "scan" group, and a request that arrives while a
scan runs is remembered and run once that scan has finished (requests coalesce, none is lost, none queues
up behind a slow scan). Bars of every symbol close within a moment of each other, so a bar-close scan waits
`BAR_CLOSE_DELAY_S` for the rest of them. Results reach the screens as messages posted on the UI thread;
the setup tracker's changes arrive from its own thread the same way (`App.call_later` is thread-safe).
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.message import Message
from textual.timer import Timer

from cryptoterm.tui.context import TuiSession
from cryptoterm.tui.messages import ScanFinished, ScanStarted, SetupsChanged

if TYPE_CHECKING:
    # Types only: importing the scanner pulls in pandas and apprise, which the first frame must not wait for.
    from cryptoterm.services.scanner import ScanReport
    from cryptoterm.services.setup_tracker import TrackedChange
    from cryptoterm.wiring.scanning import Scanning

log = logging.getLogger(__name__)

#: Seconds a bar-close scan waits so that every symbol's bar has closed and been queued for the store.
BAR_CLOSE_DELAY_S = 1.5


def scanning_of(session: TuiSession) -> Scanning | None:
    """The runtime's scanning part, if the runtime has one (replays and test fakes may not)."""
    found = getattr(session.runtime, "scanning", None)
    if found is None:
        return None
    # Imported here, not at module level: the scanner's stack must not delay the first frame. By the time a
    # runtime has scanning, its module is loaded and this import is a dictionary lookup.
    from cryptoterm.wiring.scanning import Scanning

    return found if isinstance(found, Scanning) else None


class ScanScheduler:
    """Starts scans on the app's thread workers and tells the screens about them. See the module docstring."""

    def __init__(self, app: App[Any], session: TuiSession) -> None:
        self.app = app
        self.session = session
        self.running_origin = ""
        self.pending_origin = ""
        self.last_report: ScanReport | None = None
        self.last_error = ""
        self.scans_started = 0
        self._interval: Timer | None = None
        self._started = False

    @property
    def scanning(self) -> Scanning | None:
        return scanning_of(self.session)

    @property
    def running(self) -> bool:
        return bool(self.running_origin)

    def start(self) -> None:
        """Hook into the started runtime (UI thread): bar closes, tracker changes, the interval, a first scan."""
        scanning = self.scanning
        if scanning is None or self._started:
            return
        self._started = True
        scanning.on_scan_due(self._bar_closed)
        scanning.on_setups_changed(self._setups_changed)
        interval = self.session.config.scanner.interval_s
        if interval > 0:
            self._interval = self.app.set_interval(interval, partial(self.scan_now, "interval"), name="scan-interval")
        if scanning.running():
            self.scan_now("startup")

    def scan_now(self, origin: str = "manual") -> bool:
        """Start a scan now; while one runs, run one more after it. Returns True when it started now."""
        scanning = self.scanning
        if scanning is None:
            self.app.notify("The scanner is not running in this mode.", severity="warning")
            return False
        if self.running:
            self.pending_origin = self.pending_origin or origin
            return False
        self.running_origin = origin
        self.scans_started += 1
        self._broadcast(ScanStarted(origin))
        self.app.run_worker(
            partial(self._scan, scanning, origin),
            name=f"scan ({origin})",
            group="scan",
            thread=True,
            exclusive=True,
            exit_on_error=False,
        )
        return True

    def _scan(self, scanning: Scanning, origin: str) -> ScanReport:
        """Runs in the worker thread; hands the outcome to the UI thread whatever happens."""
        try:
            report = scanning.scan(origin)
        except Exception as exc:
            self.app.call_later(self._finished, None, f"{type(exc).__name__}: {exc}")
            raise
        self.app.call_later(self._finished, report, "")
        return report

    def _finished(self, report: ScanReport | None, error: str) -> None:
        self.running_origin = ""
        if report is not None:
            self.last_report = report
            self.session.regime = report.regime
        self.last_error = error
        self._broadcast(ScanFinished(report, error))
        if self.pending_origin:
            origin, self.pending_origin = self.pending_origin, ""
            self.scan_now(origin)

    def _bar_closed(self, timeframe: str) -> None:
        self.app.set_timer(BAR_CLOSE_DELAY_S, partial(self.scan_now, f"{timeframe} close"), name="scan-bar-close")

    def _setups_changed(self, changes: list[TrackedChange]) -> None:
        # Called from the tracker's thread: post, never touch the UI here.
        self.app.call_later(self._broadcast, SetupsChanged(len(changes)))

    def _broadcast(self, message: Message) -> None:
        """Post a fresh copy of `message` to every screen on the stack (messages are consumed once)."""
        for screen in self.app.screen_stack:
            screen.post_message(_copy(message))

    def stop(self) -> None:
        if self._interval is not None:
            self._interval.stop()
            self._interval = None


def _copy(message: Message) -> Message:
    if isinstance(message, ScanFinished):
        return ScanFinished(message.report, message.error)
    if isinstance(message, ScanStarted):
        return ScanStarted(message.origin)
    if isinstance(message, SetupsChanged):
        return SetupsChanged(message.changed)
    return message


def scheduler_of(app: App[Any]) -> ScanScheduler | None:
    """The app's scheduler (the app creates one at start-up)."""
    found = getattr(app, "scans", None)
    return found if isinstance(found, ScanScheduler) else None
