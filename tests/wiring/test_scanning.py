"""Scanning wired into a running product: demo scans produce setups, closed bars advance them, reloads keep
the previous strategies running when the file breaks, toggles take effect, and notifications are delivered."""

from __future__ import annotations

import asyncio
import logging
import textwrap
from collections.abc import Sequence
from pathlib import Path

import msgspec
import pandas as pd
import pytest

from cryptoterm.adapters.clock import FrozenClock
from cryptoterm.adapters.store.sqlite_store import SqliteStore
from cryptoterm.config import AppConfig, default_config
from cryptoterm.config.loader import load_config_file
from cryptoterm.config.schema import LevelsConfig, NotifyConfig, StrategyConfig, UniverseConfig
from cryptoterm.domain.market import Candle, DepthSnapshot, SymbolInfo, TickerStats
from cryptoterm.domain.strategy import aggregate_complete
from cryptoterm.services.engine import Engine
from cryptoterm.services.scan_session import ScanSession
from cryptoterm.wiring import build_engine
from cryptoterm.wiring.build import build_scan_session
from cryptoterm.wiring.options import RunOptions
from tests.loopback.notify_receiver import NotifyReceiver
from tests.services.test_scanner_data import candles_of, read_klines
from tests.waiting import eventually

SYMBOLS = 4


def always(name: str = "always-long", timeframe: str = "1m", **kw: object) -> StrategyConfig:
    """A strategy that fires on every bar: every scan over a fresh universe opens one setup per symbol."""
    args: dict[str, object] = {
        "name": name,
        "timeframe": timeframe,
        "when": ["close > 0"],
        "levels": LevelsConfig(entry="close", stop="close - 2 * atr(14)", targets=["2R"]),
        "expires": "3 bars",
        **kw,
    }
    return StrategyConfig(**args)  # type: ignore[arg-type]


def demo_config(*strategies: StrategyConfig, **extra: object) -> AppConfig:
    config = default_config()
    demo = msgspec.structs.replace(config.demo, symbols=SYMBOLS, history_days=2, speed=0.0)
    return msgspec.structs.replace(config, demo=demo, strategy=list(strategies), **extra)


async def started(config: AppConfig, tmp_path: Path) -> tuple[Engine, ScanSession]:
    runtime = build_engine(config, RunOptions(mode="demo", db_path=str(tmp_path / "scan.db")))
    await runtime.start()
    assert runtime.scanning is not None
    await runtime.scanning.wait_ready()
    return runtime, runtime.scanning


async def test_demo_scan_reads_seeded_history_and_opens_setups(tmp_path: Path) -> None:
    runtime, scanning = await started(demo_config(always("always long")), tmp_path)
    try:
        symbols = runtime.feed.symbols
        assert scanning.prepare_seconds is not None  # the demo's history was read before the feed ran
        stored = runtime.store.read_candles("sim", symbols[0], "1m")
        assert len(stored) >= runtime.config.scanner.history_bars
        report = await asyncio.to_thread(scanning.scan, "test")
        assert report.errors == ()
        assert sorted(s.symbol for s in report.new_setups) == sorted(symbols)
        assert all(s.bar_time == stored[-1].open_time for s in report.new_setups)
        again = await asyncio.to_thread(scanning.scan, "test")
        assert again.new_setups == () and len(again.duplicates) == len(symbols)
        (status,) = scanning.strategies()
        assert status.last_run is not None and status.last_run.hits == len(symbols)
        assert status.last_run.new_setups == 0 and status.last_run.errors == 0
        assert [r.origin for r in scanning.repo.scan_runs()] == ["test", "test"]
    finally:
        await runtime.close()


async def test_closed_bars_from_the_feed_advance_open_setups(tmp_path: Path) -> None:
    runtime, scanning = await started(demo_config(always()), tmp_path)
    due: list[str] = []
    scanning.on_scan_due(due.append)
    try:
        report = await asyncio.to_thread(scanning.scan, "test")
        assert report.new_setups
        task = asyncio.create_task(runtime.feed.run())

        def reached_and_moved() -> bool:
            # every setup leaves "new" within its three bars on any price path (entry, zone, stop or expiry),
            # so waiting for one that moved waits for bars, not for the simulated price to go a certain way
            setups = scanning.repo.recent_setups()
            return bool(due) and all(s.last_bar is not None for s in setups) and any(s.state != "new" for s in setups)

        try:
            await eventually(reached_and_moved, "closed bars reaching every open setup and moving one")
        finally:
            runtime.feed.stop()
            await task
        await asyncio.to_thread(scanning.wait_for_bars)
        setups = scanning.repo.recent_setups()
        assert due and due[0] == "1m"
        assert all(s.last_bar is not None and s.last_bar > s.bar_time for s in setups)
        moved = [s for s in setups if s.state != "new"]
        assert moved, "setups with the entry at the close and three bars to live: the next bars trigger or expire them"
        events = scanning.repo.setup_events(moved[0].id or 0)
        assert events[0].from_state is None and events[-1].to_state == moved[0].state
    finally:
        await runtime.close()


async def test_reload_keeps_the_running_strategy_when_the_file_breaks(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    good = """
        [demo]
        symbols = 4
        history_days = 2
        speed = 0.0

        [[strategy]]
        name = "trend"
        timeframe = "1m"
        when = ["close > ema(20)"]
    """
    path.write_text(textwrap.dedent(good))
    runtime, scanning = await started(load_config_file(path), tmp_path)
    try:
        (before,) = scanning.strategies()
        assert before.loaded and before.error == ""
        path.write_text(textwrap.dedent(good).replace("ema(20)", "emma(20)"))
        result = scanning.reload()
        assert not result.ok and result.errors[0][0] == "trend"
        assert 'unknown indicator "emma"' in result.errors[0][1] or "emma" in result.errors[0][1]
        (broken,) = scanning.strategies()
        assert broken.loaded and "emma" in broken.error
        assert [s.name for s in scanning.running()] == ["trend"]
        assert "close > ema(20)" in [t.text for t in scanning.running()[0].terms]

        path.write_text("this is = not [ toml")
        result = scanning.reload()
        assert result.file_error.startswith("config.toml: invalid TOML")
        assert [s.name for s in scanning.running()] == ["trend"]

        path.write_text(textwrap.dedent(good).replace("ema(20)", "sma(10)"))
        result = scanning.reload()
        assert result.ok and result.loaded == ("trend",)
        assert "close > sma(10)" in [t.text for t in scanning.running()[0].terms]
        assert scanning.strategies()[0].error == ""
    finally:
        await runtime.close()


async def test_disabled_strategies_are_not_scanned(tmp_path: Path) -> None:
    short = LevelsConfig(entry="close", stop="close + 2 * atr(14)", targets=["2R"])
    b = always("b", direction="short", enabled=False, levels=short)
    runtime, scanning = await started(demo_config(always("a"), b), tmp_path)
    try:
        assert [s.name for s in scanning.running()] == ["a"]
        scanning.set_enabled("a", False)
        scanning.set_enabled("b", True)
        report = await asyncio.to_thread(scanning.scan, "test")
        assert {s.strategy for s in report.new_setups} == {"b"}
        assert report.errors == () and {s.direction for s in report.new_setups} == {"short"}
        with pytest.raises(KeyError, match="nope"):
            scanning.set_enabled("nope", True)
    finally:
        await runtime.close()


async def test_bad_notification_url_turns_notifications_off_but_scans_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = demo_config(always(), notify=NotifyConfig(urls=["nosuchscheme://user:hunter2@example"]))
    with caplog.at_level(logging.ERROR, logger="cryptoterm.wiring.build"):
        runtime, scanning = await started(config, tmp_path)
    try:
        assert any("notifications are off" in r.getMessage() for r in caplog.records)
        assert all("hunter2" not in r.getMessage() for r in caplog.records)
        report = await asyncio.to_thread(scanning.scan, "test")
        assert report.new_setups
    finally:
        await runtime.close()


async def test_new_setups_are_notified_through_apprise(tmp_path: Path) -> None:
    async with NotifyReceiver() as receiver:
        url = receiver.json_url("/hook") + "#new"
        universe = UniverseConfig(symbols=["BTC/USDT"])
        config = demo_config(always(universe=universe), notify=NotifyConfig(urls=[url], events=["new"]))
        runtime, scanning = await started(config, tmp_path)
        try:
            report = await asyncio.to_thread(scanning.scan, "test")
            assert [s.symbol for s in report.new_setups] == ["BTC/USDT"]
            await eventually(lambda: receiver.received, "the notification at the receiver")
        finally:
            await runtime.close()
    assert [r.body["title"] for r in receiver.received] == ["▲ LONG BTC/USDT — always-long"]


class KlineHistory:
    """A `HistorySource` serving real Binance 1h klines (the live path's REST history, without a network)."""

    name = "klines"

    def __init__(self, frames: dict[str, pd.DataFrame]) -> None:
        self.frames = frames
        self.requests: list[tuple[str, str, int]] = []

    async def markets(self) -> list[SymbolInfo]:
        return []

    async def fetch_candles(
        self, symbol: str, timeframe: str, since_ms: int, until_ms: int | None = None
    ) -> list[Candle]:
        self.requests.append((symbol, timeframe, since_ms))
        frame = self.frames[symbol]
        if timeframe != "1h":
            frame = aggregate_complete(frame, "1h", timeframe)
        rows = frame[(frame.index >= since_ms) & (frame.index < (until_ms or 2**62))]
        return candles_of(rows)

    async def fetch_tickers(self, symbols: Sequence[str] | None = None) -> list[TickerStats]:
        return []

    async def fetch_depth(self, symbol: str, limit: int = 1000) -> DepthSnapshot:
        raise NotImplementedError("not used by scans")

    async def close(self) -> None:
        return None


async def test_live_scans_bring_the_candles_they_read_up_to_date_first(tmp_path: Path, shared_data: Path) -> None:
    frames = {f"{b}/USDT": read_klines(shared_data, b) for b in ("BTC", "ETH")}
    last_open = int(frames["BTC/USDT"].index[-1])
    clock = FrozenClock(last_open + 3_600_000)  # the last kline has just closed
    history = KlineHistory(frames)
    config = msgspec.structs.replace(
        default_config(), strategy=[always(timeframe="1h", universe=UniverseConfig(symbols=list(frames)))]
    )
    with SqliteStore(tmp_path / "live.db", batch_ms=0) as store:
        scanning = build_scan_session(config, store, "binance", clock, history=history, default_symbols=list(frames))
        await scanning.start()
        await scanning.wait_ready()
        try:
            report = await asyncio.to_thread(scanning.scan, "test")
            assert report.errors == ()
            assert sorted(s.symbol for s in report.new_setups) == sorted(frames)
            assert all(s.bar_time == last_open for s in report.new_setups)
            # each strategy's series, and the regime reference (BTC/USDT 4h) every report carries
            assert {(symbol, tf) for symbol, tf, _ in history.requests} == {
                *((s, "1h") for s in frames),
                ("BTC/USDT", "4h"),
            }
            stored = store.read_candles("binance", "BTC/USDT", "1h")
            assert len(stored) >= config.scanner.history_bars and stored[-1].open_time == last_open
            assert stored[-1].close == float(frames["BTC/USDT"]["close"].iloc[-1])
        finally:
            scanning.close()
