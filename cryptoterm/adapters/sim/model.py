"""The simulated price / volume process, one minute per step, vectorised over symbols and minutes.

History and the live stream run this same function (history in one block of ~60 days, live in blocks of an
hour carrying `ModelState` across), so live bars have the same volatility, drift and volume as the history.

Per minute, per symbol:

* a common **market factor** `f = drift(regime) + sigma_f * v_t * e_f + jump_f`, and each symbol's own part
  `e_i * sigma_i * v_t + jump_i`; the symbol moves `beta_i * f + own_i` (universe.py sets beta from the
  symbol's correlation with the market);
* each innovation `e` is GARCH(1,1) on standardised Student-t(5) shocks: volatility clusters and 1m returns
  are fat tailed; rare Gaussian **jumps** (a few a day) make the tails fatter still;
* `v_t` combines the **intraday pattern** (UTC session profile, quiet 02-06 h, busiest at the US open),
  the **regime** (bull / bear / range / high-vol phases lasting days, a Markov chain with drifts and
  volatility multipliers) and **volume bursts** (a decaying excitation that raises volume and volatility);
* a cointegrated follower moves `beta_c * r_anchor + Δs`, where the spread `s` is AR(1) with the configured
  half-life on the follower's own innovations;
* volume is the symbol's average per-minute volume times session, regime, burst, a lognormal noise and the
  size of the move (big moves come with volume); the trade count is Poisson around the configured trade rate.

Everything is in log-price units relative to the start; `history.py` anchors the levels to prices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from cryptoterm.adapters.sim.kernels import linear_recurrence
from cryptoterm.adapters.sim.universe import MARKET_DAILY_VOL, SymbolSpec
from cryptoterm.domain.timeframes import MINUTE_MS

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MINUTES_PER_DAY: Final = 1440

#: Relative activity by UTC hour (mean 1): quiet Asian night, European morning, peak at the US open.
SESSION_PROFILE: Final[tuple[float, ...]] = (
    1.05, 0.95, 0.80, 0.70, 0.65, 0.65, 0.70, 0.80, 0.95, 1.00, 1.00, 1.00,
    1.05, 1.20, 1.45, 1.55, 1.45, 1.30, 1.15, 1.05, 1.00, 0.95, 0.95, 1.00,
)  # fmt: skip


#: Mean of the volume activity factor before scaling, measured over long runs (keeps volume on target).
_ACTIVITY_NORM: Final = 1.0 / 1.1


@dataclass(frozen=True, slots=True)
class Regime:
    """A market phase: drift of the market factor per day, volatility and volume multipliers, mean length."""

    name: str
    drift_per_day: float
    vol_mult: float
    volume_mult: float
    mean_days: float


#: The regimes, in code order (regime codes index this tuple).
REGIMES: Final[tuple[Regime, ...]] = (
    Regime("bull", 0.018, 0.90, 1.10, 7.0),
    Regime("bear", -0.02, 1.10, 1.25, 6.0),
    Regime("range", 0.0, 0.65, 0.80, 6.0),
    Regime("high-vol", 0.0, 2.0, 1.80, 2.0),
)


@dataclass(frozen=True, slots=True)
class ModelParams:
    """Shape of the process; defaults are tuned to look like Binance spot 1m data."""

    garch_alpha: float = 0.06
    garch_beta: float = 0.92
    t_dof: float = 5.0
    jumps_per_day: float = 2.0
    market_jumps_per_day: float = 0.5
    jump_scale: float = 10.0  # jump std in units of the minute's diffusive sigma
    bursts_per_day: float = 3.0
    market_bursts_per_day: float = 1.0
    burst_mean_size: float = 3.0
    burst_half_life_min: float = 5.0
    volume_noise: float = 0.35
    min_regime_minutes: int = 360


@dataclass(frozen=True, slots=True)
class SymbolTable:
    """The universe as arrays: what the vectorised step needs."""

    specs: tuple[SymbolSpec, ...]
    beta: FloatArray  # market beta (0 for followers)
    own_sigma: FloatArray  # per-minute sigma of the own innovation
    anchor: IntArray  # index of the anchor, -1 when independent
    coint_beta: FloatArray
    coint_phi: FloatArray
    volume_per_min: FloatArray  # average base-asset volume per minute
    trades_share: FloatArray  # share of the total trade rate

    @classmethod
    def build(cls, specs: tuple[SymbolSpec, ...]) -> SymbolTable:
        index = {spec.symbol: i for i, spec in enumerate(specs)}
        sqrt_day = np.sqrt(MINUTES_PER_DAY)
        beta = np.array([s.rho * s.daily_vol / MARKET_DAILY_VOL for s in specs])
        own = np.array([s.daily_vol * np.sqrt(1.0 - s.rho**2) for s in specs]) / sqrt_day
        anchor = np.array([index[s.cointegration.anchor] if s.cointegration else -1 for s in specs])
        cbeta = np.array([s.cointegration.beta if s.cointegration else 0.0 for s in specs])
        phi = np.array(
            [0.5 ** (1.0 / (s.cointegration.half_life_hours * 60.0)) if s.cointegration else 0.0 for s in specs]
        )
        weights = np.array([s.trade_weight for s in specs])
        volume = np.array([s.quote_volume_24h / s.price / MINUTES_PER_DAY for s in specs])
        return cls(specs, beta, own, anchor.astype(np.int64), cbeta, phi, volume, weights / weights.sum())

    @property
    def size(self) -> int:
        return len(self.specs)


@dataclass(slots=True)
class ModelState:
    """Everything the next minute depends on.

    `variance`, `last_shock` and `burst` have one entry for the market factor (index 0) and one per symbol;
    `spread` and `level` have one per symbol.
    """

    next_minute: int  # epoch minute of the next minute to simulate
    variance: FloatArray  # GARCH h of the last minute (unit mean)
    last_shock: FloatArray  # standardised shock of the last minute
    burst: FloatArray
    spread: FloatArray  # OU spread of followers (0 elsewhere)
    level: FloatArray  # log level relative to the start
    regime: int
    regime_left: int  # minutes until the regime changes


@dataclass(frozen=True, slots=True)
class MinuteBlock:
    """`minutes` simulated minutes for every symbol (rows) — the raw material of bars and trades."""

    first_minute: int
    start_level: FloatArray  # log level before the first minute
    log_return: FloatArray  # (symbols, minutes) close-to-close
    sigma: FloatArray  # diffusive sigma of each minute, for intrabar paths
    volume: FloatArray
    trades: IntArray
    regime: npt.NDArray[np.int8]  # regime code per minute

    @property
    def minutes(self) -> int:
        return int(self.log_return.shape[1])

    @property
    def open_time(self) -> IntArray:
        times: IntArray = (self.first_minute + np.arange(self.minutes, dtype=np.int64)) * MINUTE_MS
        return times

    @property
    def level(self) -> FloatArray:
        """Log level at each minute's close."""
        out: FloatArray = self.start_level[:, None] + np.cumsum(self.log_return, axis=1)
        return out


def session_profile(minutes: IntArray) -> FloatArray:
    """Activity multiplier for each epoch minute, linear between hourly values (cyclic over the day)."""
    hours = (minutes % MINUTES_PER_DAY) / 60.0
    table = np.array((*SESSION_PROFILE, SESSION_PROFILE[0]))
    profile: FloatArray = np.interp(hours, np.arange(25, dtype=np.float64), table)
    return profile


def initial_state(table: SymbolTable, params: ModelParams, first_minute: int, rng: np.random.Generator) -> ModelState:
    """A state drawn from the stationary distributions, so the first simulated day already looks settled."""
    n = table.size + 1
    spread = np.zeros(table.size)
    followers = table.anchor >= 0
    if followers.any():
        stationary = table.own_sigma[followers] / np.sqrt(1.0 - table.coint_phi[followers] ** 2)
        spread[followers] = rng.normal(0.0, stationary)
    level = np.zeros(table.size)
    level[followers] = spread[followers]
    regime = int(rng.integers(len(REGIMES)))
    return ModelState(
        next_minute=first_minute,
        variance=np.ones(n),
        last_shock=np.zeros(n),
        burst=np.zeros(n),
        spread=spread,
        level=level,
        regime=regime,
        regime_left=_regime_length(REGIMES[regime], params, rng),
    )


def _regime_length(regime: Regime, params: ModelParams, rng: np.random.Generator) -> int:
    return max(params.min_regime_minutes, int(rng.exponential(regime.mean_days * MINUTES_PER_DAY)))


def _regime_path(
    state: ModelState, minutes: int, params: ModelParams, rng: np.random.Generator
) -> tuple[npt.NDArray[np.int8], int, int]:
    """Regime code per minute, continuing the current phase; returns (codes, regime, minutes left)."""
    codes = np.empty(minutes, dtype=np.int8)
    regime, left, pos = state.regime, state.regime_left, 0
    while pos < minutes:
        take = min(left, minutes - pos)
        codes[pos : pos + take] = regime
        pos += take
        left -= take
        if left == 0:
            others = [k for k in range(len(REGIMES)) if k != regime]
            regime = int(others[int(rng.integers(len(others)))])
            left = _regime_length(REGIMES[regime], params, rng)
    return codes, regime, left


def _vol_norm(params: ModelParams) -> float:
    """Scale of the diffusive sigma so that regimes and jumps together keep each symbol's daily volatility.

    Long-run regime shares are proportional to mean lengths (each phase is left for a uniformly chosen other).
    """
    share = np.array([r.mean_days for r in REGIMES])
    regime_var = float(np.sum(share * np.array([r.vol_mult for r in REGIMES]) ** 2) / share.sum())
    jump_var = params.jumps_per_day / MINUTES_PER_DAY * params.jump_scale**2
    return float(1.0 / np.sqrt(regime_var + jump_var))


def _standard_t(rng: np.random.Generator, dof: float, shape: tuple[int, ...]) -> FloatArray:
    """Unit-variance Student-t shocks, built as normal / sqrt(chi²/dof).

    Drawn in float32 (the precision is far beyond what prices need): numpy's own `standard_t` is six times
    slower and was the largest cost of generating history.
    """
    normal = rng.standard_normal(shape, dtype=np.float32).astype(np.float64)
    chi2 = 2.0 * rng.standard_gamma(dof / 2.0, shape, dtype=np.float32).astype(np.float64)
    shocks: FloatArray = normal / np.sqrt(chi2 / dof) * np.sqrt((dof - 2.0) / dof)
    return shocks


def _trade_counts(rate: FloatArray, rng: np.random.Generator) -> IntArray:
    """Poisson counts, at least one. Above 25 expected trades the normal approximation is used: it is
    indistinguishable there and numpy's Poisson sampler would be the slowest step of the whole history."""
    small = rate < 25.0
    counts = np.rint(rate + np.sqrt(rate) * rng.standard_normal(rate.shape, dtype=np.float32))
    counts[small] = rng.poisson(rate[small])
    out: IntArray = np.maximum(counts, 1.0).astype(np.int64)
    return out


def simulate(
    table: SymbolTable,
    params: ModelParams,
    state: ModelState,
    minutes: int,
    rng: np.random.Generator,
    trades_per_second: float,
) -> tuple[MinuteBlock, ModelState]:
    """Simulate `minutes` minutes from `state`; returns the block and the state after it.

    `trades_per_second` is the total trade rate across symbols at average activity; each minute's count is
    Poisson around the symbol's share of it, and at least one, so no bar is ever missing.
    """
    n_sym = table.size
    epoch_minutes = state.next_minute + np.arange(minutes, dtype=np.int64)
    season = session_profile(epoch_minutes)
    codes, regime, regime_left = _regime_path(state, minutes, params, rng)
    drift = np.array([r.drift_per_day / MINUTES_PER_DAY for r in REGIMES])[codes]
    regime_vol = np.array([r.vol_mult for r in REGIMES])[codes]
    regime_volume = np.array([r.volume_mult for r in REGIMES])[codes]

    # GARCH(1,1) variance for the market (row 0) and every symbol's own innovation.
    shocks = _standard_t(rng, params.t_dof, (n_sym + 1, minutes))
    prev_sq = np.concatenate([state.last_shock[:, None] ** 2, shocks[:, :-1] ** 2], axis=1)
    omega = 1.0 - params.garch_alpha - params.garch_beta
    variance = linear_recurrence(
        params.garch_alpha * prev_sq + params.garch_beta, np.full_like(shocks, omega), state.variance
    )

    # Volume bursts: Poisson arrivals of exponential size, decaying with the configured half-life.
    per_min = np.full((n_sym + 1, 1), params.bursts_per_day / MINUTES_PER_DAY)
    per_min[0] = params.market_bursts_per_day / MINUTES_PER_DAY
    arrivals = rng.random((n_sym + 1, minutes)) < per_min
    kicks = np.where(arrivals, rng.exponential(params.burst_mean_size, (n_sym + 1, minutes)), 0.0)
    burst = linear_recurrence(0.5 ** (1.0 / params.burst_half_life_min), kicks, state.burst)

    unit = np.concatenate([[MARKET_DAILY_VOL / np.sqrt(MINUTES_PER_DAY)], table.own_sigma]) * _vol_norm(params)
    common = np.sqrt(season) * regime_vol
    sym_burst = burst[1:] + burst[:1]
    scale = np.empty_like(shocks)
    scale[0] = unit[0] * common * np.sqrt(1.0 + burst[0])
    scale[1:] = unit[1:, None] * common[None, :] * np.sqrt(1.0 + sym_burst)
    diffusive_sigma = scale * np.sqrt(variance)
    moves = diffusive_sigma * shocks

    jump_rate = np.full((n_sym + 1, 1), params.jumps_per_day / MINUTES_PER_DAY)
    jump_rate[0] = params.market_jumps_per_day / MINUTES_PER_DAY
    jumping = rng.random((n_sym + 1, minutes)) < jump_rate
    moves += np.where(jumping, rng.normal(0.0, 1.0, (n_sym + 1, minutes)) * params.jump_scale * scale, 0.0)

    market = drift + moves[0]
    returns = table.beta[:, None] * market[None, :] + moves[1:]
    sigma = np.sqrt((table.beta[:, None] * diffusive_sigma[0][None, :]) ** 2 + diffusive_sigma[1:] ** 2)
    spread = state.spread.copy()
    for i in np.flatnonzero(table.anchor >= 0):
        anchor = int(table.anchor[i])
        path = linear_recurrence(float(table.coint_phi[i]), moves[1 + i], float(state.spread[i]))
        steps = np.diff(path, prepend=state.spread[i])
        returns[i] = table.coint_beta[i] * returns[anchor] + steps
        sigma[i] = np.sqrt((table.coint_beta[i] * sigma[anchor]) ** 2 + diffusive_sigma[1 + i] ** 2)
        spread[i] = path[-1]

    # Volume follows the session, regime, bursts and the size of the move.
    size = np.minimum(np.abs(returns - table.beta[:, None] * drift[None, :]) / sigma, 6.0)
    noise = np.exp(params.volume_noise * rng.standard_normal((n_sym, minutes), dtype=np.float32))
    activity = season * regime_volume * (0.55 + 0.45 * size) * (1.0 + sym_burst) * noise * _ACTIVITY_NORM
    volume = table.volume_per_min[:, None] * activity
    counts = _trade_counts(trades_per_second * 60.0 * table.trades_share[:, None] * activity, rng)
    block = MinuteBlock(
        first_minute=state.next_minute,
        start_level=state.level.copy(),
        log_return=returns,
        sigma=sigma,
        volume=volume,
        trades=counts,
        regime=codes,
    )
    new_state = ModelState(
        next_minute=state.next_minute + minutes,
        variance=variance[:, -1].copy(),
        last_shock=shocks[:, -1].copy(),
        burst=burst[:, -1].copy(),
        spread=spread,
        level=state.level + returns.sum(axis=1),
        regime=regime,
        regime_left=regime_left,
    )
    return block, new_state
