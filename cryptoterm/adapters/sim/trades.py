"""One simulated minute turned into individual trades for every symbol, vectorised.

The model gives each symbol's minute: its log-return, diffusive sigma, volume and trade count. Trades fall
at uniform random times; prices follow a Brownian path with that sigma, bent into a bridge so that the
minute's last trade lands exactly on the model's close (so live bars continue the history's process); the
volume is split over the trades with lognormal weights (many small trades, a few large ones); a trade is a
buy more often on an uptick, as aggressive buyers lift the offer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cryptoterm.adapters.sim.bars import Bars
from cryptoterm.domain.timeframes import MINUTE_MS

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class MinuteTrades:
    """Every trade of one minute, sorted by time; `bar` is each symbol's 1m bar built from them."""

    start_ms: int
    ts: IntArray
    sym: IntArray
    price: FloatArray
    qty: FloatArray
    buy: BoolArray
    trade_id: IntArray
    bar: Bars  # arrays of shape (symbols, 1)


def minute_trades(
    start_ms: int,
    start_log_price: FloatArray,
    log_return: FloatArray,
    sigma: FloatArray,
    volume: FloatArray,
    counts: IntArray,
    first_trade_id: IntArray,
    ticks: FloatArray,
    lots: FloatArray,
    rng: np.random.Generator,
) -> MinuteTrades:
    """Trades of every symbol for the minute starting at `start_ms` (counts must be >= 1 per symbol)."""
    n_sym = counts.shape[0]
    total = int(counts.sum())
    sym = np.repeat(np.arange(n_sym, dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    last = starts + counts - 1
    # Sorted uniform times within each symbol: sort (symbol + u) once, for all symbols.
    u = np.sort(sym + rng.random(total)) - sym
    prev_u = np.r_[0.0, u[:-1]]
    prev_u[starts] = 0.0
    dt = np.maximum(u - prev_u, 1e-9)
    sig = sigma[sym]
    steps = np.sqrt(dt) * sig * rng.standard_normal(total)
    walk = np.cumsum(steps)
    walk -= np.repeat(walk[starts] - steps[starts], counts)
    end_gap = walk[last] - log_return
    bridge = walk - (u / u[last][sym]) * end_gap[sym]
    tick = ticks[sym]
    price = np.round(np.rint(np.exp(start_log_price[sym] + bridge) / tick) * tick, 10)

    prev_bridge = np.r_[0.0, bridge[:-1]]
    prev_bridge[starts] = 0.0
    push = np.tanh((bridge - prev_bridge) / (sig * np.sqrt(dt) + 1e-12))
    buy = rng.random(total) < 0.5 + 0.35 * push

    weight = np.exp(rng.standard_normal(total))
    share = weight / np.add.reduceat(weight, starts)[sym]
    lot = lots[sym]
    qty = np.round(np.maximum(np.rint(volume[sym] * share / lot), 1.0) * lot, 10)
    trade_id = first_trade_id[sym] + (np.arange(total, dtype=np.int64) - starts[sym])

    ts = start_ms + np.minimum((u * MINUTE_MS).astype(np.int64), MINUTE_MS - 1)
    bar = Bars(
        np.array([start_ms], dtype=np.int64),
        price[starts][:, None],
        np.maximum.reduceat(price, starts)[:, None],
        np.minimum.reduceat(price, starts)[:, None],
        price[last][:, None],
        np.add.reduceat(qty, starts)[:, None],
        np.add.reduceat(qty * price, starts)[:, None],
        counts.astype(np.int64)[:, None],
    )
    order = np.argsort(ts, kind="stable")
    return MinuteTrades(start_ms, ts[order], sym[order], price[order], qty[order], buy[order], trade_id[order], bar)
