"""When the TUI scans: on the interval, never two at once (requests during a scan coalesce into one more),
and setups moved by closed bars reach the setups screen."""

from __future__ import annotations

import threading
from pathlib import Path

import msgspec

from cryptoterm.domain.market import BarClosed, Candle
from cryptoterm.services.scanner import ScanReport
from cryptoterm.tui.screens.setups import SetupsScreen
from cryptoterm.tui.widgets.setup_table import SetupTable
from tests.tui.screen_fakes import runtime_of, screen_app, screen_config, settle
from tests.waiting import GUARD_S, eventually


class GatedScans:
    """Wraps `Scanning.scan`: counts concurrent scans and holds each one until the test opens the gate."""

    def __init__(self, scan: object) -> None:
        self._scan = scan
        self.gate = threading.Event()
        self.lock = threading.Lock()
        self.running = 0
        self.most_at_once = 0
        self.origins: list[str] = []

    def __call__(self, origin: str = "manual") -> ScanReport:
        with self.lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            self.origins.append(origin)
        try:
            self.gate.wait(GUARD_S)  # a hang guard only: the test opens the gate
            return self._scan(origin)  # type: ignore[operator,no-any-return]
        finally:
            with self.lock:
                self.running -= 1


async def test_requests_during_a_scan_coalesce_into_one_more_scan(tmp_path: Path) -> None:
    app = screen_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        scanning = runtime_of(app).scanning
        gated = GatedScans(scanning.scan)
        scanning.scan = gated  # type: ignore[method-assign]
        assert app.scans.scan_now("manual")
        await eventually(lambda: app.scans.running and gated.running == 1, "the scan at the gate", pause=pilot.pause)
        assert not app.scans.scan_now("manual") and not app.scans.scan_now("interval")
        assert app.scans.pending_origin == "manual"
        gated.gate.set()
        await settle(pilot, lambda: len(gated.origins) == 2 and not app.scans.running)
        assert gated.origins == ["manual", "manual"] and gated.most_at_once == 1
        runs = scanning.repo.scan_runs()
        assert [r.origin for r in runs] == ["manual", "manual", "startup"]
        assert all(r.finished_ms is not None for r in runs)


async def test_scans_run_on_the_interval(tmp_path: Path) -> None:
    config = screen_config()
    config = msgspec.structs.replace(config, scanner=msgspec.structs.replace(config.scanner, interval_s=0.2))
    app = screen_app(tmp_path, config)
    async with app.run_test(size=(120, 40)) as pilot:

        def two_interval_scans() -> bool:
            scanning = app.session.scanning
            return scanning is not None and sum(r.origin == "interval" for r in scanning.repo.scan_runs()) >= 2

        await eventually(two_interval_scans, "two interval scans", pause=lambda: pilot.pause(0.05))
        scanning = app.session.scanning
        assert scanning is not None
        origins = [r.origin for r in scanning.repo.scan_runs()]
        assert origins.count("interval") >= 2 and origins[-1] == "startup"


async def test_setups_moved_by_closed_bars_reach_the_setups_screen(tmp_path: Path) -> None:
    app = screen_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot, lambda: isinstance(app.screen, SetupsScreen) and app.screen.loads >= 1)
        screen = app.screen
        assert isinstance(screen, SetupsScreen)
        loads = screen.loads
        scanning = runtime_of(app).scanning
        btc = next(s for s in scanning.repo.recent_setups() if s.symbol == "BTC/USDT")
        # The next 1m bar trades through the entry without reaching the stop: the setup is triggered.
        bar = Candle(btc.bar_time + 60_000, btc.entry, btc.entry * 1.0005, btc.entry * 0.9999, btc.entry, 1.0)
        scanning.on_bar_closed(BarClosed("BTC/USDT", "1m", bar))
        table = screen.query_one(SetupTable)
        # a load already under way when the bar closed may land first: wait for the one that reads the move
        # (the screen never polls, so only a reload the bar caused can show it)
        await settle(pilot, lambda: screen.loads > loads and table.get_row(str(btc.id))[3].plain == "triggered")
        history = scanning.repo.setup_events(btc.id or 0)
        assert [(e.from_state, e.to_state) for e in history] == [(None, "new"), ("new", "triggered")]
