"""Top gainers, losers and volume surges over 1 h and 24 h, from ticker samples of the whole universe.

The exchange's all-symbols ticker (one request, whatever the number of markets) gives each market's last price
and its rolling 24 h quote volume, but nothing about the last hour. So the universe's tickers are sampled
(`TickerHistory.add`) and the windows are read from the samples:

* **24 h**: the change is the ticker's own (last against the price 24 h ago); the surge compares the rolling 24 h
  quote volume with the one a day earlier, once the samples reach back that far (NaN before).
* **1 h**: the change is the last price against the sample nearest an hour ago (or the oldest sample, with the
  span it covers: the view says "over 12 min"). The volume of the window is estimated from how the rolling 24 h
  volume moved: V(now) − V(then) is the window's volume minus what dropped off the far end of the day; taking what
  dropped off to have traded at the day's average pace, window volume ≈ V(now) − V(then) + V(then) · span / 24 h.
  The surge is that volume against the day's average pace over the same span (1 = an ordinary hour).

Memory is bounded whatever the run time: samples within `FINE_MS` are all kept, older ones one per hour up to
`KEEP_MS`, each as two float arrays over the universe (2,000 markets: about 3 MB). Pure: times are arguments.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from cryptoterm.domain.market import TickerStats

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
#: Every sample of the last 65 minutes is kept (the 1 h window and its reference a few minutes either side).
FINE_MS = 65 * 60_000
#: Older samples, one an hour, for the 24 h surge.
KEEP_MS = DAY_MS + 2 * HOUR_MS
WINDOWS: dict[str, int] = {"1h": HOUR_MS, "24h": DAY_MS}

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class _Sample:
    ts: int
    last: FloatArray
    volume: FloatArray


@dataclass(frozen=True, slots=True)
class Mover:
    """One market over a window: its change, the window's estimated quote volume and that volume's surge."""

    symbol: str
    last: float
    change_pct: float
    quote_volume: float
    surge: float


@dataclass(frozen=True, slots=True)
class MoversBoard:
    """The ranked lists of one window. `span_ms` is the time the samples cover (shorter than the window until
    the app has run that long); `samples` how many samples there are."""

    window: str
    span_ms: int
    samples: int
    gainers: tuple[Mover, ...] = ()
    losers: tuple[Mover, ...] = ()
    surges: tuple[Mover, ...] = ()


@dataclass(slots=True)
class TickerHistory:
    """Samples of every market's last price and 24 h quote volume (see the module docstring)."""

    _columns: dict[str, int] = field(default_factory=dict)
    _samples: list[_Sample] = field(default_factory=list)
    _latest: dict[str, TickerStats] = field(default_factory=dict)

    @property
    def samples(self) -> int:
        return len(self._samples)

    @property
    def latest(self) -> dict[str, TickerStats]:
        """The newest ticker of every market sampled."""
        return self._latest

    def add(self, ts: int, tickers: Iterable[TickerStats]) -> None:
        """Record one sample of the universe at `ts` (epoch ms, the market's clock); older samples are thinned."""
        rows = [t for t in tickers if math.isfinite(t.last) and t.last > 0]
        for ticker in rows:
            if ticker.symbol not in self._columns:
                self._columns[ticker.symbol] = len(self._columns)
            self._latest[ticker.symbol] = ticker
        last = np.full(len(self._columns), np.nan)
        volume = np.full(len(self._columns), np.nan)
        for ticker in rows:
            column = self._columns[ticker.symbol]
            last[column] = ticker.last
            volume[column] = ticker.quote_volume_24h
        if self._samples and ts <= self._samples[-1].ts:
            self._samples.pop()  # a sample at the same time (or a clock that went back) replaces the newest
        self._samples.append(_Sample(ts, last, volume))
        self._thin(ts)

    def clear(self) -> None:
        self._columns.clear()
        self._samples.clear()
        self._latest.clear()

    def _thin(self, now: int) -> None:
        kept: list[_Sample] = []
        hours: set[int] = set()
        for sample in self._samples:
            age = now - sample.ts
            if age > KEEP_MS:
                continue
            if age > FINE_MS:
                hour = sample.ts // HOUR_MS
                if hour in hours:
                    continue
                hours.add(hour)
            kept.append(sample)
        self._samples = kept

    def _at(self, sample: _Sample, column: int) -> tuple[float, float]:
        if column >= len(sample.last):
            return float("nan"), float("nan")
        return float(sample.last[column]), float(sample.volume[column])

    def _reference(self, now: int, window_ms: int) -> _Sample | None:
        """The sample nearest `window_ms` before `now`, never newer than the newest-but-one."""
        if len(self._samples) < 2:
            return None
        target = now - window_ms
        candidates = self._samples[:-1]
        return min(candidates, key=lambda s: abs(s.ts - target))

    def board(
        self, window: str, symbols: Sequence[str] | None = None, *, limit: int = 10, min_quote_volume: float = 0.0
    ) -> MoversBoard:
        """Gainers, losers and surges over `window` ("1h" or "24h") among `symbols` (None: every market)."""
        window_ms = WINDOWS[window]
        if not self._samples:
            return MoversBoard(window, 0, 0)
        newest = self._samples[-1]
        reference = self._reference(newest.ts, window_ms)
        span = newest.ts - reference.ts if reference is not None else 0
        movers: list[Mover] = []
        for symbol in symbols if symbols is not None else list(self._columns):
            column = self._columns.get(symbol)
            ticker = self._latest.get(symbol)
            if column is None or ticker is None:
                continue
            last, volume = self._at(newest, column)
            if not math.isfinite(last) or not (volume >= min_quote_volume):
                continue
            movers.append(self._mover(symbol, ticker, last, volume, column, reference, window, span))
        return MoversBoard(window, span, len(self._samples), *rank(movers, limit))

    def _mover(
        self,
        symbol: str,
        ticker: TickerStats,
        last: float,
        volume: float,
        column: int,
        reference: _Sample | None,
        window: str,
        span: int,
    ) -> Mover:
        if window == "24h":
            then_volume = float("nan")
            if reference is not None and span >= DAY_MS - HOUR_MS:
                then_volume = self._at(reference, column)[1]
            surge = volume / then_volume if then_volume > 0 else float("nan")
            return Mover(symbol, last, ticker.change_pct, volume, surge)
        if reference is None or span <= 0:
            return Mover(symbol, last, float("nan"), float("nan"), float("nan"))
        then_last, then_volume = self._at(reference, column)
        change = (last / then_last - 1.0) * 100.0 if then_last > 0 else float("nan")
        window_volume, surge = window_volume_surge(volume, then_volume, span)
        return Mover(symbol, last, change, window_volume, surge)


def window_volume_surge(volume_now: float, volume_then: float, span_ms: int) -> tuple[float, float]:
    """(estimated quote volume over the last `span_ms`, its ratio to the day's average pace) from two rolling
    24 h volumes `span_ms` apart (see the module docstring); NaN when either is unknown."""
    if not (math.isfinite(volume_now) and math.isfinite(volume_then)) or span_ms <= 0 or volume_now <= 0:
        return float("nan"), float("nan")
    share = span_ms / DAY_MS
    estimated = max(0.0, volume_now - volume_then + volume_then * share)
    return estimated, estimated / (volume_now * share)


def rank(movers: Sequence[Mover], limit: int) -> tuple[tuple[Mover, ...], tuple[Mover, ...], tuple[Mover, ...]]:
    """(gainers, losers, surges): the `limit` largest rises, falls and surges; unknown values are left out, and so
    is a volume at or below its ordinary pace (a surge is more than 1×: a quiet universe lists none)."""
    changed = [m for m in movers if math.isfinite(m.change_pct)]
    gainers = sorted((m for m in changed if m.change_pct > 0), key=lambda m: (-m.change_pct, m.symbol))
    losers = sorted((m for m in changed if m.change_pct < 0), key=lambda m: (m.change_pct, m.symbol))
    surging = sorted(
        (m for m in movers if math.isfinite(m.surge) and m.surge > 1.0), key=lambda m: (-m.surge, m.symbol)
    )
    return tuple(gainers[:limit]), tuple(losers[:limit]), tuple(surging[:limit])
