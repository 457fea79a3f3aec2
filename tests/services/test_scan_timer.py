"""The headless scan schedule: one scan at a time, requests during a scan coalesce into one more, bar closes
ask for a scan, stopping lets the scan under way finish."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from cryptoterm.services.scan_timer import ScanTimer
from tests.waiting import eventually


class GatedSession:
    """A scan session whose scans wait for the test to open a gate, counting how many run at once."""

    def __init__(self) -> None:
        self.origins: list[str] = []
        self.running_now = 0
        self.most_at_once = 0
        self.gate = threading.Event()
        self.due: list[Callable[[str], None]] = []
        self._lock = threading.Lock()

    def on_scan_due(self, listener: Callable[[str], None]) -> None:
        self.due.append(listener)

    def running(self) -> list[Any]:
        return ["a strategy"]

    def scan(self, origin: str) -> str:
        with self._lock:
            self.running_now += 1
            self.most_at_once = max(self.most_at_once, self.running_now)
            self.origins.append(origin)
        self.gate.wait(60)
        with self._lock:
            self.running_now -= 1
        return f"report of {origin}"


async def test_requests_during_a_scan_coalesce_into_one_more_and_never_overlap() -> None:
    session = GatedSession()
    reports: list[object] = []
    timer = ScanTimer(session, 0.0, bar_close_delay_s=0.0, on_report=reports.append)  # type: ignore[arg-type]
    timer.start()
    await eventually(lambda: session.origins == ["startup"], "the start-up scan began")
    for origin in ("manual", "manual", "interval"):
        timer.request(origin)
    session.due[0]("1m")  # a bar closed while the scan runs
    await asyncio.sleep(0)
    session.gate.set()
    await eventually(lambda: len(reports) == 2, "two scans finished")
    assert session.origins == ["startup", "manual"] and session.most_at_once == 1
    session.gate.clear()
    session.due[0]("1m")
    await eventually(lambda: session.origins[-1:] == ["1m close"], "a bar-close scan began")
    stopping = asyncio.create_task(timer.stop())
    await asyncio.sleep(0)
    assert not stopping.done()  # waits for the scan under way
    session.gate.set()
    await stopping
    assert timer.scans == 3 and reports[-1] == "report of 1m close"
    timer.request("manual")
    assert session.origins == ["startup", "manual", "1m close"]  # nothing runs after stop
