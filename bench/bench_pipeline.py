"""The whole live path, end to end: recorded Binance messages → feed → store, and tick → screen.

* Pipeline throughput: the real BTCUSDT recordings (~190k messages: trades, book tickers, diff depth) replayed
  at speed 0 through `ReplayStream` (gzip read + decode), the `MarketFeed` (bars for six timeframes, tickers,
  order books) and the batching SQLite writer (closed bars), until the store has flushed. Messages per second
  of wall time and of process CPU time.
* Tick-to-screen latency: the TUI running headless (`App.run_test`) on a stream that emits 2,000 trades a
  second in small batches, each trade stamped with the wall time it was produced; latency is measured from that
  stamp to the end of the first screen refresh that shows the snapshot containing it (`call_after_refresh`).
  With the UI capped at 10 repaints a second, half the cap's period (50 ms) is the expected median wait.

Nothing is asserted; `run()` returns rows for `make bench`.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import msgspec

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("CRYPTOTERM_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))
RECORDINGS = (
    "hftbacktest_binance-spot_btcusdt_2024-08-08.jsonl.gz",
    "hftbacktest_binance-spot_btcusdt_2024-08-09.jsonl.gz",
    "hftbacktest_binance-usdm_btcusdt_2024-08-08.jsonl.gz",
)
Row = tuple[str, str, str]


async def _pipeline(db: Path) -> tuple[int, float, float]:
    from cryptoterm.adapters.replay import ReplayStream
    from cryptoterm.adapters.store import SqliteStore
    from cryptoterm.services.market_feed import MarketFeed

    store = SqliteStore(db, batch_ms=250)
    messages = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for name in RECORDINGS:
        stream = ReplayStream(SHARED_DATA / "ws" / name, speed=0)
        feed = MarketFeed(stream, exchange=name.split("_")[1], mode="replay", symbols=[], clock=lambda: 0, sink=store)
        feed.discover_symbols = True
        await feed.run()
        messages += feed.stats().messages_total
    await store.writer.flush_async()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    store.close()
    return messages, wall, cpu


class _StampedStream:
    """2,000 trades/s over 20 symbols in 5 ms batches, each trade's `ts` = its wall-clock birth in ms."""

    name = "bench"

    def __init__(self, rate: float, seconds: float) -> None:
        self.rate, self.seconds = rate, seconds
        self.symbols = [f"S{i:02d}/USDT" for i in range(20)]
        #: Birth time (ms) of every batch, to find when each trade first reached the screen.
        self.stamps: list[int] = []

    async def batches(self) -> AsyncIterator[Sequence[object]]:
        from cryptoterm.domain.market import Trade

        step = 0.005
        per_batch = max(1, round(self.rate * step))
        start = time.perf_counter()
        n = 0
        while time.perf_counter() - start < self.seconds:
            now_ms = time.time_ns() // 1_000_000
            self.stamps.append(now_ms)
            yield [
                Trade(self.symbols[(n + i) % 20], now_ms, 100.0 + ((n + i) % 7) * 0.01, 1.0, "buy", n + i)
                for i in range(per_batch)
            ]
            n += per_batch
            next_at = start + (n / per_batch) * step
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

    async def subscribe(self, symbols: Sequence[str]) -> None:
        return None

    async def unsubscribe(self, symbols: Sequence[str]) -> None:
        return None

    def health(self) -> list[object]:
        return []

    async def close(self) -> None:
        return None


async def _latency(rate: float, seconds: float) -> list[float]:
    from cryptoterm.config import default_config
    from cryptoterm.services.market_feed import MarketFeed
    from cryptoterm.tui.app import CryptotermApp
    from cryptoterm.tui.messages import MarketUpdated
    from cryptoterm.wiring.options import RunOptions

    stream = _StampedStream(rate, seconds)
    frames: list[tuple[float, int]] = []  # (refresh done, newest trade stamp shown)

    class _Runtime:
        mode, exchange = "live", "bench"
        scanning = None
        store = None
        alerts = anomalies = views = broker = journal = None

        def __init__(self, publish: object) -> None:
            self.feed = MarketFeed(
                stream,  # type: ignore[arg-type]
                exchange="bench",
                mode="live",
                symbols=stream.symbols,
                clock=lambda: time.time_ns() // 1_000_000,
                publish=publish,  # type: ignore[arg-type]
                max_fps=10.0,
            )

        async def start(self) -> None:
            return None

        async def close(self) -> None:
            self.feed.stop()

    import cryptoterm.tui.app as app_module

    class _MeasuredApp(CryptotermApp):
        CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))

        def on_market_updated(self, message: MarketUpdated) -> None:
            super().on_market_updated(message)
            stamp = message.snapshot.stats.last_message_ms
            if stamp:
                self.call_after_refresh(lambda: frames.append((time.time_ns() / 1e6, stamp)))

    config = default_config()
    config = msgspec.structs.replace(
        config, watchlist=msgspec.structs.replace(config.watchlist, symbols=stream.symbols)
    )
    app = _MeasuredApp(config, RunOptions(mode="live"), build_engine=lambda c, o, p: _Runtime(p))  # type: ignore[arg-type,return-value]
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(seconds + 1.0)
    # Each batch's latency: from its birth to the end of the first refresh whose snapshot already included it.
    latencies: list[float] = []
    frame_index = 0
    for stamp in stream.stamps[200:]:  # skip the first second (start-up)
        while frame_index < len(frames) and frames[frame_index][1] < stamp:
            frame_index += 1
        if frame_index == len(frames):
            break
        latencies.append(frames[frame_index][0] - stamp)
    return latencies


async def _first_moving_price() -> tuple[float, float]:
    """(first frame, first traded price on screen) in seconds from constructing the demo app, default config,
    real simulated market and store; imports of the app module are already done (see the tui bench for those)."""
    from cryptoterm.config import default_config
    from cryptoterm.tui.app import CryptotermApp
    from cryptoterm.wiring.options import RunOptions

    with tempfile.TemporaryDirectory(prefix="cryptoterm-bench-start-") as tmp:
        started = time.perf_counter()
        app = CryptotermApp(default_config(), RunOptions(mode="demo", db_path=str(Path(tmp) / "d.db")))
        async with app.run_test(size=(120, 40)) as pilot:
            first_frame = time.perf_counter() - started
            for _ in range(400):
                snapshot = app.session.snapshot
                if snapshot is not None and snapshot.stats.trades_total > 0:
                    break
                await pilot.pause(0.01)
            await pilot.pause()  # the frame that shows it
            moving = time.perf_counter() - started
    return first_frame, moving


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) >= 2 else float("nan")


def run() -> list[Row]:
    rows: list[Row] = []
    if (SHARED_DATA / "ws" / RECORDINGS[0]).is_file():
        with tempfile.TemporaryDirectory(prefix="cryptoterm-bench-pipeline-") as tmp:
            messages, wall, cpu = asyncio.run(_pipeline(Path(tmp) / "p.db"))
        rows.append(
            (
                "replay → feed → store, msgs/s (wall)",
                f"{messages / wall:,.0f}",
                f"{messages:,} real BTCUSDT messages incl. gzip read; target ≥ 150k",
            )
        )
        rows.append(
            ("replay → feed → store, msgs/s (CPU)", f"{messages / cpu:,.0f}", f"{cpu / messages * 1e6:.2f} µs/msg")
        )
    else:
        rows.append(("replay → feed → store", "skipped", f"no recordings at {SHARED_DATA / 'ws'}"))
    first_frame, moving = asyncio.run(_first_moving_price())
    rows.append(
        (
            "demo: app start → first trade on screen",
            f"{moving:.2f} s",
            f"first frame at {first_frame:.2f} s; 60 days × 20 symbols generated in between; target ≤ 2 s",
        )
    )
    latencies = asyncio.run(_latency(2000.0, 8.0))
    rows.append(
        (
            "tick → screen p50 at 2,000 trades/s",
            f"{_pct(latencies, 50):.0f} ms",
            "every batch: birth → first refresh showing it; TUI headless 120×40, 10 Hz cap",
        )
    )
    rows.append(
        (
            "tick → screen p99 at 2,000 trades/s",
            f"{_pct(latencies, 99):.0f} ms",
            f"target < 150 ms; {len(latencies):,} batches of 10 trades",
        )
    )
    return rows


if __name__ == "__main__":
    for figure, value, note in run():
        print(f"{figure:45} {value:>12}  {note}")
