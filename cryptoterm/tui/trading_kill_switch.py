"""The kill switch on one key: read the account, ask once, then cancel everything and flatten everything.

`services.kill_switch` does the work over the broker the engine runs, as `cryptoterm kill-switch` does over a
broker of its own. On a live account the trader's one answer to `ConfirmKillSwitch` stands for all of its orders,
so they are sent through the same guarded account behind `already_confirmed` (the flattening orders are
reduce-only: the guards pass them) and the account is read back afterwards. The report is one line in a
notification and the log, plus a line per failure.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from cryptoterm.domain.trading.orders import OrderRejected
from cryptoterm.ports.broker import Broker
from cryptoterm.services.kill_switch import KillSwitchReport, kill_switch_plan, run_kill_switch
from cryptoterm.services.live_broker import already_confirmed
from cryptoterm.services.live_engine_broker import LiveEngineBroker

if TYPE_CHECKING:
    from cryptoterm.tui.context import TuiSession

log = logging.getLogger("cryptoterm.trading")


def report_line(report: KillSwitchReport) -> str:
    """One line: `kill switch (paper): 2 orders cancelled, 1 position flattened; nothing left open`."""
    cancelled = f"{len(report.cancelled)} order{'s' * (len(report.cancelled) != 1)} cancelled"
    flattened = f"{len(report.flattened)} position{'s' * (len(report.flattened) != 1)} flattened"
    left = []
    if report.still_open:
        left.append(f"{len(report.still_open)} still open")
    if report.still_held:
        left.append(f"{len(report.still_held)} still held")
    rest = "; " + ", ".join(left) if left else "; nothing left open"
    failed = f"; {len(report.failures)} failed" if report.failures else ""
    return f"kill switch ({report.mode}): {cancelled}, {flattened}{rest}{failed}"


def kill_switch(screen: Screen[Any], session: TuiSession) -> None:
    """Read what the kill switch would do, ask, and run it on yes (see the module docstring)."""
    broker = session.broker
    if broker is None:
        screen.notify("the kill switch works once the market has started", severity="warning")
        return
    app = screen.app

    async def ask() -> None:
        from cryptoterm.tui.screens.confirm_kill_switch import ConfirmKillSwitch

        try:
            plan = await kill_switch_plan(broker)
        except OrderRejected as exc:
            app.notify(f"kill switch: cannot read the account: {exc}", severity="error")
            return
        if plan.empty:
            app.notify(f"kill switch ({plan.mode}): nothing open, nothing held")
            return

        def answered(run: bool | None) -> None:
            if run:
                app.run_worker(act(), name="kill switch", group="orders", exit_on_error=False)
            else:
                app.notify("kill switch not run")

        app.push_screen(ConfirmKillSwitch(plan), answered)

    async def act() -> None:
        target: Broker = broker.live.with_confirm(already_confirmed) if isinstance(broker, LiveEngineBroker) else broker
        report = await run_kill_switch(target, now_ms=lambda: time.time_ns() // 1_000_000)
        if isinstance(broker, LiveEngineBroker):
            await broker.refresh()
        line = report_line(report)
        for failure in report.failures:
            log.error("kill switch: %s", failure)
        if report.ok:
            log.warning("%s", line)
            app.notify(line, severity="warning", timeout=10)
        else:
            log.error("%s", line)
            app.notify(line, severity="error", timeout=15)

    app.run_worker(ask(), name="kill switch plan", group="orders", exit_on_error=False)
