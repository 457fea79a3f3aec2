"""Scan log screen: recorded scans newest first with counts, and the per-symbol errors of the highlighted one."""

from __future__ import annotations

from pathlib import Path

from cryptoterm.ports.setups import ScanRunRow
from cryptoterm.tui.screens.scan_log import ScanLogScreen, errors_view, fmt_duration, run_cells
from tests.tui.screen_fakes import SCANNED, always, screen_app, screen_config, settle, static_text


async def open_log(pilot: object, app: object) -> ScanLogScreen:
    await settle(pilot)
    await pilot.press("c")  # type: ignore[attr-defined]
    await settle(pilot, lambda: isinstance(app.screen, ScanLogScreen) and app.screen.loads >= 1)  # type: ignore[attr-defined]
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, ScanLogScreen)
    return screen


async def test_scans_are_listed_with_their_counts(tmp_path: Path) -> None:
    app = screen_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_log(pilot, app)
        (startup,) = screen.runs
        assert (startup.origin, startup.strategies, startup.symbols, startup.hits, startup.new_setups) == (
            "startup",
            1,
            len(SCANNED),
            len(SCANNED),
            len(SCANNED),
        )
        row = [cell.plain for cell in screen.table.get_row(str(startup.id))]
        assert row[1:] == ["startup", "0 ms", "1", "4", "4", "4", "0"]
        assert "no errors" in static_text(screen.query_one("#scanlog-errors"))
        loads = screen.loads
        await pilot.press("n")
        await settle(pilot, lambda: len(screen.runs) == 2 and screen.loads > loads and bool(screen.runs[0].finished_ms))
        assert [r.origin for r in screen.runs] == ["manual", "startup"]
        assert screen.runs[0].new_setups == 0 and screen.runs[0].hits == len(SCANNED)


async def test_per_symbol_errors_of_the_highlighted_scan(tmp_path: Path) -> None:
    config = screen_config(always("broken-universe", ["BTC/USDT", "NOPE/USDT"]))
    app = screen_app(tmp_path, config)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_log(pilot, app)
        (run,) = screen.runs
        assert [(e["strategy"], e["symbol"]) for e in run.errors] == [("broken-universe", "NOPE/USDT")]
        assert screen.table.get_row(str(run.id))[-1].plain == "1"
        text = static_text(screen.query_one("#scanlog-errors"))
        assert "NOPE/USDT" in text and "no 1m candles stored" in text


def test_pure_rendering() -> None:
    run = ScanRunRow(7, 0, None, None, "interval", 2, 3, 1, 1, [])
    cells = run_cells(run)
    assert cells[2].plain == "running" and cells[1].plain == "interval"
    assert fmt_duration(12_345) == "12.3 s" and fmt_duration(250) == "250 ms"
    assert "No scans recorded yet" in errors_view(None).plain  # type: ignore[union-attr]


def test_what_a_scan_said_about_its_data_shows_beside_its_errors() -> None:
    from rich.console import Console

    run = ScanRunRow(
        8, 0, 5, 5, "manual", 1, 1, 0, 0,
        [{"strategy": "s", "symbol": "ETH/USDT", "error": "LookupError: no 1h candles"}],
        ["BTC/USDT 4h derived from 1h"],
    )  # fmt: skip
    console = Console(width=100, record=True)
    console.print(errors_view(run))
    text = console.export_text()
    assert "no 1h candles" in text and "note" in text and "4h derived from 1h" in text
    quiet = ScanRunRow(9, 0, 5, 5, "manual", 1, 1, 0, 0, [], [])
    assert "no errors" in errors_view(quiet).plain  # type: ignore[union-attr]
