"""Small in-memory stores for services tests where a real SQLite file is not the point.

They implement the ports (`ports.candles.CandleStore`, `ports.setups.SetupRepository`) with plain dicts, and
follow the same contracts as the SQLite store: half-open ranges, `limit` keeps the newest, no second open setup
per strategy + symbol + direction, occupancy as the store reports it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import replace

import pandas as pd

from cryptoterm.domain.market import Candle, SymbolInfo, Trade
from cryptoterm.domain.setup_walk import Occupancy
from cryptoterm.domain.setups import OPEN_STATES, Setup, Transition
from cryptoterm.ports.setups import ScanRunRow, SetupEvent

FRAME_COLUMNS = ["open", "high", "low", "close", "volume", "quote_volume", "trades"]


class MemoryCandles:
    """A `CandleStore` in a dict: (exchange, symbol, timeframe) → open_time → candle."""

    def __init__(self) -> None:
        self.series: dict[tuple[str, str, str], dict[int, Candle]] = {}
        self.reads = 0

    def write_candles(self, exchange: str, symbol: str, timeframe: str, candles: Sequence[Candle]) -> int:
        rows = self.series.setdefault((exchange, symbol, timeframe), {})
        changed = 0
        for candle in candles:
            if candle.closed and rows.get(candle.open_time) != candle:
                rows[candle.open_time] = candle
                changed += 1
        return changed

    def submit_candles(self, exchange: str, symbol: str, timeframe: str, candles: Sequence[Candle]) -> None:
        self.write_candles(exchange, symbol, timeframe, candles)

    def submit_trades(self, exchange: str, trades: Sequence[Trade]) -> None:
        return None

    def write_symbols(self, exchange: str, markets: Sequence[SymbolInfo], updated_ms: int) -> int:
        return len(markets)

    def flush(self, timeout: float | None = None) -> None:
        return None

    def close(self) -> None:
        return None

    def read_candles(
        self,
        exchange: str,
        symbol: str,
        timeframe: str,
        since_ms: int | None = None,
        until_ms: int | None = None,
        limit: int | None = None,
    ) -> list[Candle]:
        self.reads += 1
        rows = self.series.get((exchange, symbol, timeframe), {})
        chosen = [
            rows[t] for t in sorted(rows) if (since_ms is None or t >= since_ms) and (until_ms is None or t < until_ms)
        ]
        return chosen[-limit:] if limit is not None and limit > 0 else [] if limit == 0 else chosen

    def read_candles_frame(
        self,
        exchange: str,
        symbol: str,
        timeframe: str,
        since_ms: int | None = None,
        until_ms: int | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        candles = self.read_candles(exchange, symbol, timeframe, since_ms, until_ms, limit)
        data = {name: [float(getattr(c, name)) for c in candles] for name in FRAME_COLUMNS}
        frame = pd.DataFrame(data, index=pd.Index([c.open_time for c in candles], dtype="int64", name="open_time"))
        frame["trades"] = frame["trades"].astype("int64")
        return frame

    def candle_bounds(self, exchange: str, symbol: str, timeframe: str) -> tuple[int, int] | None:
        rows = self.series.get((exchange, symbol, timeframe))
        return (min(rows), max(rows)) if rows else None

    def symbols_with_candles(self, exchange: str, timeframe: str) -> list[str]:
        return sorted(s for (e, s, tf), rows in self.series.items() if e == exchange and tf == timeframe and rows)


class MemorySetups:
    """A `SetupRepository` in lists."""

    def __init__(self) -> None:
        self.setups: dict[int, Setup] = {}
        self.events: list[SetupEvent] = []
        self.runs: dict[int, ScanRunRow] = {}
        self.strategies: dict[str, str] = {}
        self._ids = itertools.count(1)

    def insert_setup(self, setup: Setup, *, scan_run_id: int | None = None) -> Setup | None:
        if any(s.is_open and s.key == setup.key for s in self.setups.values()):
            return None
        saved = replace(setup, id=next(self._ids))
        self.setups[saved.id or 0] = saved
        self.events.append(SetupEvent(saved.id or 0, setup.created_ms, None, setup.state, setup.entry, "setup created"))
        return saved

    def save_transitions(self, setup: Setup, transitions: Sequence[Transition]) -> None:
        assert setup.id is not None
        self.setups[setup.id] = setup
        self.events.extend(SetupEvent(setup.id, t.ts, t.from_state, t.to_state, t.price, t.note) for t in transitions)

    def open_setups(self, *, symbol: str | None = None, timeframe: str | None = None) -> list[Setup]:
        return [
            s
            for s in self.setups.values()
            if s.state in OPEN_STATES and symbol in (None, s.symbol) and timeframe in (None, s.timeframe)
        ]

    def occupancy(self, strategy: str, symbol: str, direction: str, since_ms: int) -> list[Occupancy]:
        out: list[Occupancy] = []
        for s in sorted(self.setups.values(), key=lambda s: s.bar_time):
            if s.key != (strategy, symbol, direction):
                continue
            if s.is_open:
                out.append((s.bar_time, None))
            elif (s.last_bar or s.bar_time) >= since_ms:
                out.append((s.bar_time, s.last_bar or s.bar_time))
        return out

    def recent_setups(self, limit: int = 100, states: Iterable[str] | None = None) -> list[Setup]:
        wanted = set(states) if states is not None else None
        chosen = [s for s in self.setups.values() if wanted is None or s.state in wanted]
        return sorted(chosen, key=lambda s: s.id or 0, reverse=True)[:limit]

    def get_setup(self, setup_id: int) -> Setup | None:
        return self.setups.get(setup_id)

    def setup_events(self, setup_id: int) -> list[SetupEvent]:
        return [e for e in self.events if e.setup_id == setup_id]

    def start_scan_run(self, started_ms: int, origin: str) -> int:
        run_id = len(self.runs) + 1
        self.runs[run_id] = ScanRunRow(run_id, started_ms, None, None, origin, 0, 0, 0, 0, [])
        return run_id

    def finish_scan_run(
        self,
        run_id: int,
        *,
        finished_ms: int,
        duration_ms: int,
        strategies: int,
        symbols: int,
        hits: int,
        new_setups: int,
        errors: Sequence[dict[str, str]],
        notes: Sequence[str] = (),
    ) -> None:
        old = self.runs[run_id]
        self.runs[run_id] = ScanRunRow(
            run_id, old.started_ms, finished_ms, duration_ms, old.origin, strategies, symbols, hits, new_setups,
            list(errors), list(notes),
        )  # fmt: skip

    def scan_runs(self, limit: int = 50) -> list[ScanRunRow]:
        return sorted(self.runs.values(), key=lambda r: r.id, reverse=True)[:limit]

    def save_strategy(self, *, name: str, source: str, toml: str, digest: str, enabled: bool, updated_ms: int) -> None:
        self.strategies[name] = toml
