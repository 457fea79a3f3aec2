"""Market anomaly events live: every closed bar of `[anomaly].timeframe` of every watched symbol, judged against
its trailing robust baseline, grouped across symbols so a market-wide move is one market event.

A bar time is judged once every watched symbol has closed it (bars of every symbol close together on the
feed's heartbeat), or once a later bar shows time has moved on. The bars are copied on the event loop at that
moment (no later bar can leak in) and measured in a worker thread. Events are stored (`events`), kept for the
dashboard's feed and logged; each symbol's attention score (its largest recent robust z, fading bar by bar)
feeds the watchlist's attention column.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import numpy as np

from cryptoterm.domain.anomaly import METRICS, AnomalyEvent, AnomalyParams, attention, events_at, history_needed
from cryptoterm.domain.anomaly.detector import Metric, measure
from cryptoterm.domain.market import BarClosed, Candle
from cryptoterm.domain.timeframes import timeframe_ms
from cryptoterm.ports.events import EventStore

log = logging.getLogger(__name__)

EventsListener = Callable[[list[AnomalyEvent]], None]
#: Bars of history an attention score looks back over.
ATTENTION_BARS = 12


class WatchedBars(Protocol):
    symbols: list[str]

    def candles(self, symbol: str, timeframe: str, limit: int) -> list[Candle]: ...


class AnomalyMonitor:
    """See the module docstring. `on_bar_closed` is the feed's listener (event loop)."""

    def __init__(
        self,
        feed: WatchedBars,
        store: EventStore | None,
        exchange: str,
        timeframe: str,
        params: AnomalyParams,
        *,
        keep: int = 200,
    ) -> None:
        self._feed = feed
        self._store = store
        self.exchange = exchange
        self.timeframe = timeframe
        self.params = params
        self._step = timeframe_ms(timeframe)
        self._pending: dict[int, set[str]] = {}
        self._lock = threading.Lock()
        self._recent: deque[AnomalyEvent] = deque(maxlen=keep)
        self._attention: dict[str, float] = {}
        self._listeners: list[EventsListener] = []
        self._work = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cryptoterm-anomalies")
        self._closed = False
        self.judged = 0

    def on_events(self, listener: EventsListener) -> None:
        """Called (from the worker thread) with the events of each judged bar that had any."""
        self._listeners.append(listener)

    def recent(self) -> list[AnomalyEvent]:
        """The newest events first."""
        with self._lock:
            return list(reversed(self._recent))

    def attention(self) -> dict[str, float]:
        """Each watched symbol's attention score (0 when calm or not judged yet)."""
        with self._lock:
            return dict(self._attention)

    def on_bar_closed(self, event: BarClosed) -> None:
        if self._closed or event.timeframe != self.timeframe:
            return
        ts = event.candle.open_time
        self._pending.setdefault(ts, set()).add(event.symbol)
        watched = set(self._feed.symbols)
        for pending_ts in sorted(self._pending):
            done = self._pending[pending_ts] >= watched or pending_ts < ts
            if done:
                del self._pending[pending_ts]
                self._judge(pending_ts)

    def _judge(self, ts: int) -> None:
        need = history_needed(self.params.window) + ATTENTION_BARS
        bars = {
            symbol: [c for c in self._feed.candles(symbol, self.timeframe, need + 1) if c.closed and c.open_time <= ts]
            for symbol in list(self._feed.symbols)
        }
        self._work.submit(self._measure, ts, bars)

    def _measure(self, ts: int, bars: dict[str, list[Candle]]) -> None:
        try:
            readings: dict[str, tuple[dict[Metric, float], dict[Metric, float]]] = {}
            scores: dict[str, float] = {}
            for symbol, candles in bars.items():
                if not candles or candles[-1].open_time != ts:
                    continue
                m = measure(
                    symbol,
                    np.array([c.open_time for c in candles], dtype=np.int64),
                    np.array([c.high for c in candles], dtype=np.float64),
                    np.array([c.low for c in candles], dtype=np.float64),
                    np.array([c.close for c in candles], dtype=np.float64),
                    np.array([c.volume for c in candles], dtype=np.float64),
                    self.params.window,
                )
                readings[symbol] = (
                    {k: float(m.z[k][-1]) for k in METRICS},
                    {k: float(m.values[k][-1]) for k in METRICS},
                )
                scores[symbol] = attention(m.z, bars=ATTENTION_BARS)
            events = events_at(ts, readings, self.params)
        except Exception:
            log.exception("judging the %s bars at %d for anomalies failed", self.timeframe, ts)
            return
        self.judged += 1
        with self._lock:
            self._attention.update(scores)
            self._recent.extend(events)
        if not events:
            return
        if self._store is not None:
            try:
                self._store.record_events(self.exchange, self.timeframe, events)
            except Exception:
                log.exception("storing market events failed")
        for event in events:
            log.info("anomaly (%s %s): %s", event.severity, self.timeframe, event.describe())
        for listener in self._listeners:
            try:
                listener(events)
            except Exception:
                log.exception("market events listener failed")

    def wait_idle(self, timeout: float | None = None) -> None:
        """Block until the bars judged so far are measured (tests, shutdown)."""
        self._work.submit(lambda: None).result(timeout)

    def close(self) -> None:
        self._closed = True
        self._work.shutdown(wait=True)
