"""Market anomaly events: a bar whose return, volume or realized volatility is far outside its symbol's own
recent baseline — and the difference between one symbol's event and the whole market's.

Each closed bar is measured three ways, each as a robust z-score against the bars before it (`robust`, no
lookahead): the **return** (log close-to-close, either direction), the **volume** (log volume, surges only) and
the **volatility** (log of the bar's high/low range, Parkinson's estimator of realized volatility; surges only).
A z beyond `warn_z` is an event ("warning"), beyond `critical_z` a "critical" one.

A move most of the market makes is one market event, not forty symbol events: when at least `market_share` of
the symbols that have the bar (and at least `min_symbols` of them) moved the same way by `MARKET_MOVE_Z` robust
sigmas or more, the symbols whose move was an event become members of one market event (its z is their median).
The same test tells the data-quality check a market move from a bad tick (`shared_moves`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from cryptoterm.domain.anomaly.robust import trailing_zscores

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Metric = Literal["return", "volume", "volatility"]
Severity = Literal["warning", "critical"]
Scope = Literal["symbol", "market"]

METRICS: Final[tuple[Metric, ...]] = ("return", "volume", "volatility")
#: A symbol "moves with the market" in a bar when its z for the metric is at least this far the same way.
MARKET_MOVE_Z: Final = 3.0


@dataclass(frozen=True, slots=True)
class AnomalyParams:
    """Baseline length and thresholds (`[anomaly]` in the config)."""

    window: int = 200
    warn_z: float = 5.0
    critical_z: float = 10.0
    market_share: float = 0.5
    min_symbols: int = 5

    def __post_init__(self) -> None:
        if self.window < 20:
            raise ValueError(f"window must be at least 20 bars, got {self.window}")
        if not 0 < self.warn_z <= self.critical_z:
            raise ValueError(f"need 0 < warn_z <= critical_z, got {self.warn_z} and {self.critical_z}")
        if not 0 < self.market_share <= 1:
            raise ValueError(f"market_share must be in (0, 1], got {self.market_share}")


@dataclass(frozen=True, slots=True)
class SymbolMetrics:
    """One symbol's bars measured: open times, the raw values and their robust z per metric."""

    symbol: str
    times: IntArray
    values: Mapping[Metric, FloatArray]
    z: Mapping[Metric, FloatArray]


@dataclass(frozen=True, slots=True)
class AnomalyEvent:
    """A bar (`ts`, its open time) far outside its baseline: one symbol's, or the market's (its `members`)."""

    ts: int
    scope: Scope
    symbol: str
    kind: Metric
    severity: Severity
    zscore: float
    value: float
    members: tuple[str, ...] = ()

    @property
    def direction(self) -> int:
        return 1 if self.zscore > 0 else -1

    def describe(self) -> str:
        """One line for the feed: `market return −6.10 % (31 symbols, z −14.2)` / `SOL/USDT volume 8.3× its median
        (z +9.1)`."""
        who = f"market ({len(self.members)} symbols)" if self.scope == "market" else self.symbol
        if self.kind == "return":
            what = f"return {self.value * 100:+.2f} %"
        elif self.kind == "volume":
            what = f"volume {self.value:.3g}× its median"
        else:
            what = f"range {self.value * 100:.2f} %"
        return f"{who} {what} (z {self.zscore:+.1f})"


def measure(
    symbol: str,
    times: IntArray,
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    volume: FloatArray,
    window: int,
) -> SymbolMetrics:
    """Every bar of one symbol measured against its trailing baseline (bars in time order)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log_close = np.where(close > 0, np.log(close), np.nan)
        returns = np.concatenate([[np.nan], np.diff(log_close)])
        log_volume = np.where(volume > 0, np.log(volume), np.nan)
        spread = np.where((high > 0) & (low > 0) & (high > low), np.log(high / low), np.nan)
        log_range = np.log(spread)
    median_volume = _trailing_median(volume, window)
    values: dict[Metric, FloatArray] = {
        "return": returns,
        "volume": np.divide(volume, median_volume, out=np.full(volume.shape, np.nan), where=median_volume > 0),
        "volatility": spread,
    }
    z: dict[Metric, FloatArray] = {
        "return": trailing_zscores(returns, window),
        "volume": trailing_zscores(log_volume, window),
        "volatility": trailing_zscores(log_range, window),
    }
    return SymbolMetrics(symbol, np.asarray(times, dtype=np.int64), values, z)


def _trailing_median(values: FloatArray, window: int) -> FloatArray:
    import pandas as pd

    past = pd.Series(np.asarray(values, dtype=np.float64)).shift(1)
    return past.rolling(window, min_periods=max(10, window // 4)).median().to_numpy(dtype=np.float64)


def _severity(z: float, params: AnomalyParams) -> Severity:
    return "critical" if abs(z) >= params.critical_z else "warning"


def events_at(
    ts: int,
    readings: Mapping[str, tuple[Mapping[Metric, float], Mapping[Metric, float]]],
    params: AnomalyParams,
) -> list[AnomalyEvent]:
    """The events of one bar time across symbols: `readings[symbol] = (z per metric, value per metric)` for
    every symbol that has the bar (those without it do not count towards the market's share)."""
    symbols = sorted(readings)
    z = {k: np.array([readings[s][0][k] for s in symbols], dtype=np.float64) for k in METRICS}
    values = {k: np.array([readings[s][1][k] for s in symbols], dtype=np.float64) for k in METRICS}
    return _events_of_row(ts, symbols, z, values, params)


def _events_of_row(
    ts: int,
    symbols: Sequence[str],
    z: Mapping[Metric, FloatArray],
    values: Mapping[Metric, FloatArray],
    params: AnomalyParams,
) -> list[AnomalyEvent]:
    """`events_at` over one row of aligned arrays (NaN z: the symbol has no bar, or no baseline yet)."""
    found: list[AnomalyEvent] = []
    for kind in METRICS:
        zk = z[kind]
        known = np.isfinite(zk)
        present = int(np.count_nonzero(np.isfinite(values["return"]) | known))
        for direction in (1, -1) if kind == "return" else (1,):
            with np.errstate(invalid="ignore"):
                signed = direction * zk
                flagged = known & (signed >= params.warn_z)
                moved = known & (signed >= MARKET_MOVE_Z)
            if not flagged.any():
                continue
            movers = int(np.count_nonzero(moved))
            if movers >= params.min_symbols and movers >= params.market_share * present:
                z_med = float(np.median(zk[flagged]))
                value = float(np.nanmedian(values[kind][moved]))
                members = tuple(symbols[int(i)] for i in np.flatnonzero(moved))
                found.append(AnomalyEvent(ts, "market", "", kind, _severity(z_med, params), z_med, value, members))
                continue
            for i in np.flatnonzero(flagged):
                zi = float(zk[i])
                found.append(
                    AnomalyEvent(ts, "symbol", symbols[int(i)], kind, _severity(zi, params), zi, float(values[kind][i]))
                )
    return found


def find_anomalies(metrics: Sequence[SymbolMetrics], params: AnomalyParams) -> list[AnomalyEvent]:
    """Every event over the whole history of `metrics` (bars of several symbols, any alignment), oldest first."""
    if not metrics:
        return []
    union = np.unique(np.concatenate([m.times for m in metrics]))
    symbols = [m.symbol for m in metrics]
    z = {k: np.full((union.shape[0], len(metrics)), np.nan) for k in METRICS}
    values = {k: np.full((union.shape[0], len(metrics)), np.nan) for k in METRICS}
    for column, m in enumerate(metrics):
        rows = np.searchsorted(union, m.times)
        for kind in METRICS:
            z[kind][rows, column] = m.z[kind]
            values[kind][rows, column] = m.values[kind]
    with np.errstate(invalid="ignore"):
        hot = (
            (np.abs(z["return"]) >= params.warn_z) | (z["volume"] >= params.warn_z) | (z["volatility"] >= params.warn_z)
        )
    events: list[AnomalyEvent] = []
    for row in np.flatnonzero(hot.any(axis=1)):
        events.extend(
            _events_of_row(
                int(union[row]),
                symbols,
                {k: z[k][row] for k in METRICS},
                {k: values[k][row] for k in METRICS},
                params,
            )
        )
    return events


@dataclass(frozen=True, slots=True)
class SharedMoves:
    """Per bar time, the share of symbols whose return moved up / down by `MARKET_MOVE_Z` robust sigmas or more
    (only bars that at least `min_symbols` symbols have)."""

    times: IntArray
    up: FloatArray
    down: FloatArray

    def share(self, times: IntArray, direction: FloatArray) -> FloatArray:
        """The share of the market moving the way `direction` says (+1 / −1) at each of `times` (0 if unknown)."""
        out = np.zeros(times.shape[0], dtype=np.float64)
        if self.times.shape[0] == 0:
            return out
        pos = np.clip(np.searchsorted(self.times, times), 0, self.times.shape[0] - 1)
        found = self.times[pos] == times
        out[found] = np.where(direction[found] > 0, self.up[pos[found]], self.down[pos[found]])
        return out


def shared_moves(zscores: Mapping[str, tuple[IntArray, FloatArray]], min_symbols: int = 5) -> SharedMoves:
    """`SharedMoves` from each symbol's (open times, return z-scores)."""
    if not zscores:
        empty = np.zeros(0)
        return SharedMoves(np.zeros(0, dtype=np.int64), empty, empty)
    union = np.unique(np.concatenate([t for t, _ in zscores.values()]))
    up = np.zeros(union.shape[0])
    down = np.zeros(union.shape[0])
    present = np.zeros(union.shape[0])
    for times, z in zscores.values():
        pos = np.searchsorted(union, times)
        known = np.isfinite(z)
        present[pos] += 1
        up[pos[known & (z >= MARKET_MOVE_Z)]] += 1
        down[pos[known & (z <= -MARKET_MOVE_Z)]] += 1
    enough = present >= min_symbols
    with np.errstate(invalid="ignore", divide="ignore"):
        return SharedMoves(union[enough], (up / present)[enough], (down / present)[enough])


def attention(z: Mapping[Metric, FloatArray], *, bars: int = 12, decay: float = 0.85) -> float:
    """How much a symbol asks to be looked at now: its largest recent |z| (surges only for volume and volatility),
    fading by `decay` a bar over the last `bars` bars; 0 when nothing is known."""
    best = 0.0
    for kind in METRICS:
        recent = np.asarray(z[kind], dtype=np.float64)[-bars:]
        if recent.size == 0:
            continue
        size = np.abs(recent) if kind == "return" else np.maximum(recent, 0.0)
        weights = decay ** np.arange(recent.size - 1, -1, -1, dtype=np.float64)
        scored = np.nan_to_num(size * weights, nan=0.0)
        best = max(best, float(scored.max()))
    return best
