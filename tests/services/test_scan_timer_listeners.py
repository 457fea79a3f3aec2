"""What the TUI hears of the shared scan schedule: each scan's start (with its origin) and its end (its report,
or the error it failed with), whether a request starts a scan at once, and what runs or waits meanwhile."""

from __future__ import annotations

import threading
from collections.abc import Callable

from cryptoterm.services.scan_timer import ScanTimer
from tests.waiting import eventually


class ScriptedSession:
    """Scans wait for the test's gate; a scan whose origin is "boom" fails."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.due: list[Callable[[str], None]] = []

    def on_scan_due(self, listener: Callable[[str], None]) -> None:
        self.due.append(listener)

    def running(self) -> list[object]:
        return []  # no start-up scan: the test asks for each one

    def scan(self, origin: str = "manual") -> str:
        self.gate.wait(60)
        if origin == "boom":
            raise RuntimeError("the store is gone")
        return f"report of {origin}"


async def test_listeners_hear_each_start_and_end_and_requests_say_whether_they_start_now() -> None:
    session = ScriptedSession()
    heard: list[tuple[object, ...]] = []
    timer = ScanTimer(session, 0.0, bar_close_delay_s=0.0)  # type: ignore[arg-type]
    timer.on_started(lambda origin: heard.append(("started", origin, timer.running_origin)))
    timer.on_finished(lambda origin, report, error: heard.append(("finished", origin, report, error)))
    timer.start()
    assert timer.idle
    assert timer.request("manual") is True  # nothing ran: it starts now
    await eventually(lambda: timer.running_origin == "manual", "the manual scan runs")
    assert timer.request("boom") is False and timer.pending_origin == "boom"
    assert timer.request("interval") is False and timer.pending_origin == "boom"  # coalesced into the one queued
    session.gate.set()
    await eventually(lambda: len(heard) == 4, "two scans started and ended")
    assert heard == [
        ("started", "manual", "manual"),
        ("finished", "manual", "report of manual", ""),
        ("started", "boom", "boom"),
        ("finished", "boom", None, "RuntimeError: the store is gone"),
    ]
    assert timer.idle and timer.failures == 1 and timer.scans == 1 and timer.last_report == "report of manual"
    await timer.stop()
    assert timer.request("manual") is False  # stopped: nothing starts


async def test_a_failing_listener_is_logged_and_the_schedule_goes_on() -> None:
    session = ScriptedSession()
    session.gate.set()
    ends: list[str] = []

    def broken(origin: str) -> None:
        raise ValueError("listener bug")

    timer = ScanTimer(session, 0.0, bar_close_delay_s=0.0)  # type: ignore[arg-type]
    timer.on_started(broken)
    timer.on_finished(lambda origin, report, error: ends.append(origin))
    timer.start()
    timer.request("manual")
    await eventually(lambda: ends == ["manual"], "the scan ended despite the listener")
    timer.request("again")
    await eventually(lambda: ends == ["manual", "again"], "the next scan ran too")
    await timer.stop()
