"""The runtime as the TUI and headless commands build it: errors before anything starts, demo and replay end to end."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import msgspec
import pytest

from cryptoterm.config import AppConfig, default_config
from cryptoterm.services.market_snapshot import MarketSnapshot
from cryptoterm.wiring import StartupError, build_engine
from cryptoterm.wiring.options import RunOptions
from tests.waiting import GUARD_S, eventually


def _config(**demo: object) -> AppConfig:
    config = default_config()
    return msgspec.structs.replace(config, demo=msgspec.structs.replace(config.demo, **demo))


def test_unwritable_database_is_a_one_line_setup_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(StartupError) as err:
        build_engine(default_config(), RunOptions(mode="demo", db_path=str(blocker / "db.sqlite")))
    assert str(blocker) in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_replay_file_is_a_setup_error(tmp_path: Path) -> None:
    with pytest.raises(StartupError, match="replay file not found"):
        build_engine(default_config(), RunOptions(mode="replay", replay_path=str(tmp_path / "nope.jsonl.gz")))


async def test_demo_runtime_streams_prices_and_has_chart_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The demo starts five minutes into an hour: in an hour's first minute no minute has closed yet, so there is no
    # forming 1h bar to seed, and a test started at the wall clock's time would see that once an hour of market time.
    monkeypatch.setattr("cryptoterm.wiring.markets.wall_ms", lambda: 1_796_176_800_000 + 5 * 60_000)
    published: list[MarketSnapshot] = []
    config = _config(symbols=6, history_days=3, speed=60.0)
    runtime = build_engine(config, RunOptions(mode="demo", db_path=str(tmp_path / "d.db")), published.append)
    await runtime.start()
    feed = runtime.feed
    assert len(feed.symbols) == 6
    hourly = feed.candles(feed.symbols[0], "1h", 100)
    assert len(hourly) >= 60 and hourly[-1].closed is False
    first_price = feed.snapshot().tickers[0].last
    task = asyncio.create_task(feed.run())
    try:
        await eventually(lambda: published and published[-1].stats.trades_total > 50, "fifty simulated trades")
    finally:
        feed.stop()
        await runtime.close()
        task.cancel()
    latest = published[-1]
    assert latest.stats.mode == "demo" and latest.stats.trades_total > 50
    assert latest.tickers[0].last > 0
    assert abs(latest.tickers[0].last / first_price - 1) < 0.05


async def test_replay_of_real_recording_drives_the_feed(tmp_path: Path, shared_data: Path) -> None:
    recording = shared_data / "ws" / "hftbacktest_binance-spot_btcusdt_2024-08-08.jsonl.gz"
    published: list[MarketSnapshot] = []
    options = RunOptions(mode="replay", replay_path=str(recording), replay_speed=0, db_path=str(tmp_path / "r.db"))
    runtime = build_engine(default_config(), options, published.append)
    await runtime.start()
    try:
        await asyncio.wait_for(runtime.feed.run(), timeout=GUARD_S)  # a hang guard, not a deadline
    finally:
        await runtime.close()
    snapshot = published[-1]
    assert runtime.feed.symbols == ["BTC/USDT"]
    assert snapshot.stats.trades_total == 9_757  # every trade in the file (SOURCES.md)
    btc = snapshot.tickers[0]
    assert 50_000 < btc.last < 70_000 and btc.bid < btc.ask
    book = runtime.feed.books.get("BTC/USDT")
    assert book is not None and book.best_bid() is not None
    minutes = runtime.feed.candles("BTC/USDT", "1m", 100)
    assert 5 <= len(minutes) <= 8  # 23:54:15 → 23:59:59 spans six minute buckets


async def test_demo_symbols_can_be_removed_and_added_back_with_history(tmp_path: Path) -> None:
    config = _config(symbols=4, history_days=2, speed=0.0)
    runtime = build_engine(config, RunOptions(mode="demo", db_path=str(tmp_path / "w.db")))
    await runtime.start()
    try:
        symbol = runtime.feed.symbols[-1]
        await runtime.remove_symbol(symbol)
        assert symbol not in runtime.feed.symbols
        await runtime.add_symbol(symbol.lower())
        assert runtime.feed.symbols[-1] == symbol
        assert len(runtime.feed.candles(symbol, "1h", 100)) >= 40
        with pytest.raises(ValueError, match=r"BTC/USDX: not listed on sim \(did you mean BTC/USDT\?\)"):
            await runtime.add_symbol("BTC/USDX")
    finally:
        await runtime.close()


async def test_replay_of_futures_recording_keeps_the_book_in_sync(tmp_path: Path, shared_data: Path) -> None:
    """USDⓈ-M diffs chain by `pu`, not consecutive ids: the feed's book must follow the futures rules."""
    recording = shared_data / "ws" / "hftbacktest_binance-usdm_btcusdt_2024-08-08.jsonl.gz"
    options = RunOptions(mode="replay", replay_path=str(recording), replay_speed=0, db_path=str(tmp_path / "u.db"))
    runtime = build_engine(default_config(), options)
    await runtime.start()
    try:
        await asyncio.wait_for(runtime.feed.run(), timeout=GUARD_S)  # a hang guard, not a deadline
    finally:
        await runtime.close()
    book = runtime.feed.books.get("BTC/USDT")
    assert book is not None, "the futures book never synced"
    bid, ask = book.best_bid(), book.best_ask()
    assert bid is not None and ask is not None and bid[0] < ask[0]
    assert book.gaps == 0


async def test_a_refused_subscription_is_one_redacted_line_and_the_watchlist_is_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(symbols=4, history_days=2, speed=0.0)
    runtime = build_engine(config, RunOptions(mode="demo", db_path=str(tmp_path / "w.db")))
    await runtime.start()
    try:
        symbol = runtime.feed.symbols[-1]
        await runtime.remove_symbol(symbol)
        before = list(runtime.feed.symbols)

        async def refuse(_symbol: str) -> None:
            raise RuntimeError("binance 400\nGET /stream?listenKey=abc123SECRET&signature=feedbeef failed")

        monkeypatch.setattr(runtime.feed, "watch", refuse)
        with pytest.raises(ValueError) as refused:
            await runtime.add_symbol(symbol)
        message = str(refused.value)
        assert message.startswith(f"{symbol}: the exchange refused to stream it (binance 400 GET")
        assert "\n" not in message
        assert "abc123SECRET" not in message and "feedbeef" not in message
        assert runtime.feed.symbols == before
    finally:
        await runtime.close()


async def test_a_replay_judges_its_data_quality_without_storing_it(tmp_path: Path, shared_data: Path) -> None:
    recording = shared_data / "ws" / "hftbacktest_binance-spot_btcusdt_2024-08-08.jsonl.gz"
    db = tmp_path / "r.db"
    options = RunOptions(mode="replay", replay_path=str(recording), replay_speed=0, db_path=str(db))
    runtime = build_engine(default_config(), options)
    await runtime.start()
    try:
        await asyncio.wait_for(runtime.feed.run(), timeout=GUARD_S)  # a hang guard, not a deadline
        assert runtime.quality is not None  # quality-score alert rules read its reports
        reports = await asyncio.to_thread(runtime.quality.check)
    finally:
        await runtime.close()
    assert ("BTC/USDT", "1m") in {(r.symbol, r.timeframe) for r in reports}
    assert 0 <= runtime.quality.latest["BTC/USDT", "1m"].score <= 100
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT count(*) FROM quality_metrics").fetchone() == (0,)  # the recording's, not stored
    finally:
        conn.close()
