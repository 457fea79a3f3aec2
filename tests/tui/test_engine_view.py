"""The engine as the screens see it: declared, optional, typed parts (scan session, its records, the feed's order
books, the store's health), absent where a mode has none, and the scan schedule as one control."""

from __future__ import annotations

from pathlib import Path

from cryptoterm.config.schema import AppConfig
from cryptoterm.tui.context import NoScans, PendingRuntime, TuiSession
from cryptoterm.wiring.options import RunOptions
from tests.tui.conftest import make_app
from tests.tui.fakes import FakeFeed, FakeRuntime
from tests.tui.screen_fakes import UNSYNCED, runtime_of, screen_app, settle
from tests.waiting import eventually


def test_before_the_engine_exists_no_part_is_there_and_nothing_can_scan() -> None:
    session = TuiSession(AppConfig(), RunOptions(mode="demo"), PendingRuntime(AppConfig(), RunOptions(mode="demo")))
    assert (session.scanning, session.records, session.books, session.store) == (None, None, None, None)
    assert isinstance(session.scans, NoScans) and not session.scans.available and not session.scans.scan_now()


def test_a_store_that_reports_no_health_is_not_shown_as_one() -> None:
    runtime = FakeRuntime(FakeFeed(["BTC/USDT"]))
    runtime.store = object()  # e.g. a replay's store kept only for bars
    session = TuiSession(AppConfig(), RunOptions(mode="demo"), runtime)
    assert session.store is None


async def test_the_screens_reach_the_scan_session_records_books_and_store_through_the_session(
    tmp_path: Path,
) -> None:
    app = screen_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        session, runtime = app.session, runtime_of(app)
        assert session.scanning is runtime.scanning and session.records is runtime.scanning.repo
        assert session.store is runtime.store and session.store.health().file_size == 5_242_880
        books = session.books
        assert books is not None and books.get("BTC/USDT") is not None and books.get(UNSYNCED) is None
        assert session.scans is app.scans and session.scans.available


async def test_without_a_scanner_scan_now_says_so() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await eventually(lambda: app.session.symbols, "the fake engine started", pause=pilot.pause)
        await pilot.press("c")
        await pilot.press("n")
        await eventually(
            lambda: any("does not run in this mode" in str(n.message) for n in app._notifications),
            "the notice",
            pause=pilot.pause,
        )
        assert not app.session.scans.available and app.scans.scans_started == 0
