"""Backtest of a pair: trade the spread of log y against log x when its z-score leaves a band.

At each bar close t the hedge (beta, alpha) known from the bars before t (never t itself or later) prices the
spread s_t = log y_t − beta·log x_t − alpha; its z-score is measured against the `window` spreads before it.
Flat, z beyond ±`entry_z` opens the spread the other way (z high: short y, long x; z low: long y, short x); in a
position, |z| back inside `exit_z` closes it ("exit"), |z| beyond `stop_z` closes it ("stop"). Every decision
on a close fills at the next bar's open, both legs at once, with fees and slippage on each leg. Sizing is
dollar-neutral: each leg gets `leg_pct` of the equity at entry in notional (long the same dollars as short).

Hedges:
* `ols`: one OLS fit on the first `window` bars (the formation period), trading after it — the hedge a screen
  found, tested on bars it did not see;
* `rolling`: OLS on the `window` bars before each bar;
* `kalman`: the Kalman filter's state after the bar before (`pairs.kalman`, with its default noise).

A position still open at the end is marked at the last closes (no exit fees) and reported open.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from cryptoterm.domain.backtest.plans import REASON_CODE, ExitReason
from cryptoterm.domain.backtest.trades import PortfolioResult, TradeTable
from cryptoterm.domain.indicators import FloatArray
from cryptoterm.domain.strategy.frames import IntArray

Hedge = Literal["ols", "rolling", "kalman"]


@dataclass(frozen=True, slots=True)
class PairRules:
    """Bands, hedge, window and costs of a pairs backtest (module docstring)."""

    entry_z: float = 2.0
    exit_z: float = 0.5
    stop_z: float = 4.0
    hedge: Hedge = "rolling"
    window: int = 500
    initial_equity: float = 10_000.0
    fee_bps: float = 10.0
    slippage_bps: float = 0.0
    leg_pct: float = 50.0

    def __post_init__(self) -> None:
        if not 0 <= self.exit_z < self.entry_z < self.stop_z:
            bands = f"{self.exit_z}, {self.entry_z}, {self.stop_z}"
            raise ValueError(f"bands must satisfy 0 ≤ exit_z < entry_z < stop_z, got {bands}")
        if self.window < 10:
            raise ValueError(f"window must be at least 10 bars, got {self.window}")


@dataclass(frozen=True, slots=True)
class PairBars:
    """The two legs on common bars: open times, opens (fills) and closes (the spread)."""

    open_time: IntArray
    y_open: FloatArray
    y_close: FloatArray
    x_open: FloatArray
    x_close: FloatArray


@dataclass(frozen=True, slots=True)
class PairTrade:
    """One spread trade: both legs, their profits and the combined one."""

    direction: int  # +1 long the spread (long y, short x), -1 short it
    entry_time: int
    exit_time: int
    entry_z: float
    exit_z: float
    y_qty: float
    x_qty: float
    y_entry: float
    y_exit: float
    x_entry: float
    x_exit: float
    y_pnl: float
    x_pnl: float
    fees: float
    pnl: float
    reason: ExitReason  # "exit" | "stop" | "end"
    open: bool


@dataclass(frozen=True, slots=True)
class PairBacktest:
    """The trades, the hedge and z-score used at each bar, and the account (metrics take `account`)."""

    trades: tuple[PairTrade, ...]
    beta: FloatArray
    zscore: FloatArray
    account: PortfolioResult


def hedge_before(log_y: FloatArray, log_x: FloatArray, rules: PairRules) -> tuple[FloatArray, FloatArray]:
    """(beta, alpha) at each bar from the bars before it only (NaN until known)."""
    n = log_y.size
    beta, alpha = np.full(n, np.nan), np.full(n, np.nan)
    w = rules.window
    if n <= w:
        return beta, alpha
    if rules.hedge == "ols":
        fixed_beta, fixed_alpha = _ols(log_y[:w], log_x[:w])
        beta[w:], alpha[w:] = fixed_beta, fixed_alpha
        return beta, alpha
    if rules.hedge == "rolling":
        # Sums over the `w` bars before t, from cumulative sums: O(n).
        def before(values: FloatArray) -> FloatArray:
            c = np.r_[0.0, np.cumsum(values)]
            out: FloatArray = c[w:-1] - c[: n - w]
            return out

        sx, sy = before(log_x), before(log_y)
        sxx, sxy = before(log_x * log_x), before(log_x * log_y)
        var = sxx - sx * sx / w
        with np.errstate(invalid="ignore", divide="ignore"):
            b = (sxy - sx * sy / w) / var
        beta[w:] = b
        alpha[w:] = (sy - b * sx) / w
        return beta, alpha
    from cryptoterm.domain.pairs.kalman import KalmanParams, kalman_hedge

    state = kalman_hedge(log_y[None, :], log_x[None, :], KalmanParams(), keep_path=True)
    beta[1:] = state.beta_path[0, :-1]  # the state after bar t - 1 prices bar t
    alpha[1:] = state.alpha_path[0, :-1]
    beta[:w], alpha[:w] = np.nan, np.nan  # the z-score needs a window of spreads anyway
    return beta, alpha


def _ols(y: FloatArray, x: FloatArray) -> tuple[float, float]:
    xm, ym = x.mean(), y.mean()
    b = float(((x - xm) * (y - ym)).sum() / ((x - xm) ** 2).sum())
    return b, float(ym - b * xm)


def zscores(spread: FloatArray, window: int) -> FloatArray:
    """Each spread against the mean and standard deviation of the `window` spreads before it."""
    n = spread.size
    out = np.full(n, np.nan)
    finite = np.isfinite(spread)
    s = np.where(finite, spread, 0.0)
    c1 = np.r_[0.0, np.cumsum(s)]
    c2 = np.r_[0.0, np.cumsum(s * s)]
    cn = np.r_[0, np.cumsum(finite)]
    if n <= window:
        return out
    idx = np.arange(window, n)
    count = cn[idx] - cn[idx - window]
    mean = (c1[idx] - c1[idx - window]) / np.maximum(count, 1)
    var = (c2[idx] - c2[idx - window]) / np.maximum(count, 1) - mean * mean
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (spread[idx] - mean) / np.sqrt(var * count / np.maximum(count - 1, 1))
    out[idx] = np.where(count == window, z, np.nan)
    return out


def band_action(position: int, z: float, entry_z: float, exit_z: float, stop_z: float) -> tuple[int, ExitReason | None]:
    """The band rule at one z-score, shared by the backtest and the live pairs position: flat, |z| beyond
    `entry_z` opens the spread against z (+1 long y / short x when z is low, -1 when high); in a position, |z|
    beyond `stop_z` closes it ("stop") and |z| back inside `exit_z` closes it ("exit"). Returns the position
    wanted and, when it closes one, why."""
    if position == 0:
        if abs(z) > entry_z:
            return (-1 if z > 0 else 1), None
        return 0, None
    if abs(z) > stop_z:
        return 0, "stop"
    if abs(z) < exit_z:
        return 0, "exit"
    return position, None


def backtest_pair(bars: PairBars, rules: PairRules) -> PairBacktest:
    """Trade the pair's spread on `bars` by `rules` (module docstring)."""
    log_y, log_x = np.log(bars.y_close), np.log(bars.x_close)
    beta, alpha = hedge_before(log_y, log_x, rules)
    z = zscores(log_y - beta * log_x - alpha, rules.window)
    n = bars.open_time.size
    fee, slip = rules.fee_bps / 10_000.0, rules.slippage_bps / 10_000.0
    cash = rules.initial_equity
    trades: list[PairTrade] = []
    cash_delta = np.zeros(n + 1)
    held_y = np.zeros(n + 1)
    held_x = np.zeros(n + 1)
    position = 0
    entry: dict[str, float] = {}
    zs = z.tolist()
    for t in range(n - 1):
        zt = zs[t]
        if zt != zt:  # NaN: no hedge or window yet
            continue
        wanted, closing = band_action(position, zt, rules.entry_z, rules.exit_z, rules.stop_z)
        if position == 0:
            if wanted != 0:
                position = wanted
                e = t + 1
                notional = cash * rules.leg_pct / 100.0
                y_fill = bars.y_open[e] * (1 + slip * position)
                x_fill = bars.x_open[e] * (1 - slip * position)
                y_qty, x_qty = notional / y_fill, notional / x_fill
                fees = (y_qty * y_fill + x_qty * x_fill) * fee
                # Cash: the long leg is bought, the short leg's proceeds held as collateral (net zero), fees paid.
                cash -= fees
                cash_delta[e] -= fees
                entry = {"t": e, "z": zt, "y_qty": y_qty, "x_qty": x_qty, "y_fill": y_fill, "x_fill": x_fill,
                         "fees": fees}  # fmt: skip
                held_y[e] += position * y_qty
                held_x[e] -= position * x_qty
            continue
        if closing is None:
            continue
        reason: ExitReason = closing
        x_ = t + 1
        trade, pnl_cash = _close(bars, entry, position, x_, fee, slip, zt, reason, open_at_end=False)
        trades.append(trade)
        cash += pnl_cash
        cash_delta[x_] += pnl_cash
        held_y[x_] -= position * entry["y_qty"]
        held_x[x_] += position * entry["x_qty"]
        position = 0
    if position != 0:
        trade, _ = _close(bars, entry, position, n - 1, 0.0, 0.0, zs[-1], "end", open_at_end=True)
        trades.append(trade)
    # Equity at each close: cash plus each leg's profit so far (dollar-neutral legs have no net cash cost).
    qy, qx = np.cumsum(held_y[:-1]), np.cumsum(held_x[:-1])
    ref_y = np.zeros(n)
    ref_x = np.zeros(n)
    for trade in trades:
        a = int(np.searchsorted(bars.open_time, trade.entry_time))
        b = n if trade.open else int(np.searchsorted(bars.open_time, trade.exit_time))
        ref_y[a:b], ref_x[a:b] = trade.y_entry, trade.x_entry
    unrealized = qy * (bars.y_close - ref_y) + qx * (bars.x_close - ref_x)
    equity = rules.initial_equity + np.cumsum(cash_delta[:-1]) + unrealized
    return PairBacktest(tuple(trades), beta, z, _account(trades, bars, equity, rules, qy))


def _close(
    bars: PairBars,
    entry: dict[str, float],
    position: int,
    at: int,
    fee: float,
    slip: float,
    z: float,
    reason: ExitReason,
    *,
    open_at_end: bool,
) -> tuple[PairTrade, float]:
    if open_at_end:
        y_exit, x_exit = float(bars.y_close[at]), float(bars.x_close[at])
    else:
        y_exit = float(bars.y_open[at]) * (1 - slip * position)
        x_exit = float(bars.x_open[at]) * (1 + slip * position)
    y_qty, x_qty = entry["y_qty"], entry["x_qty"]
    y_pnl = position * y_qty * (y_exit - entry["y_fill"])
    x_pnl = -position * x_qty * (x_exit - entry["x_fill"])
    exit_fees = (y_qty * y_exit + x_qty * x_exit) * fee
    fees = entry["fees"] + exit_fees
    trade = PairTrade(
        direction=position,
        entry_time=int(bars.open_time[int(entry["t"])]),
        exit_time=int(bars.open_time[at]),
        entry_z=float(entry["z"]),
        exit_z=float(z),
        y_qty=float(y_qty),
        x_qty=float(x_qty),
        y_entry=float(entry["y_fill"]),
        y_exit=y_exit,
        x_entry=float(entry["x_fill"]),
        x_exit=x_exit,
        y_pnl=float(y_pnl),
        x_pnl=float(x_pnl),
        fees=float(fees),
        pnl=float(y_pnl + x_pnl - fees),
        reason=reason,
        open=open_at_end,
    )
    return trade, y_pnl + x_pnl - exit_fees


def _account(
    trades: list[PairTrade], bars: PairBars, equity: FloatArray, rules: PairRules, qy: FloatArray
) -> PortfolioResult:
    """The pair's trades as one account, so the strategy metrics apply unchanged."""
    k = len(trades)
    table = TradeTable(
        symbols=("spread",),
        symbol=np.zeros(k, dtype=np.int64),
        side=np.array([t.direction for t in trades], dtype=np.int64),
        signal_time=np.array([t.entry_time for t in trades], dtype=np.int64),
        entry_time=np.array([t.entry_time for t in trades], dtype=np.int64),
        exit_time=np.array([t.exit_time for t in trades], dtype=np.int64),
        entry_fill=np.array([t.y_entry for t in trades], dtype=np.float64),
        exit_fill=np.array([t.y_exit for t in trades], dtype=np.float64),
        qty=np.array([t.y_qty for t in trades], dtype=np.float64),
        fees=np.array([t.fees for t in trades], dtype=np.float64),
        pnl=np.array([t.pnl for t in trades], dtype=np.float64),
        reserved=np.array([2 * t.y_qty * t.y_entry for t in trades], dtype=np.float64),
        stop=np.full(k, np.nan),
        reason=np.array([REASON_CODE[t.reason] for t in trades], dtype=np.int64),
        open=np.array([t.open for t in trades], dtype=np.bool_),
    )
    return PortfolioResult(table, (), bars.open_time, equity, qy != 0, rules.initial_equity)
