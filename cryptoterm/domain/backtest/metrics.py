"""What a backtest's trades and equity curve say: returns, risk, trade statistics, breakdowns, and how bad the
drawdown could have been in another order of the same trades.

Conventions, stated once: returns are per bar of the equity curve; annualised figures use a 24/7 year
(crypto markets do not close), √(bars per year) for Sharpe and Sortino, risk-free rate 0; Sortino's downside
deviation is the root mean square of the negative bar returns over all bars; a drawdown is the fall from the
running peak as a positive fraction (0.25 = a quarter below the peak); profit factor is gross profit over
gross loss (∞ with no losing trade); expectancy is the mean net profit of a trade, in quote and, for trades
with a stop, in R. Open trades count in the equity curve but not in the trade statistics.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from cryptoterm.domain.backtest.plans import REASONS
from cryptoterm.domain.backtest.rules import YEAR_MS
from cryptoterm.domain.backtest.trades import PortfolioResult
from cryptoterm.domain.indicators import FloatArray


@dataclass(frozen=True, slots=True)
class Breakdown:
    """Trades grouped by one key (an exit reason, a symbol)."""

    key: str
    trades: int
    wins: int
    pnl: float

    @property
    def win_rate(self) -> float:
        return self.wins / self.trades if self.trades else float("nan")


@dataclass(frozen=True, slots=True)
class Metrics:
    """The numbers of a backtest (module docstring for the conventions)."""

    initial_equity: float
    final_equity: float
    total_return: float
    cagr: float
    sharpe: float
    sortino: float
    calmar: float
    #: The deepest fall from a running peak (a positive fraction).
    max_drawdown: float
    #: Longest time under a previous equity peak, in milliseconds.
    max_drawdown_duration_ms: int
    trade_count: int
    open_trades: int
    win_rate: float
    profit_factor: float
    expectancy: float
    expectancy_r: float
    avg_win: float
    avg_loss: float
    best_trade_pct: float
    worst_trade_pct: float
    exposure: float
    fees: float
    by_reason: tuple[Breakdown, ...]
    by_symbol: tuple[Breakdown, ...]
    #: The 5 / 50 / 95 % percentiles of the maximum drawdown over shuffled trade orders (p95: the bad case).
    drawdown_p5: float
    drawdown_p50: float
    drawdown_p95: float

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, tuple):
                value = [{"key": b.key, "trades": b.trades, "wins": b.wins, "pnl": b.pnl} for b in value]
            out[name] = value
        return out


def drawdowns(equity: FloatArray, peak: FloatArray | None = None) -> FloatArray:
    """Drawdown at each point as a fraction of the running peak (0 at a new high, negative below it)."""
    top = np.maximum.accumulate(equity) if peak is None else peak
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.where(top > 0, equity / top - 1.0, 0.0)
    return out


def _longest_underwater(times: np.ndarray, equity: FloatArray, peak: FloatArray) -> int:
    """Longest time from a peak to the last bar still below it (ms): from the gaps between new highs."""
    if equity.size == 0:
        return 0
    highs = np.flatnonzero(equity >= peak)
    if highs.size == 0 or highs[0] != 0:
        highs = np.r_[0, highs]
    stamps = np.asarray(times, dtype=np.int64)
    # Below the peak from a high until the bar before the next high (or the last bar).
    ends = np.r_[highs[1:] - 1, equity.size - 1]
    return int(np.max(stamps[ends] - stamps[highs]))


def compute_metrics(result: PortfolioResult, *, step_ms: int, bootstrap_runs: int = 1_000, seed: int = 7) -> Metrics:
    """Every metric of `result`; `step_ms` is the bar length (for annualising)."""
    equity = result.equity
    initial = result.initial_equity
    final = float(equity[-1]) if equity.size else initial
    curve = np.r_[initial, equity]
    returns = np.diff(curve) / curve[:-1]
    span_ms = (int(result.times[-1]) - int(result.times[0]) + step_ms) if result.times.size else 0
    years = span_ms / YEAR_MS
    total = final / initial - 1.0
    cagr = (final / initial) ** (1.0 / years) - 1.0 if years > 0 and final > 0 else float("nan")
    per_year = math.sqrt(YEAR_MS / step_ms)
    sd = float(np.std(returns)) if returns.size > 1 else 0.0
    sharpe = float(np.mean(returns)) / sd * per_year if sd > 0 else float("nan")
    downside = float(np.sqrt(np.mean(np.minimum(returns, 0.0) ** 2))) if returns.size else 0.0
    sortino = float(np.mean(returns)) / downside * per_year if downside > 0 else float("nan")
    peak = np.maximum.accumulate(curve)
    # A running peak that starts at a positive initial equity needs no guard against dividing by zero.
    max_dd = float(1.0 - np.min(curve / peak)) if initial > 0 else float(-drawdowns(curve, peak).min())
    calmar = cagr / max_dd if max_dd > 0 and math.isfinite(cagr) else float("nan")
    table = result.table
    closed = ~table.open
    pnls = table.pnl[closed]
    wins = pnls[pnls > 0]
    losses = pnls[pnls < 0]
    rs = table.r_multiple[closed]
    rs = rs[np.isfinite(rs)]
    returns_pct = table.return_pct[closed]
    gross_loss = float(-losses.sum())
    p5, p50, p95 = bootstrap_drawdowns(pnls, initial, runs=bootstrap_runs, seed=seed)
    return Metrics(
        initial_equity=initial,
        final_equity=final,
        total_return=total,
        cagr=cagr,
        sharpe=sharpe,
        sortino=sortino,
        calmar=calmar,
        max_drawdown=max_dd,
        max_drawdown_duration_ms=_longest_underwater(result.times, equity, peak[1:]),
        trade_count=int(pnls.size),
        open_trades=int(table.open.sum()),
        win_rate=float(wins.size / pnls.size) if pnls.size else float("nan"),
        profit_factor=float(wins.sum() / gross_loss) if gross_loss > 0 else (math.inf if wins.size else float("nan")),
        expectancy=float(pnls.mean()) if pnls.size else float("nan"),
        expectancy_r=float(np.mean(rs)) if rs.size else float("nan"),
        avg_win=float(wins.mean()) if wins.size else float("nan"),
        avg_loss=float(losses.mean()) if losses.size else float("nan"),
        best_trade_pct=float(returns_pct.max()) if returns_pct.size else float("nan"),
        worst_trade_pct=float(returns_pct.min()) if returns_pct.size else float("nan"),
        exposure=float(result.exposed.mean()) if result.exposed.size else 0.0,
        fees=float(table.fees.sum()),
        by_reason=breakdown(table.reason[closed], pnls, REASONS),
        by_symbol=breakdown(table.symbol[closed], pnls, table.symbols),
        drawdown_p5=p5,
        drawdown_p50=p50,
        drawdown_p95=p95,
    )


def breakdown(codes: np.ndarray, pnls: FloatArray, names: Sequence[str]) -> tuple[Breakdown, ...]:
    """Trades grouped by a code (an index into `names`), in name order."""
    if pnls.size == 0:
        return ()
    found = np.unique(codes)
    groups = [
        Breakdown(str(names[int(c)]), int((codes == c).sum()), int(((codes == c) & (pnls > 0)).sum()),
                  float(pnls[codes == c].sum()))
        for c in found
    ]  # fmt: skip
    return tuple(sorted(groups, key=lambda b: b.key))


def bootstrap_drawdowns(
    pnls: Iterable[float] | FloatArray, initial: float, *, runs: int = 1_000, seed: int = 7
) -> tuple[float, float, float]:
    """5 / 50 / 95 % percentiles of the maximum drawdown (positive fractions) over `runs` random orders of the
    same trade profits: how lucky the order was. Seeded, so a backtest reports the same figures twice."""
    values = np.asarray(list(pnls) if not isinstance(pnls, np.ndarray) else pnls, dtype=np.float64)
    if values.size == 0 or runs < 1:
        return (0.0, 0.0, 0.0)
    rng = np.random.default_rng(seed)
    order = np.argsort(rng.random((runs, values.size)), axis=1)
    paths = initial + np.cumsum(values[order], axis=1)
    paths = np.concatenate([np.full((runs, 1), initial), paths], axis=1)
    peaks = np.maximum.accumulate(paths, axis=1)
    worst = -np.min(np.where(peaks > 0, paths / peaks - 1.0, -1.0), axis=1)
    p5, p50, p95 = np.percentile(worst, [5, 50, 95])
    return (float(p5), float(p50), float(p95))
