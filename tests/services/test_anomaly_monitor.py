"""The live anomaly monitor: a bar time is judged once every watched symbol closed it (or time moved on), on
the bars as they were then; a drop every symbol makes is one market event, a coin's own pump its own; events
are stored and each symbol gets an attention score."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cryptoterm.domain.anomaly import AnomalyEvent, AnomalyParams
from cryptoterm.domain.market import BarClosed, Candle
from cryptoterm.ports.events import StoredEvent
from cryptoterm.services.anomaly_monitor import AnomalyMonitor

STEP = 300_000
SYMBOLS = ["A/USDT", "B/USDT", "C/USDT", "D/USDT", "E/USDT", "F/USDT"]


class Feed:
    def __init__(self) -> None:
        self.symbols = list(SYMBOLS)
        self.series: dict[str, list[Candle]] = {}

    def candles(self, symbol: str, timeframe: str, limit: int) -> list[Candle]:
        return self.series.get(symbol, [])[-limit:]


class Store:
    def __init__(self) -> None:
        self.stored: list[tuple[str, str, AnomalyEvent]] = []

    def record_events(self, exchange: str, timeframe: str, events: Sequence[AnomalyEvent]) -> None:
        self.stored += [(exchange, timeframe, e) for e in events]

    def events(
        self, limit: int = 200, *, since_ms: int | None = None, until_ms: int | None = None
    ) -> list[StoredEvent]:
        return []


def history(seed: int, bars: int = 500) -> list[Candle]:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.002, bars)))
    return [Candle(i * STEP, c, c * 1.001, c * 0.999, c, float(rng.uniform(90, 110))) for i, c in enumerate(close)]


def add_bar(feed: Feed, symbol: str, change: float) -> Candle:
    last = feed.series[symbol][-1]
    close = last.close * (1 + change)
    bar = Candle(last.open_time + STEP, last.close, max(last.close, close), min(last.close, close), close, 100.0)
    feed.series[symbol].append(bar)
    return bar


def test_market_drop_is_one_event_a_pump_is_its_own() -> None:
    feed, store = Feed(), Store()
    feed.series = {s: history(i) for i, s in enumerate(SYMBOLS)}
    monitor = AnomalyMonitor(feed, store, "sim", "5m", AnomalyParams(window=200, min_symbols=4))
    seen: list[list[AnomalyEvent]] = []
    monitor.on_events(seen.append)
    for symbol in SYMBOLS:  # every symbol drops 8 % in the same bar
        bar = add_bar(feed, symbol, -0.08)
        monitor.on_bar_closed(BarClosed(symbol, "5m", bar))
    monitor.wait_idle()
    [[market, *volatility]] = seen
    assert (market.scope, market.kind, market.direction, len(market.members)) == ("market", "return", -1, 6)
    assert all(e.scope == "market" for e in volatility)  # the ranges widened everywhere too: one event each
    for index, symbol in enumerate(SYMBOLS):  # then only B pumps
        bar = add_bar(feed, symbol, 0.10 if symbol == "B/USDT" else 0.0005 * (index - 2))
        monitor.on_bar_closed(BarClosed(symbol, "5m", bar))
    monitor.wait_idle()
    pump = [e for e in seen[-1] if e.kind == "return"]
    assert [(e.scope, e.symbol, e.direction) for e in pump] == [("symbol", "B/USDT", 1)]
    assert [e for _, _, e in store.stored if e.kind == "return"] == [market, *pump]
    scores = monitor.attention()
    assert scores["B/USDT"] > scores["A/USDT"] > 0
    assert monitor.recent()[0] in seen[-1]
    monitor.close()


def test_a_bar_time_waits_for_every_symbol_or_a_later_bar() -> None:
    feed = Feed()
    feed.series = {s: history(i) for i, s in enumerate(SYMBOLS)}
    monitor = AnomalyMonitor(feed, None, "sim", "5m", AnomalyParams(window=200))
    bar = add_bar(feed, "A/USDT", 0.0)
    monitor.on_bar_closed(BarClosed("A/USDT", "5m", bar))
    monitor.on_bar_closed(BarClosed("A/USDT", "1m", bar))  # other timeframes are not judged
    monitor.wait_idle()
    assert monitor.judged == 0
    later = add_bar(feed, "A/USDT", 0.0)
    monitor.on_bar_closed(BarClosed("A/USDT", "5m", later))  # time moved on: the earlier bar is judged now
    monitor.wait_idle()
    assert monitor.judged == 1
    monitor.close()
