"""A background job that fails is a log line (with the reason) and the app keeps running: a workstation left open
all day must survive a failed table load."""

from __future__ import annotations

from pathlib import Path

import pytest

from cryptoterm.tui.screens.setups import SetupsScreen
from tests.tui.screen_fakes import screen_app, settle
from tests.waiting import eventually


async def test_a_failed_table_load_is_logged_and_the_app_keeps_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: SetupsScreen, scanning: object) -> list[object]:
        raise OSError("disk I/O error")

    monkeypatch.setattr(SetupsScreen, "load_rows", broken)
    app = screen_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await eventually(
            lambda: any("failed: disk I/O error" in line.text for line in app.session.logs),
            "the failure in the log",
            pause=pilot.pause,
        )
        assert app.is_running and isinstance(app.screen, SetupsScreen)
        await pilot.press("d")  # the app still answers keys
        await eventually(lambda: not isinstance(app.screen, SetupsScreen), "the dashboard back", pause=pilot.pause)
