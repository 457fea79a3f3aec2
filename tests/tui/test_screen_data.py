"""The data screen over a real store: system statistics and every stored series; a real 1h kline file imported
from the import field (through the engine's store writer) and exported from the export field round-trips; a bad
file says so and writes nothing."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from cryptoterm.tui.screens import data as data_module
from cryptoterm.tui.screens.data import DataScreen, parse_export
from tests.tui.screen_fakes import runtime_of, screen_app, settle, static_text
from tests.waiting import eventually


@pytest.fixture(autouse=True)
def fixed_uptime(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data_module, "process_uptime_s", lambda: 5_400.0)


async def open_data(pilot: Pilot[Any]) -> DataScreen:
    await settle(pilot)
    await pilot.press("i")
    app = pilot.app
    await eventually(
        lambda: isinstance(app.screen, DataScreen) and app.screen.counts is not None, "data", pause=pilot.pause
    )
    screen = app.screen
    assert isinstance(screen, DataScreen)
    return screen


async def submit(pilot: Pilot[Any], screen: DataScreen, field: str, text: str) -> None:
    box = screen.query_one(f"#{field}", Input)
    box.focus()
    box.value = text
    await pilot.press("enter")


def test_export_arguments() -> None:
    assert parse_export("candles BTC/USDT 1h btc.csv") == ("candles", "BTC/USDT", "1h", "btc.csv")
    assert parse_export("alerts out.json") == ("alerts", "", "", "out.json")
    with pytest.raises(ValueError, match='"bars" is not one of'):
        parse_export("bars x.csv")
    with pytest.raises(ValueError, match='"BTCUSDT" is neither a symbol'):
        parse_export("candles BTCUSDT x.csv")


async def test_import_and_export_through_the_screen(tmp_path: Path, shared_data: Path) -> None:
    app = screen_app(tmp_path, fixed_store=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_data(pilot)
        before = {(c.symbol, c.timeframe): c.candles for c in screen.counts or []}
        assert before and all(tf == "1m" for _, tf in before)
        assert "Uptime 1h 30m" in static_text(screen.query_one("#data-stats"))
        source = shared_data / "klines" / "1h" / "ETHUSDT-1h.csv.gz"
        await submit(pilot, screen, "data-import", str(source))
        await eventually(lambda: ("ETH/USDT", "1h") in {(c.symbol, c.timeframe) for c in screen.counts or []},
                         "imported", pause=pilot.pause)  # fmt: skip
        assert any("imported 19,600 candles in 1 series" in line for line in screen.results), screen.results
        out = tmp_path / "eth.csv"
        await submit(pilot, screen, "data-export", f"candles ETH/USDT 1h {out}")
        await eventually(lambda: any("exported" in line for line in screen.results), "exported", pause=pilot.pause)
        with out.open() as handle:
            rows = list(csv.DictReader(handle))
        with gzip.open(source, "rt") as handle:
            original = list(csv.DictReader(handle))
        assert len(rows) == len(original) == 19_600
        assert [(int(r["open_time"]), float(r["close"])) for r in rows] == [
            (int(r["open_time"]), float(r["close"])) for r in original
        ]
        bad = tmp_path / "ETHUSDT-1h-bad.csv"
        bad.write_text("open_time,open,high,low,close,volume\n1617566400000,1,2,0.5,x,3\n")
        count = len(screen.counts or [])
        await submit(pilot, screen, "data-import", str(bad))
        await eventually(lambda: any("nothing was imported" in line for line in screen.results), "refused",
                         pause=pilot.pause)  # fmt: skip
        assert any('ETHUSDT-1h-bad.csv:2: column "close": "x" is not a number' in line for line in screen.results)
        assert len(screen.counts or []) == count
        assert runtime_of(app).real_store.count_candles("sim", "ETH/USDT", "1h") == 19_600


def test_data_screen_120x40(snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data_module, "_size", lambda size: "1.2 MiB")  # the file's size follows the WAL's timing

    async def run_before(pilot: Pilot[Any]) -> None:
        await open_data(pilot)
        await pilot.pause()

    assert snap_compare(screen_app(tmp_path, fixed_store=False), terminal_size=(120, 40), run_before=run_before)
