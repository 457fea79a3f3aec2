"""Simulated market: how fast the demo's history appears and how many live events it can produce.

Figures: time to generate 20 symbols x 60 days of 1m history (the `--demo` start-up cost), the vectorised
recurrence against its step-by-step loop, and live events per second at speed 0 (no pacing), without and
with depth streamed for the ten watchlist symbols.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable

import numpy as np

from cryptoterm.adapters.sim import SimulatedMarket
from cryptoterm.adapters.sim.kernels import linear_recurrence, linear_recurrence_loop
from cryptoterm.config.schema import DemoConfig

START = 1_780_002_000_000
WATCHLIST = [
    "BTC/USDT",
    "ETH/USDT",
    "BNB/USDT",
    "SOL/USDT",
    "XRP/USDT",
    "ADA/USDT",
    "DOGE/USDT",
    "AVAX/USDT",
    "LINK/USDT",
    "DOT/USDT",
]


def _best_of(repeats: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def _throughput(market: SimulatedMarket, seconds_simulated: int) -> tuple[float, int]:
    batches = seconds_simulated * 1000 // market.batch_ms
    started = time.perf_counter()
    events = 0
    for _ in range(batches):
        events += len(market.next_batch())
    return events / (time.perf_counter() - started), events


def run() -> list[tuple[str, str, str]]:
    config = DemoConfig(seed=7, speed=0.0, history_days=60, symbols=20)
    SimulatedMarket(config, START)  # warm up imports and page faults
    runs = [_best_of(1, lambda: SimulatedMarket(config, START)) for _ in range(3)]
    market = SimulatedMarket(config, START)
    bars = market.history.close.size
    rows = [
        (
            "history 20 symbols x 60 days (1m)",
            f"{statistics.median(runs) * 1000:.0f} ms",
            f"median of 3; {bars:,} bars incl. alignment to a UTC midnight, ready to serve",
        ),
        ("history bars per second", f"{bars / statistics.median(runs) / 1e6:.1f} M/s", "OHLCV + trades count"),
    ]

    rng = np.random.default_rng(1)
    a = rng.uniform(0.9, 1.0, (21, 86_400))
    b = rng.normal(size=a.shape)
    fast = _best_of(3, lambda: linear_recurrence(a, b, 0.0))
    slow = _best_of(1, lambda: linear_recurrence_loop(a, b, 0.0))
    rows.append(
        (
            "recurrence kernel vs step loop",
            f"{slow / fast:.0f}x faster",
            f"21 x 86,400 (60 days of minutes, 20 symbols + market): {fast * 1000:.0f} ms vs {slow * 1000:.0f} ms",
        )
    )

    rate, events = _throughput(SimulatedMarket(config, START), 300)
    rows.append(("live events/s, speed 0, no depth", f"{rate:,.0f}", f"{events:,} events over 5 simulated minutes"))
    watched = SimulatedMarket(config, START)
    asyncio.run(watched.subscribe(WATCHLIST))
    rate, events = _throughput(watched, 120)
    rows.append(
        (
            "live events/s, speed 0, depth for 10",
            f"{rate:,.0f}",
            f"{events:,} events over 2 simulated minutes; 100-level books diffed every 100 ms",
        )
    )
    return rows


if __name__ == "__main__":
    for row in run():
        print(" | ".join(row))
