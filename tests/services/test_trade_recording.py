"""`[store].record_trades`: the live feed hands every trade to the store writer, which records them in batches
into the `trades` table; off by default."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import msgspec
import pytest

from cryptoterm.adapters.store import SqliteStore
from cryptoterm.config import default_config
from cryptoterm.domain.market import MarketEvent, Trade
from cryptoterm.services.market_feed import MarketFeed
from cryptoterm.wiring import build_engine
from cryptoterm.wiring.options import RunOptions
from tests.services.test_market_feed import T0, FakeStream
from tests.waiting import eventually


def _trade_rows(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM trades").fetchone()[0])


@pytest.mark.parametrize("record", [True, False])
async def test_the_feed_records_every_trade_when_asked(tmp_path: Path, record: bool) -> None:
    batches: list[list[MarketEvent]] = [
        [Trade("BTC/USDT", T0 + i * 10 + j, 60_000.0 + j, 0.1, "buy", 1000 + i * 10 + j) for j in range(10)]
        for i in range(30)
    ]
    path = tmp_path / "r.db"
    with SqliteStore(path) as store:
        feed = MarketFeed(
            FakeStream(batches), exchange="binance", mode="live", symbols=["BTC/USDT"], clock=lambda: T0,
            sink=store, record_trades=record,
        )  # fmt: skip
        await feed.run()
        store.flush()
    assert _trade_rows(path) == (300 if record else 0)


async def test_a_demo_engine_with_record_trades_fills_the_trades_table(tmp_path: Path) -> None:
    config = default_config()
    config = msgspec.structs.replace(
        config,
        demo=msgspec.structs.replace(config.demo, symbols=3, history_days=2, speed=60.0),
        store=msgspec.structs.replace(config.store, record_trades=True, batch_ms=10),
    )
    path = tmp_path / "d.db"
    engine = build_engine(config, RunOptions(mode="demo", db_path=str(path)))
    await engine.start()
    task = asyncio.create_task(engine.feed.run())
    try:
        await eventually(lambda: engine.feed.stats().trades_total > 50, "fifty simulated trades")
        engine.store.flush()
        await eventually(lambda: _trade_rows(path) > 0, "trades recorded in the store")
    finally:
        engine.feed.stop()
        await engine.close()
        task.cancel()
