"""Chart history reaches the feed on the event loop's thread: at start and when a symbol is added while trades
arrive (the feed's series and tickers belong to the loop; a worker thread writing them broke their iteration)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import msgspec
import pytest

from cryptoterm.config import default_config
from cryptoterm.wiring import build_engine
from cryptoterm.wiring.options import RunOptions
from tests.waiting import eventually


async def test_chart_history_is_handed_to_the_feed_on_the_loop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = default_config()
    demo = msgspec.structs.replace(config.demo, symbols=6, history_days=2, speed=60.0)
    engine = build_engine(
        msgspec.structs.replace(config, demo=demo), RunOptions(mode="demo", db_path=str(tmp_path / "d.db"))
    )
    loop_thread = threading.get_ident()
    writers: list[tuple[str, int]] = []
    feed = engine.feed
    add_history, seed_forming = feed.add_history, feed.seed_forming

    def recorded_add(symbol: str, timeframe: str, candles: object) -> None:
        writers.append((symbol, threading.get_ident()))
        add_history(symbol, timeframe, candles)  # type: ignore[arg-type]

    def recorded_seed(symbol: str, timeframe: str, closed: object, forming: object) -> None:
        writers.append((symbol, threading.get_ident()))
        seed_forming(symbol, timeframe, closed, forming)  # type: ignore[arg-type]

    monkeypatch.setattr(feed, "add_history", recorded_add)
    monkeypatch.setattr(feed, "seed_forming", recorded_seed)
    await engine.start()
    watched = list(feed.symbols)
    removed = watched[-1]
    await engine.remove_symbol(removed)
    task = asyncio.create_task(feed.run())
    try:
        await eventually(lambda: feed.stats().trades_total > 50, "simulated trades")
        writers.clear()
        await engine.add_symbol(removed)
        assert removed in feed.symbols and len(feed.candles(removed, "1h", 100)) > 24
    finally:
        feed.stop()
        await engine.close()
        task.cancel()
    assert {symbol for symbol, _ in writers} == {removed}
    assert {thread for _, thread in writers} == {loop_thread}
