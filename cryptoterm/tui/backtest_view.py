"""What the backtest screens show of a run, a sweep and stored runs, computed before anything is drawn (pure).

A run's numbers are read from its metrics as a mapping (`Metrics.as_dict()` for a run just made, the stored
JSON for a run from the archive), so the stats panel and the comparison of stored runs format the same figures
the same way. The heat map is a slice of the sweep's grid through its best point: two chosen params vary, the
others stay at the best point's values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import combinations

import numpy as np

from cryptoterm.config.schema import StrategyConfig
from cryptoterm.domain.backtest.metrics import drawdowns
from cryptoterm.domain.backtest.rules import BacktestRules
from cryptoterm.domain.backtest.trades import Trade
from cryptoterm.domain.indicators import FloatArray
from cryptoterm.domain.strategy.frames import IntArray
from cryptoterm.ports.backtests import BacktestRecord
from cryptoterm.services.sweeps import SweepPoint
from cryptoterm.tui.formatting import DASH

#: (metric key, label, how it is written): every figure of the stats panel and the comparison, in order.
METRIC_ROWS: tuple[tuple[str, str, str], ...] = (
    ("initial_equity", "initial equity", "money"),
    ("final_equity", "final equity", "money"),
    ("total_return", "total return", "pct"),
    ("cagr", "CAGR", "pct"),
    ("sharpe", "Sharpe", "num"),
    ("sortino", "Sortino", "num"),
    ("calmar", "Calmar", "num"),
    ("max_drawdown", "max drawdown", "pct"),
    ("max_drawdown_duration_ms", "drawdown length", "days"),
    ("drawdown_p5", "drawdown p5", "pct"),
    ("drawdown_p50", "drawdown p50", "pct"),
    ("drawdown_p95", "drawdown p95", "pct"),
    ("trade_count", "trades", "count"),
    ("open_trades", "open at end", "count"),
    ("win_rate", "win rate", "pct"),
    ("profit_factor", "profit factor", "num"),
    ("expectancy", "expectancy", "money"),
    ("expectancy_r", "expectancy R", "num"),
    ("avg_win", "avg win", "money"),
    ("avg_loss", "avg loss", "money"),
    ("best_trade_pct", "best trade", "points"),
    ("worst_trade_pct", "worst trade", "points"),
    ("exposure", "exposure", "pct"),
    ("fees", "fees", "money"),
)
#: Metrics where a lower value is the better one (the heat map's colours and the sweep table's order flip).
LOWER_IS_BETTER = frozenset({"max_drawdown"})
DAY_MS = 86_400_000


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)


def format_metric(value: object, kind: str) -> str:
    """One figure as the panels write it: `12.34 %`, `1.52`, `10,523.45`, `41.2 d`, `∞`; a dash when unknown."""
    number = _number(value)
    if math.isinf(number) and kind == "num":
        return "∞"
    if not math.isfinite(number):
        return DASH
    if kind == "pct":
        return f"{number * 100:.2f} %"
    if kind == "points":
        return f"{number:.2f} %"
    if kind == "money":
        return f"{number:,.2f}"
    if kind == "days":
        return f"{number / DAY_MS:.1f} d"
    if kind == "count":
        return f"{number:,.0f}"
    return f"{number:.2f}"


def metric_kind(key: str) -> str:
    return next((kind for k, _, kind in METRIC_ROWS if k == key), "num")


def metric_label(key: str) -> str:
    return next((label for k, label, _ in METRIC_ROWS if k == key), key.replace("_", " "))


def stats_rows(metrics: Mapping[str, object]) -> list[tuple[str, str]]:
    """(label, value) for every metric of `metrics`, in `METRIC_ROWS` order."""
    return [(label, format_metric(metrics.get(key), kind)) for key, label, kind in METRIC_ROWS if key in metrics]


def breakdown_rows(metrics: Mapping[str, object], key: str) -> list[tuple[str, str, str, str]]:
    """(key, trades, win rate, pnl) of a breakdown (`by_reason`, `by_symbol`) of `metrics`."""
    rows = []
    for item in metrics.get(key) or []:  # type: ignore[attr-defined]
        if not isinstance(item, Mapping):
            continue
        trades = int(_number(item.get("trades")) or 0)
        wins = _number(item.get("wins"))
        rate = format_metric(wins / trades if trades else math.nan, "pct")
        rows.append((str(item.get("key", "?")), f"{trades:,}", rate, format_metric(item.get("pnl"), "money")))
    return rows


def day(ms: int | None) -> str:
    """`2023-06-30` (UTC); `…` for an open end."""
    if ms is None:
        return "…"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d")


def minute(ms: int) -> str:
    """`2023-06-30 23:00` (UTC)."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True, slots=True)
class RunView:
    """One finished backtest as the screen shows it."""

    strategy: StrategyConfig
    symbols: tuple[str, ...]
    rules: BacktestRules
    since_ms: int | None
    until_ms: int | None
    metrics: Mapping[str, object]
    times: IntArray
    equity: FloatArray
    #: Fall from the running peak (the initial equity counts as the first peak) at each bar, ≤ 0.
    drawdown: FloatArray
    trades: tuple[Trade, ...]
    #: The planned stop of each trade (NaN without one), aligned with `trades`.
    stops: tuple[float, ...]
    skipped: int
    errors: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    backtest_id: int | None = None

    @staticmethod
    def drawdown_of(equity: FloatArray, initial: float) -> FloatArray:
        peak = np.maximum.accumulate(np.r_[initial, equity])[1:]
        return drawdowns(equity, peak)

    def title(self) -> str:
        """What ran: strategy, symbols, timeframe, the bars it traded (first → last), fill and sizing."""
        shown = ", ".join(self.symbols[:3]) + (f" +{len(self.symbols) - 3}" if len(self.symbols) > 3 else "")
        first = int(self.times[0]) if len(self.times) else self.since_ms
        last = int(self.times[-1]) if len(self.times) else self.until_ms
        return (
            f"{self.strategy.name} · {shown} · {self.strategy.timeframe} · {day(first)} → {day(last)} · "
            f"{self.rules.fill} / {self.rules.sizing}"
        )


@dataclass(frozen=True, slots=True)
class SweepView:
    """A finished sweep: every point best first by `rank`, and the swept values of each param."""

    strategy: StrategyConfig
    symbols: tuple[str, ...]
    rules: BacktestRules
    since_ms: int | None
    until_ms: int | None
    spec: Mapping[str, Sequence[float]]
    rank: str
    #: Every point, best first.
    points: tuple[SweepPoint, ...]
    errors: tuple[str, ...] = ()
    backtest_id: int | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.spec)

    def axes(self) -> list[tuple[str, str | None]]:
        """The heat map's (columns, rows) param pairs, in the order `v` steps through them."""
        if len(self.names) < 2:
            return [(self.names[0], None)] if self.names else []
        return [(x, y) for y, x in combinations(self.names, 2)]


@dataclass(frozen=True, slots=True)
class HeatGrid:
    """The rank metric over two params (`values[row][column]`, NaN where the grid has no such point)."""

    rank: str
    x_name: str
    y_name: str | None
    xs: tuple[float, ...]
    #: Empty when only one param was swept (then `values` has one row).
    ys: tuple[float, ...]
    values: tuple[tuple[float, ...], ...]
    #: The other params, held at the best point's values.
    fixed: Mapping[str, float]


def heat_grid(sweep: SweepView, x_name: str, y_name: str | None) -> HeatGrid:
    """The slice of `sweep` through its best point over `x_name` (columns) and `y_name` (rows)."""
    points = [p for p in sweep.points if p.metrics is not None]
    best: Mapping[str, float] = points[0].params if points else {}
    fixed = {k: v for k, v in best.items() if k not in (x_name, y_name)}
    xs = tuple(sweep.spec[x_name])
    ys = tuple(sweep.spec[y_name]) if y_name is not None else ()
    found: dict[tuple[float, float | None], float] = {}
    for point in points:
        params = point.params
        if any(params.get(k) != v for k, v in fixed.items()):
            continue
        key = (params[x_name], params[y_name] if y_name is not None else None)
        found[key] = _number(getattr(point.metrics, sweep.rank))
    rows: Sequence[float | None] = ys if y_name is not None else (None,)
    values = tuple(tuple(found.get((x, y), math.nan) for x in xs) for y in rows)
    return HeatGrid(sweep.rank, x_name, y_name, xs, ys, values, fixed)


def shade(grid: HeatGrid) -> list[list[float]]:
    """Each cell's place between the worst (0) and the best (1) finite value of the grid; NaN stays NaN."""
    finite = [v for row in grid.values for v in row if math.isfinite(v)]
    low, high = (min(finite), max(finite)) if finite else (0.0, 0.0)
    span = high - low
    flip = grid.rank in LOWER_IS_BETTER
    out = []
    for row in grid.values:
        line = []
        for value in row:
            if not math.isfinite(value):
                line.append(math.nan)
                continue
            place = (value - low) / span if span > 0 else 1.0
            line.append(1.0 - place if flip else place)
        out.append(line)
    return out


def flat_metrics(record: BacktestRecord) -> Mapping[str, object]:
    """The headline metrics of a stored run: a single run's own, a walk-forward's out-of-sample ones, a sweep's
    best point's."""
    metrics = record.metrics
    if record.kind == "walk_forward":
        inner = metrics.get("out_of_sample")
        return inner if isinstance(inner, Mapping) else {}
    if record.kind == "sweep":
        points = metrics.get("points")
        if isinstance(points, list) and points and isinstance(points[0], Mapping):
            best = points[0].get("metrics")
            return best if isinstance(best, Mapping) else {}
        return {}
    return metrics


def run_label(record: BacktestRecord) -> str:
    """`#3 sma-cross` (and the kind, when not a single run)."""
    kind = "" if record.kind == "single" else f" ({record.kind.replace('_', '-')})"
    return f"#{record.id} {record.strategy}{kind}"


def compare_rows(
    records: Sequence[BacktestRecord], spans: Sequence[tuple[int, int] | None] = ()
) -> list[tuple[str, list[str]]]:
    """(label, one value per run) for the comparison: what ran, then every metric any of the runs has. `spans`
    (first and last equity point of each run, when known) fill in a range stored open-ended."""
    flats = [flat_metrics(r) for r in records]
    known = list(spans) + [None] * (len(records) - len(spans))

    def span(record: BacktestRecord, stored: tuple[int, int] | None) -> str:
        first = record.since_ms if record.since_ms is not None or stored is None else stored[0]
        last = record.until_ms if record.until_ms is not None or stored is None else stored[1]
        return f"{day(first)} → {day(last)}"

    rows: list[tuple[str, list[str]]] = [
        ("kind", [r.kind.replace("_", "-") for r in records]),
        ("timeframe", [r.timeframe for r in records]),
        ("symbols", [", ".join(r.symbols[:2]) + (f" +{len(r.symbols) - 2}" if len(r.symbols) > 2 else "")
                     for r in records]),
        ("range", [span(r, s) for r, s in zip(records, known, strict=True)]),
    ]  # fmt: skip
    for key, label, kind in METRIC_ROWS:
        if any(key in flat for flat in flats):
            rows.append((label, [format_metric(flat.get(key), kind) for flat in flats]))
    return rows
