"""The paper broker inside the engine as wiring builds it: orders fill against the simulated market, and a
restart of the whole engine (its store closed and opened again) keeps the account."""

from __future__ import annotations

import asyncio
from pathlib import Path

import msgspec
import pytest

from cryptoterm.config import AppConfig, default_config
from cryptoterm.domain.trading.orders import OrderRequest
from cryptoterm.wiring import build_engine
from cryptoterm.wiring.options import RunOptions
from tests.waiting import eventually


def _config() -> AppConfig:
    config = default_config()
    return msgspec.structs.replace(
        config, demo=msgspec.structs.replace(config.demo, symbols=3, history_days=2, speed=0.0)
    )


async def test_demo_engine_restart_keeps_positions_orders_and_cash(tmp_path: Path) -> None:
    options = RunOptions(mode="demo", db_path=str(tmp_path / "d.db"))
    runtime = build_engine(_config(), options)
    await runtime.start()
    broker = runtime.broker
    assert broker is not None and broker.mode == "paper"
    feed = runtime.feed
    symbol = feed.symbols[0]
    task = asyncio.create_task(feed.run())
    try:
        await eventually(lambda: feed.stats().trades_total > 100, "simulated trades")
        price = feed.candles(symbol, "1m", 1)[-1].close
        qty = round(400.0 / price, 6)
        bought = await broker.place(OrderRequest("m1", symbol, "buy", "market", qty))
        assert bought.status == "filled"
        resting = await broker.place(OrderRequest("l1", symbol, "buy", "limit", qty, price=round(price * 0.5, 2)))
        await eventually(lambda: broker.view().ts > bought.updated_ms, "the market moved on")
        before = broker.view()
    finally:
        feed.stop()
        await runtime.close()
        task.cancel()
    (position,) = [p for p, _mark in before.positions]

    again = build_engine(_config(), options)
    await again.start()
    try:
        assert again.broker is not None
        after = again.broker.view()
        (restored,) = [p for p, _mark in after.positions]
        assert (restored.symbol, restored.qty, restored.avg_price) == (
            position.symbol,
            position.qty,
            position.avg_price,
        )
        assert after.cash == pytest.approx(before.cash)
        assert [o.id for o in after.orders] == [resting.id]
        assert (await again.broker.order_by_client_id("m1")).status == "filled"  # type: ignore[union-attr]
    finally:
        await again.close()
