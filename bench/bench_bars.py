"""Bar builder and ticker statistics throughput on real Binance trades (../shared/data/trades, looped).

`run()` returns (figure, value, note) rows for `make bench`. The trade run is the contiguous spot BTCUSDT
2024-08-08/09 tape (19,904 trades across a UTC midnight), repeated with shifted timestamps so bars keep
closing on every timeframe. Each figure is the best of several repeats on one core, timed in process CPU time
(`time.process_time`) so that other work on a shared machine does not distort it.
"""

from __future__ import annotations

import gc
import math
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from cryptoterm.domain.bars import BarBuilder
from cryptoterm.domain.market import Candle, Trade
from cryptoterm.domain.ticker_stats import TickerBook
from cryptoterm.domain.timeframes import MINUTE_MS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("CRYPTOTERM_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))
TRADE_FILES = ("binance-spot_BTCUSDT_trades_2024-08-08.csv.gz", "binance-spot_BTCUSDT_trades_2024-08-09.csv.gz")
LOOPS = 10
BATCH = 1_000
REPEATS = 3

Row = tuple[str, str, str]


def _load(symbol: str = "BTC/USDT") -> list[Trade]:
    frames = [pd.read_csv(SHARED_DATA / "trades" / name, dtype={"price": str, "qty": str}) for name in TRADE_FILES]
    frame = pd.concat(frames, ignore_index=True)
    return [
        Trade(symbol, int(ts), float(p), float(q), "sell" if m else "buy", int(tid))
        for tid, p, q, ts, m in zip(
            frame["trade_id"],
            frame["price"],
            frame["qty"],
            frame["trade_time_ms"],
            frame["is_buyer_maker"],
            strict=True,
        )
    ]


def _looped(base: Sequence[Trade], loops: int, symbols: Sequence[str]) -> list[Trade]:
    """`loops` copies of the tape, each shifted past the previous one; symbols assigned round-robin."""
    span = base[-1].ts - base[0].ts
    shift = span - span % MINUTE_MS + 2 * MINUTE_MS
    out: list[Trade] = []
    k = 0
    for loop in range(loops):
        offset = loop * shift
        for t in base:
            out.append(Trade(symbols[k % len(symbols)], t.ts + offset, t.price, t.qty, t.side, t.trade_id))
            k += 1
    return out


def _best(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    """Best CPU time of `fn` in seconds, with the collector paused as on a steady hot path."""
    best = math.inf
    for _ in range(repeats):
        gc.collect()
        gc.disable()
        try:
            start = time.process_time()
            fn()
            best = min(best, time.process_time() - start)
        finally:
            gc.enable()
    return best


def _batches(trades: list[Trade], size: int) -> list[list[Trade]]:
    return [trades[i : i + size] for i in range(0, len(trades), size)]


def _feed_batches(batches: list[list[Trade]]) -> int:
    builder = BarBuilder()
    closed = 0
    for batch in batches:
        closed += len(builder.on_trades(batch))
    return closed


def _feed_one_by_one(trades: list[Trade]) -> int:
    builder = BarBuilder()
    on_trade = builder.on_trade
    closed = 0
    for t in trades:
        closed += len(on_trade(t))
    return closed


def _pandas_reference(trades: list[Trade]) -> int:
    """The same six timeframes by pandas resample of the whole tape (offline, not incremental)."""
    frame = pd.DataFrame({"price": [t.price for t in trades], "qty": [t.qty for t in trades]})
    frame.index = pd.DatetimeIndex(pd.to_datetime([t.ts for t in trades], unit="ms", utc=True))
    rows = 0
    for rule in ("1min", "5min", "15min", "1h", "4h", "24h"):
        res = frame.resample(rule, label="left", closed="left", origin="epoch")
        out = pd.DataFrame(
            {
                "open": res["price"].first(),
                "high": res["price"].max(),
                "low": res["price"].min(),
                "close": res["price"].last(),
                "volume": res["qty"].sum(),
            }
        )
        rows += len(out.dropna())
    return rows


def _ticker_figures() -> list[Row]:
    """Cost of one closed bar and one snapshot with a full 24 h window, for 200 symbols."""
    symbols = [f"S{i}/USDT" for i in range(200)]
    book = TickerBook()
    bars_per_symbol = 1440 + 60
    start = time.process_time()
    for minute in range(bars_per_symbol):
        t = minute * MINUTE_MS
        for s in symbols:
            p = 100.0 + (minute * 7 + len(s)) % 13
            book.ticker(s).on_bar(Candle(t, p, p + 1.0, p - 1.0, p + 0.5, 2.0, 2.0 * p, 5))
    per_bar = (time.process_time() - start) / (bars_per_symbol * len(symbols))
    now = (bars_per_symbol - 1) * MINUTE_MS + 30_000  # inside the newest bar's minute: a full window
    snap_time = _best(lambda: book.snapshots(now))
    return [
        ("ticker: closed 1m bar", f"{per_bar * 1e6:.2f} µs", "per bar per symbol, 24 h window full (O(1) amortised)"),
        (
            "ticker: snapshot, 200 symbols",
            f"{snap_time * 1e3:.2f} ms",
            f"{snap_time / len(symbols) * 1e6:.2f} µs per symbol; "
            f"a 10 Hz table needs {snap_time * 10 * 100:.2f}% of a core",
        ),
        ("ticker: window size", f"{book.ticker(symbols[0]).window_bars()} bars", "closed 1m bars held per symbol"),
    ]


def run() -> list[Row]:
    if not (SHARED_DATA / "trades" / TRADE_FILES[0]).is_file():
        return [("bars: trades/s", "skipped", f"real trades not found under {SHARED_DATA}")]
    base = _load()
    one_symbol = _looped(base, LOOPS, ["BTC/USDT"])
    many = _looped(base, LOOPS, [f"S{i}/USDT" for i in range(20)])
    n = len(one_symbol)
    rows: list[Row] = []

    batches = _batches(one_symbol, BATCH)
    closed = _feed_batches(batches)
    t = _best(lambda: _feed_batches(batches))
    rows.append(
        (
            "bars: on_trades, 1 symbol",
            f"{n / t / 1e6:.2f} M trades/s",
            f"{n:,} real trades in batches of {BATCH}, 6 timeframes, {closed} bars closed",
        )
    )
    t = _best(lambda: _feed_one_by_one(one_symbol))
    rows.append(("bars: on_trade, 1 symbol", f"{n / t / 1e6:.2f} M trades/s", "one call per trade"))

    many_batches = _batches(many, BATCH)
    closed_many = _feed_batches(many_batches)
    t = _best(lambda: _feed_batches(many_batches))
    rows.append(
        (
            "bars: on_trades, 20 symbols interleaved",
            f"{n / t / 1e6:.2f} M trades/s",
            f"worst case: the symbol changes on every trade; {closed_many} bars closed",
        )
    )
    t = _best(lambda: _pandas_reference(one_symbol), repeats=1)
    rows.append(
        (
            "bars: pandas resample reference",
            f"{n / t / 1e6:.2f} M trades/s",
            "offline resample of the whole tape to the same 6 timeframes (not incremental; for scale)",
        )
    )
    rows.extend(_ticker_figures())
    return rows


if __name__ == "__main__":
    for figure, value, note in run():
        print(f"{figure:<42} {value:>18}  {note}")
