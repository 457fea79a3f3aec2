"""Health screen: per-stream rows from `FeedStats.health`, latency legs, store and process panels, row counts
counted in a thread worker."""

from __future__ import annotations

from pathlib import Path

import pytest

from cryptoterm.ports.market import StreamHealth
from cryptoterm.tui.screens import health as health_module
from cryptoterm.tui.screens.health import HealthScreen, ProcessStats, fmt_bytes, stream_cells
from tests.tui.screen_fakes import FixedStore, runtime_of, screen_app, settle, static_text


@pytest.fixture(autouse=True)
def fixed_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health_module, "process_stats", lambda: ProcessStats(123 * 1024 * 1024, 3_725.0, 9))


async def open_health(pilot: object, app: object) -> HealthScreen:
    await settle(pilot)
    await pilot.press("h")  # type: ignore[attr-defined]
    await settle(pilot, lambda: isinstance(app.screen, HealthScreen) and app.screen.counts is not None)  # type: ignore[attr-defined]
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, HealthScreen)
    return screen


async def test_streams_latency_store_and_process(tmp_path: Path) -> None:
    app = screen_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_health(pilot, app)
        runtime_of(app).feed.tick()
        await settle(pilot, lambda: screen.paints >= 1 and screen.streams.row_count == 2)
        table = screen.streams
        trades = [c.plain for c in table.get_row("trades")]
        depth = [c.plain for c in table.get_row("depth")]
        assert trades[:3] == ["trades", "connected", "120K"] and trades[6:9] == ["250ms", "42ms", "closed"]
        assert depth[1] == "reconnecting" and depth[4:7] == ["2", "1", "4.2s"] and depth[8] == "half-open"
        feed = static_text(screen.query_one("#health-feed"))
        assert "event→receive" in feed and "42ms" in feed
        assert "receive→screen" in feed and len(screen.ui_latency_ms) >= 1
        store = static_text(screen.query_one("#health-store"))
        assert "5.0 MiB" in store and "14,412" in store and "candles" in store and "14,400" in store
        process = static_text(screen.query_one("#health-process"))
        assert "123.0 MiB" in process and "1h02m" in process


async def test_row_counts_are_refreshed_on_request_in_a_worker(tmp_path: Path) -> None:
    app = screen_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_health(pilot, app)
        store = runtime_of(app).store
        assert isinstance(store, FixedStore)
        counted = store.counted
        store.counts = {**store.counts, "setups": 99}
        await pilot.press("r")
        await settle(
            pilot, lambda: store.counted > counted and screen.counts is not None and screen.counts["setups"] == 99
        )
        assert "99" in static_text(screen.query_one("#health-store"))


async def test_real_store_counts_its_tables(tmp_path: Path) -> None:
    app = screen_app(tmp_path, fixed_store=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_health(pilot, app)
        assert screen.counts is not None
        assert screen.counts["candles"] == 10 * 1439 and screen.counts["setups"] == 4


def test_stream_cells_and_sizes() -> None:
    health = StreamHealth("x", "disconnected", messages=5, errors=3, breaker="open")
    cells = stream_cells(health, 10_000, float("nan"))
    assert cells["age"].plain == "–" and cells["lag"].plain == "–" and cells["rate"].plain == "–"
    assert str(cells["breaker"].style) == "bold red" and str(cells["errors"].style) == "red"
    assert fmt_bytes(512) == "512 B" and fmt_bytes(1536) == "1.5 KiB" and fmt_bytes(3 * 1024**3) == "3.0 GiB"
