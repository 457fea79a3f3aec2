"""SQLite store throughput: candles/s through the batching writer, against sqlite-utils' own upsert, and reads.

Uses the 40 real Binance 1h series from ../shared/data when present (783,962 candles), otherwise the same
number of synthetic candles. Everything goes to a temporary file on the machine's disk.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cryptoterm.adapters.store import SqliteStore, StoreWriter, database_file_size, open_database
from cryptoterm.domain.market import Candle

EX = "binance"
HOUR_MS = 3_600_000
SHARED = Path(os.environ.get("CRYPTOTERM_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
CHUNK = 1_000  # candles per submission in the bulk figure (a REST backfill page)
LIVE_SUBMITS = 50_000  # one-candle submissions in the live figure
LIBRARY_ROWS = 100_000


def _series() -> tuple[dict[str, list[Candle]], str]:
    folder = SHARED / "klines" / "1h"
    files = sorted(folder.glob("*-1h.csv.gz")) if folder.is_dir() else []
    if files:
        out = {}
        for file in files:
            raw = pd.read_csv(file, dtype={"open_time": np.int64})
            symbol = file.name.removesuffix("-1h.csv.gz").removesuffix("USDT") + "/USDT"
            cols = raw[["open_time", "open", "high", "low", "close", "volume"]]
            out[symbol] = [Candle(int(t), o, h, lo, c, v) for t, o, h, lo, c, v in cols.itertuples(index=False)]
        return out, f"{len(out)} real Binance 1h series"
    rng = np.random.default_rng(7)
    out = {}
    for k in range(40):
        close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 19_600)))
        out[f"S{k}/USDT"] = [
            Candle(i * HOUR_MS, float(c), float(c) * 1.01, float(c) * 0.99, float(c), 10.0) for i, c in enumerate(close)
        ]
    return out, "40 synthetic series (shared data not found)"


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f} candles/s"


def run() -> list[tuple[str, str, str]]:
    series, source = _series()
    total = sum(len(v) for v in series.values())
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        path = Path(tmp) / "bench.db"

        # Bulk: backfill-sized submissions, one flush at the end. The queue's bound is lifted so the figure is
        # the writer's own throughput (bounded, live submissions beyond it would be shed, not written).
        writer = StoreWriter(path, batch_ms=250, max_rows=50_000, max_queued_rows=2 * total)
        started = time.perf_counter()
        for symbol, candles in series.items():
            for i in range(0, len(candles), CHUNK):
                writer.submit_candles(EX, symbol, "1h", candles[i : i + CHUNK])
        writer.flush()
        bulk_s = time.perf_counter() - started
        rows.append(("writer bulk insert", _rate(total, bulk_s), f"{total:,} candles, {CHUNK}-candle jobs, {source}"))
        rows.append(("writer transactions (bulk)", f"{writer.batches_written}", "max_rows=50,000"))

        # Same rows again: idempotent upserts that change nothing.
        started = time.perf_counter()
        for symbol, candles in series.items():
            for i in range(0, len(candles), CHUNK):
                writer.submit_candles(EX, symbol, "1h", candles[i : i + CHUNK])
        writer.flush()
        rows.append(("writer re-upsert unchanged", _rate(total, time.perf_counter() - started), "no row changes"))

        # Live: one candle per submission (a bar close per symbol), the producer's cost per call.
        live = [(f"L{i % 200}/USDT", Candle((i // 200) * 60_000, 1.0, 2.0, 0.5, 1.5, 3.0)) for i in range(LIVE_SUBMITS)]
        costs = []
        started = time.perf_counter()
        for symbol, candle in live:
            t0 = time.perf_counter_ns()
            writer.submit_candles(EX, symbol, "1m", (candle,))
            costs.append(time.perf_counter_ns() - t0)
        writer.flush()
        live_s = time.perf_counter() - started
        rows.append(("writer live 1-candle jobs", _rate(LIVE_SUBMITS, live_s), f"{LIVE_SUBMITS:,} submissions"))
        rows.append(
            (
                "submit_candles cost",
                f"{statistics.median(costs) / 1000:.1f} µs median",
                f"p99 {np.percentile(costs, 99) / 1000:.1f} µs (producer side, never waits for disk)",
            )
        )
        writer.close()
        size = database_file_size(path)
        rows.append(("file size per candle", f"{size / (total + LIVE_SUBMITS):.0f} B", f"{size / 2**20:.1f} MiB"))

        # sqlite-utils upsert_all on the same rows, one transaction, for the fast path's ratio.
        first = next(iter(series))
        sample = [c for candles in series.values() for c in candles][:LIBRARY_ROWS]
        records = [{"exchange": EX, "symbol": first, "timeframe": "1h", **c._asdict()} for c in sample]
        for record in records:
            del record["closed"]
        lib_path = Path(tmp) / "lib.db"
        lib = open_database(lib_path)
        started = time.perf_counter()
        with lib.atomic():
            lib.table("candles").upsert_all(
                records, pk=("exchange", "symbol", "timeframe", "open_time"), batch_size=1000
            )
        lib_s = time.perf_counter() - started
        lib.close()
        fast_path = Path(tmp) / "fast.db"
        fast = StoreWriter(fast_path, batch_ms=0)
        started = time.perf_counter()
        fast.write_candles(EX, first, "1h", sample)
        fast_s = time.perf_counter() - started
        fast.close()
        rows.append(
            (
                "upsert vs sqlite-utils upsert_all",
                f"{lib_s / fast_s:.1f}x faster",
                f"{_rate(len(sample), fast_s)} vs {_rate(len(sample), lib_s)}, one transaction each",
            )
        )

        # Reads, through the store's reader pool.
        with SqliteStore(path) as store:
            symbol = first
            n = len(series[symbol])
            timings = []
            for _ in range(5):
                started = time.perf_counter()
                frame = store.read_candles_frame(EX, symbol, "1h")
                timings.append(time.perf_counter() - started)
            best = min(timings)
            rows.append(
                ("read_candles_frame", f"{best * 1000:.1f} ms", f"{len(frame):,} rows ({n / best:,.0f} rows/s)")
            )
            started = time.perf_counter()
            recent = store.read_candles(EX, symbol, "1h", limit=500)
            rows.append(
                ("read_candles newest 500", f"{(time.perf_counter() - started) * 1000:.2f} ms", f"{len(recent)} rows")
            )
            started = time.perf_counter()
            symbols = store.symbols_with_candles(EX, "1h")
            rows.append(
                (
                    "symbols_with_candles",
                    f"{(time.perf_counter() - started) * 1000:.2f} ms",
                    f"{len(symbols)} symbols over {total:,} candles (index hops, no scan)",
                )
            )
            started = time.perf_counter()
            counts = store.table_counts()
            rows.append(
                ("table_counts", f"{(time.perf_counter() - started) * 1000:.1f} ms", f"{counts['candles']:,} candles")
            )
    return rows


if __name__ == "__main__":
    for figure, value, note in run():
        print(f"{figure:36} {value:>24}  {note}")
