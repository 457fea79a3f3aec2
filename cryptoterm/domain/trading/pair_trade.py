"""A pair from a screen traded as one two-leg position, as a pairs bot trades it.

The screen fixed the spread: log y − (alpha + beta·log x) under the screen's hedge, measured against the
window's spread mean and standard deviation (`domain.pairs.live_zscore`, the z-score the dashboard shows for a
watched pair). The bot reads that z-score at every trade of either leg and follows the pairs backtest's band rule
(`domain.backtest.pairs.band_action`): flat, beyond ±entry_z it opens the spread against z; open, back inside
±exit_z it exits, beyond ±stop_z it stops out; then it watches for the next entry.

Sizing follows the hedge ratio: the y leg gets `notional` (quote), the x leg |beta| × `notional` — a 1 % move of
x moves the log spread by beta %, so those notionals cancel it. Long the spread is long y and, for a positive
beta, short x (long x for a negative one). Both legs are market orders carrying the pair's id, so their fills
build the pair's two linked positions (`Position.pair_id`), apart from any position of the same symbols.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from cryptoterm.domain.trading.guards import QTY_EPSILON
from cryptoterm.domain.trading.orders import OrderRequest, Position, Side

if TYPE_CHECKING:
    from cryptoterm.domain.pairs.results import PairResult

PairState = Literal["watching", "open", "closed"]


@dataclass(frozen=True, slots=True)
class PairSpec:
    """What a pairs position trades: the legs, the screen's hedge and spread statistics, the bands, the size."""

    pair_id: str
    y: str
    x: str
    hedge: str
    beta: float
    alpha: float
    mean: float
    std: float
    entry_z: float
    exit_z: float
    stop_z: float
    #: The y leg's notional in the quote asset (the x leg's is |beta| times it).
    notional: float

    def problem(self) -> str | None:
        """Why the pair cannot be traded (one line), or None."""
        if self.y == self.x:
            return f"a pair needs two symbols, got {self.y} twice"
        if not (math.isfinite(self.beta) and self.beta != 0 and math.isfinite(self.alpha)):
            return f"{self.y} ~ {self.x}: the hedge ratio {self.beta} cannot hedge a spread"
        if not (math.isfinite(self.mean) and math.isfinite(self.std) and self.std > 0):
            return f"{self.y} ~ {self.x}: the spread's deviation {self.std} is not a usable scale"
        if not 0 <= self.exit_z < self.entry_z < self.stop_z:
            return f"bands must satisfy 0 ≤ exit_z < entry_z < stop_z, got {self.exit_z}, {self.entry_z}, {self.stop_z}"
        if not (math.isfinite(self.notional) and self.notional > 0):
            return f"the pair's notional must be positive, got {self.notional}"
        return None

    @property
    def label(self) -> str:
        return f"{self.y} ~ {self.x}"


@dataclass(frozen=True, slots=True)
class PairStatus:
    """Where the bot stands: watching for an entry, holding the spread (`direction` +1 long / −1 short), or
    closed for good (stopped by the trader). `trades` counts round trips."""

    state: PairState = "watching"
    direction: int = 0
    opened_ms: int | None = None
    closed_ms: int | None = None
    opened_z: float | None = None
    closed_z: float | None = None
    exit_reason: str = ""
    trades: int = 0


@dataclass(frozen=True, slots=True)
class PairDecision:
    """What the bot does at a z-score: open the spread (`direction`), close it (`reason`), or nothing."""

    direction: int = 0
    reason: str | None = None

    @property
    def acts(self) -> bool:
        return self.direction != 0 or self.reason is not None


def spec_from_result(
    result: PairResult, *, pair_id: str, entry_z: float, exit_z: float, stop_z: float, notional: float
) -> PairSpec:
    """The pair as a screen measured it, under the hedge its spread used (`result.spread_hedge`) — the same
    hedge, mean and deviation the dashboard's watched pair and the pair detail use."""
    hedge = result.spread_hedge
    beta = {"ols": result.beta_ols, "kalman": result.beta_kalman, "huber": result.beta_huber}[hedge]
    alpha = {"ols": result.alpha_ols, "kalman": result.alpha_kalman, "huber": result.alpha_huber}[hedge]
    return PairSpec(
        pair_id, result.y, result.x, hedge, beta, alpha, result.spread_mean, result.spread_std,
        entry_z, exit_z, stop_z, notional,
    )  # fmt: skip


def pair_zscore(spec: PairSpec, price_y: float | None, price_x: float | None) -> float:
    """The spread's z-score at these prices (NaN until both legs have a positive price)."""
    from cryptoterm.domain.pairs.detail import live_zscore

    if price_y is None or price_x is None or not (price_y > 0 and price_x > 0):
        return math.nan
    return live_zscore(math.log(price_y), math.log(price_x), spec.beta, spec.alpha, spec.mean, spec.std)


def decide(spec: PairSpec, status: PairStatus, z: float) -> PairDecision:
    """The band rule at `z` (the backtest's, `band_action`); nothing while the z-score is unknown or closed."""
    from cryptoterm.domain.backtest.pairs import band_action

    if status.state == "closed" or not math.isfinite(z):
        return PairDecision()
    position = status.direction if status.state == "open" else 0
    wanted, reason = band_action(position, z, spec.entry_z, spec.exit_z, spec.stop_z)
    if position == 0:
        return PairDecision(direction=wanted)
    return PairDecision(reason=reason) if reason is not None else PairDecision()


def leg_sides(spec: PairSpec, direction: int) -> tuple[Side, Side]:
    """(y side, x side) of opening the spread in `direction`."""
    y_side: Side = "buy" if direction > 0 else "sell"
    x_buys = (direction > 0) != (spec.beta > 0)
    return y_side, ("buy" if x_buys else "sell")


def entry_orders(
    spec: PairSpec, direction: int, price_y: float, price_x: float, tag: str
) -> tuple[OrderRequest, OrderRequest]:
    """The two market orders that open the spread, sized by the hedge (module docstring)."""
    y_side, x_side = leg_sides(spec, direction)
    y_qty = spec.notional / price_y
    x_qty = abs(spec.beta) * spec.notional / price_x
    return (
        OrderRequest(f"{spec.pair_id}:{tag}:y", spec.y, y_side, "market", y_qty, pair_id=spec.pair_id),
        OrderRequest(f"{spec.pair_id}:{tag}:x", spec.x, x_side, "market", x_qty, pair_id=spec.pair_id),
    )


def exit_orders(spec: PairSpec, legs: list[Position], tag: str) -> list[OrderRequest]:
    """Reduce-only market orders flattening each leg the pair holds."""
    out = []
    for leg in legs:
        if leg.pair_id != spec.pair_id or abs(leg.qty) <= QTY_EPSILON:
            continue
        side: Side = "sell" if leg.qty > 0 else "buy"
        name = "y" if leg.symbol == spec.y else "x"
        out.append(
            OrderRequest(
                f"{spec.pair_id}:{tag}:{name}", leg.symbol, side, "market", abs(leg.qty), reduce_only=True,
                pair_id=spec.pair_id,
            )
        )  # fmt: skip
    return out


def opened(status: PairStatus, direction: int, z: float, now_ms: int) -> PairStatus:
    return replace(status, state="open", direction=direction, opened_ms=now_ms, opened_z=z, closed_ms=None)


def closed(status: PairStatus, reason: str, z: float, now_ms: int, *, for_good: bool = False) -> PairStatus:
    """Back to watching after a round trip (or closed for good when the trader stopped the bot)."""
    return replace(
        status,
        state="closed" if for_good else "watching",
        direction=0,
        closed_ms=now_ms,
        closed_z=z,
        exit_reason=reason,
        trades=status.trades + (1 if status.state == "open" else 0),
    )


def default_notional(max_order_notional: float, beta: float) -> float:
    """A y-leg notional whose legs both stay within the per-order limit (90 % of it for the larger leg)."""
    return 0.9 * max_order_notional / max(1.0, abs(beta))
