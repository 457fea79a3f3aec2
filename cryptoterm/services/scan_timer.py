"""When an engine without a UI scans: every `[scanner].interval_s`, when a bar of a running strategy's timeframe
closes, and on request — one scan at a time, requests during a scan coalescing into one more.

The TUI and `--headless` both scan on this schedule, so a server process scans exactly when the workstation
would; the TUI listens (`on_started` / `on_finished`) and tells its screens. A scan runs in a thread (it reads
SQLite and computes indicators); the event loop only waits for it. Bars of every symbol close within a moment
of each other, so a bar-close scan waits `bar_close_delay_s` for the rest of them. Listeners are called on the
event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # types only: the TUI imports this module before the scanner's stack is needed
    from cryptoterm.services.scan_report import ScanReport

log = logging.getLogger(__name__)

#: Seconds a bar-close scan waits so that every symbol's bar has closed and been queued for the store.
BAR_CLOSE_DELAY_S = 1.5

ScanListener = Callable[["ScanReport"], None]
#: Called with the origin when a scan starts.
StartListener = Callable[[str], None]
#: Called with the origin, the report (None when the scan failed) and the error ("" when it did not).
FinishListener = Callable[[str, "ScanReport | None", str], None]


class ScanSource(Protocol):
    """What the schedule needs of `services.scan_session.ScanSession`."""

    def on_scan_due(self, listener: Callable[[str], None]) -> None: ...

    def running(self) -> Sequence[object]: ...

    def scan(self, origin: str = "manual") -> ScanReport: ...


class ScanTimer:
    """Runs the session's scans on the interval, on bar closes and on `request()`. See the module docstring."""

    def __init__(
        self,
        session: ScanSource,
        interval_s: float,
        *,
        bar_close_delay_s: float = BAR_CLOSE_DELAY_S,
        on_report: ScanListener | None = None,
    ) -> None:
        self._session = session
        self._interval_s = interval_s
        self._delay_s = bar_close_delay_s
        self._on_report = on_report
        self._wanted: asyncio.Queue[str | None] = asyncio.Queue()
        self._runner: asyncio.Task[None] | None = None
        self._interval: asyncio.Task[None] | None = None
        self._stopping = False
        self.scans = 0
        self.failures = 0
        self.last_report: ScanReport | None = None
        #: The origin of the scan under way ("" while none runs).
        self.running_origin = ""
        #: The origin of the scan asked for next ("" when none is).
        self.pending_origin = ""
        self._started_listeners: list[StartListener] = []
        self._finished_listeners: list[FinishListener] = []

    def on_started(self, listener: StartListener) -> None:
        """Call `listener(origin)` on the event loop as each scan starts."""
        self._started_listeners.append(listener)

    def on_finished(self, listener: FinishListener) -> None:
        """Call `listener(origin, report, error)` on the event loop as each scan ends, failed or not."""
        self._finished_listeners.append(listener)

    @property
    def idle(self) -> bool:
        """No scan runs and none is asked for: a request now starts one at once."""
        return not self.running_origin and not self.pending_origin

    def start(self) -> None:
        """Begin: hook into bar closes, start the interval, ask for the start-up scan (call on the loop)."""
        loop = asyncio.get_running_loop()
        self._session.on_scan_due(self._bar_closed)
        self._runner = loop.create_task(self._run(), name="scans")
        if self._interval_s > 0:
            self._interval = loop.create_task(self._every(), name="scan interval")
        if self._session.running():
            self.request("startup")

    def request(self, origin: str) -> bool:
        """Ask for a scan; while one runs, requests coalesce into one more after it. True when it starts now."""
        starts_now = self.idle
        if self._stopping:
            return False
        if self._wanted.empty():
            self._wanted.put_nowait(origin)
            self.pending_origin = origin
        return starts_now

    async def stop(self) -> None:
        """Stop scheduling; a scan under way finishes first (its thread writes to the store being closed next)."""
        self._stopping = True
        if self._interval is not None:
            self._interval.cancel()
        if self._runner is not None:
            while not self._wanted.empty():
                self._wanted.get_nowait()
            self.pending_origin = ""
            self._wanted.put_nowait(None)
            await self._runner

    def _bar_closed(self, timeframe: str) -> None:
        if not self._stopping:
            asyncio.get_running_loop().call_later(self._delay_s, self.request, f"{timeframe} close")

    async def _every(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            self.request("interval")

    async def _run(self) -> None:
        while True:
            origin = await self._wanted.get()
            if origin is None:
                return
            self.running_origin, self.pending_origin = origin, ""
            self._tell(self._started_listeners, origin)
            try:
                report = await asyncio.to_thread(self._session.scan, origin)
            except Exception as exc:
                self.failures += 1
                log.exception("%s scan failed", origin)
                self.running_origin = ""
                self._tell(self._finished_listeners, origin, None, f"{type(exc).__name__}: {exc}")
                continue
            self.scans += 1
            self.last_report = report
            self.running_origin = ""
            if self._on_report is not None:
                self._tell([self._on_report], report)
            self._tell(self._finished_listeners, origin, report, "")

    @staticmethod
    def _tell(listeners: Sequence[Callable[..., None]], *args: object) -> None:
        for listener in listeners:
            try:
                listener(*args)
            except Exception:
                log.exception("scan listener failed")
