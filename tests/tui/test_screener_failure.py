"""A pair screen that fails unexpectedly is a message on the screener and a log line, never the end of the app."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from cryptoterm.tui.screens import screener as screener_module
from tests.tui.screener_fakes import screener_app, seed_store
from tests.tui.test_screen_screener import open_screener
from tests.waiting import eventually


@pytest.fixture
def db(tmp_path: Path, shared_data: Path) -> Path:
    path = tmp_path / "screener.db"
    seed_store(path, shared_data)
    return path


async def test_an_unexpected_screen_error_keeps_the_app_running(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(session: Any, progress: Any, cancel: threading.Event) -> Any:
        raise ValueError("bad value(s) in fds_to_keep")

    monkeypatch.setattr(screener_module, "_run_screen", broken)
    app = screener_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screener(pilot)
        await pilot.press("n")
        await eventually(lambda: not screen.running, "the screen to end", pause=lambda: pilot.pause(0.02))
        assert app.is_running and app.screen is screen
        assert screen.message == "The screen failed; the log says why."
        await eventually(
            lambda: any("the pair screen failed: ValueError: bad value(s) in fds_to_keep" in line.text
                        for line in app.session.logs),
            "the reason in the log pane",
            pause=lambda: pilot.pause(0.02),
        )  # fmt: skip
        assert screen.summary is not None and screen.summary.session_id == 1  # the previous results stay
