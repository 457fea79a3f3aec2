"""A watched pair: its hedge from a screen, and its z-score from the live feed's latest closes.

Watching freezes what the screen measured over its window — the hedge ratio and intercept of the chosen hedge,
and the mean and standard deviation of the spread it gives — and applies them to the feed's newest prices, so
the dashboard shows where today's spread stands against the window it was tested on
(`domain.pairs.live_zscore`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from cryptoterm.domain.market import TickerStats
from cryptoterm.domain.pairs import PairResult, live_zscore


@dataclass(frozen=True, slots=True)
class WatchedPair:
    """y - (alpha + beta·x) in log prices, measured against the window's spread `mean` and `std`."""

    y: str
    x: str
    hedge: str
    beta: float
    alpha: float
    mean: float
    std: float
    entry_z: float
    exit_z: float

    @classmethod
    def from_result(cls, result: PairResult, entry_z: float, exit_z: float) -> WatchedPair:
        """The pair under the hedge its screen used for the spread (`result.spread_hedge`)."""
        hedge = result.spread_hedge
        beta = {"ols": result.beta_ols, "kalman": result.beta_kalman, "huber": result.beta_huber}[hedge]
        alpha = {"ols": result.alpha_ols, "kalman": result.alpha_kalman, "huber": result.alpha_huber}[hedge]
        return cls(result.y, result.x, hedge, beta, alpha, result.spread_mean, result.spread_std, entry_z, exit_z)

    @property
    def label(self) -> str:
        return f"{self.y} ~ {self.x}"

    def zscore(self, tickers: Iterable[TickerStats]) -> float:
        """The z-score of the latest prices of both legs (NaN until both have a positive price)."""
        last = {t.symbol: t.last for t in tickers if t.symbol in (self.y, self.x)}
        price_y, price_x = last.get(self.y, math.nan), last.get(self.x, math.nan)
        if not (price_y > 0 and price_x > 0):
            return math.nan
        return live_zscore(math.log(price_y), math.log(price_x), self.beta, self.alpha, self.mean, self.std)

    def zone(self, z: float) -> str:
        """ "entry" beyond ±entry_z, "exit" inside ±exit_z, "hold" between, "" when unknown."""
        if not math.isfinite(z):
            return ""
        if abs(z) >= self.entry_z:
            return "entry"
        return "exit" if abs(z) <= self.exit_z else "hold"
