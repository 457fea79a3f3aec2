"""The three markets a product can run on, each opened into the same `OpenedMarket` shape for the engine.

* **demo** — the seeded simulated market: weeks of 1m history generated in a thread, sliced into chart series
  (each symbol's recent minutes read once for every forming bar), trades and books from then on;
* **replay** — a recorded websocket session (or a trades CSV) through the live decoder, paced by its clock;
* **live** — the configured exchange: Binance's websockets natively, any other ccxt id through ccxt.pro, REST
  history through ccxt, optionally recording every message (`--record`).

Adapters are constructed here and nowhere else (wiring is the only layer that may); opening is the only work
done, when the engine asks for it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cryptoterm.config.schema import AppConfig
from cryptoterm.domain.forming import fold_forming
from cryptoterm.domain.market import Candle
from cryptoterm.domain.timeframes import TIMEFRAMES, timeframe_ms
from cryptoterm.ports.candles import CandleReader
from cryptoterm.ports.market import MarketStream
from cryptoterm.services.engine import CHART_HISTORY_BARS, OpenedMarket
from cryptoterm.wiring.options import RunOptions

if TYPE_CHECKING:
    from cryptoterm.adapters.sim.market import SimulatedMarket

log = logging.getLogger(__name__)

#: Exchange key under which the simulated market's candles are stored, apart from real exchanges' data.
DEMO_EXCHANGE = "sim"
#: Exchange key of a replay's (unstored) bars.
REPLAY_EXCHANGE = "replay"

ChartSeries = dict[tuple[str, str], tuple[list[Candle], Candle | None]]


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


class StoredCharts:
    """Chart history from the store (live: what earlier runs and the backfill wrote)."""

    def __init__(self, store: CandleReader, exchange: str) -> None:
        self._store = store
        self._exchange = exchange

    def chart_series(self, symbol: str, timeframe: str, bars: int, now_ms: int) -> tuple[list[Candle], None]:
        since = now_ms - bars * timeframe_ms(timeframe)
        return self._store.read_candles(self._exchange, symbol, timeframe, since_ms=since), None


class SimulatedCharts:
    """Chart history of the simulated market: precomputed at open for its symbols, computed for added ones."""

    def __init__(self, sim: SimulatedMarket, precomputed: ChartSeries) -> None:
        self._sim = sim
        self._precomputed = precomputed

    def chart_series(self, symbol: str, timeframe: str, bars: int, now_ms: int) -> tuple[list[Candle], Candle | None]:
        found = self._precomputed.pop((symbol, timeframe), None)
        if found is not None:
            return found
        step = timeframe_ms(timeframe)
        return self._sim.candles(symbol, timeframe, now_ms - bars * step, now_ms), None


def demo_chart_series(sim: SimulatedMarket, symbols: Sequence[str]) -> ChartSeries:
    """Per symbol and timeframe, its chart history and the bar forming now (CPU work: run it in a thread)."""
    now = sim.now_ms()
    series: ChartSeries = {}
    largest = max(timeframe_ms(tf) for tf in TIMEFRAMES)
    for symbol in symbols:
        # The minutes of the largest forming bar, fetched once: every smaller forming bar is a suffix of them.
        recent = sim.candles(symbol, "1m", now - now % largest, now)
        for timeframe in TIMEFRAMES:
            step = timeframe_ms(timeframe)
            closed = sim.candles(symbol, timeframe, now - CHART_HISTORY_BARS * step, now)
            bucket = now - now % step
            minutes = [c for c in recent if c.open_time >= bucket] if step > 60_000 else []
            series[symbol, timeframe] = (closed, fold_forming(bucket, minutes))
    return series


def _build_demo(config: AppConfig, now_ms: int) -> tuple[SimulatedMarket, ChartSeries]:
    from cryptoterm.adapters.sim.market import SimulatedMarket

    sim = SimulatedMarket.from_config(config.demo, now_ms)
    return sim, demo_chart_series(sim, sim.symbols)


async def open_demo(config: AppConfig) -> OpenedMarket:
    """The simulated market, its chart history generated in a thread (seconds of CPU for the default demo)."""
    sim, series = await asyncio.to_thread(_build_demo, config, wall_ms())
    await sim.subscribe(sim.symbols)
    return OpenedMarket(
        stream=sim,
        history=sim,
        charts=SimulatedCharts(sim, series),
        symbols=tuple(sim.symbols),
        clock=sim.now_ms,
        history_is_local=True,
        description=(
            f"demo market: {len(sim.symbols)} symbols, {config.demo.history_days} days of history, "
            f"speed {config.demo.speed}×"
        ),
    )


async def open_replay(options: RunOptions) -> OpenedMarket:
    """A recording, replayed at `--speed`; its symbols join the watchlist as they appear."""
    from cryptoterm.adapters.replay import ReplayStream

    assert options.replay_path is not None
    stream = ReplayStream(options.replay_path, speed=options.replay_speed, hold_at_end=options.hold_replay_end)
    return OpenedMarket(
        stream=stream,
        history=None,
        charts=None,
        symbols=(),
        clock=None,
        description=f"replaying {Path(options.replay_path).name} at {options.replay_speed or 'max'}×",
        discover_symbols=True,
        replay=stream.control,
    )


async def open_live(config: AppConfig, options: RunOptions, store: CandleReader) -> OpenedMarket:
    """The configured exchange: its streams for the watchlist, REST history, the store's chart history."""
    from cryptoterm.adapters.ccxt_futures import CcxtFutures
    from cryptoterm.adapters.ccxt_history import CcxtHistory

    exchange = config.exchange
    usdm = exchange.market == "usdm"
    history = CcxtFutures(exchange) if usdm else CcxtHistory(exchange)
    recorder = None
    if options.record_path:
        from cryptoterm.adapters.recorder import Recorder

        recorder = Recorder(options.record_path, append=True)
    symbols = list(config.watchlist.symbols)
    stream: MarketStream
    if exchange.id == "binance":
        from cryptoterm.adapters.binance.ws_stream import BinanceStream

        stream = BinanceStream(exchange, symbols, fetch_depth=history.fetch_depth, mark_price=usdm, recorder=recorder)
    else:
        from cryptoterm.adapters.ccxt_stream import CcxtStream

        if recorder is not None:
            log.warning("--record captures Binance websocket messages only; %s is not recorded", exchange.id)
        stream = CcxtStream(exchange, symbols)
    return OpenedMarket(
        stream=stream,
        history=history,
        charts=StoredCharts(store, exchange.id),
        symbols=tuple(symbols),
        clock=wall_ms,
        description=f"live market: {exchange.id} {exchange.market}, {len(symbols)} symbols",
        futures=history if isinstance(history, CcxtFutures) else None,
    )
