"""Data quality of one symbol/timeframe candle series, scored 0–100.

Strategies and backtests trust candles blindly, so every series gets checked for the ways exchange data and
our own copies go wrong:

* missing bars — split into **outages** (the exchange itself has no bars there: known from a backfill that
  came back empty, or from the same gap in every symbol) and **holes** (missing from our copy only);
* duplicate open times and out-of-order rows (a broken writer or a bad merge);
* OHLC violations (high below the body or the low, low above the body or the high) and invalid values
  (non-positive or NaN prices, negative volume);
* price spikes — a close that jumps more than `spike_sigma` robust sigmas away from both neighbours and
  comes straight back (the next close retraces at least `SPIKE_REVERT` of the jump): a bad tick. The scale is
  1.4826 × the rolling MAD of log returns, not the standard deviation: crypto returns are fat-tailed, and one
  bad tick inflates the standard deviation enough to hide itself. A real crash does not revert within a bar and
  is not a spike; and a bad tick is one symbol's alone, so given the other symbols' returns (`market_moves`), a
  bar in which at least `MARKET_SHARE` of the market moved the same way by 3 robust sigmas is a market move,
  not a spike (on 2022-05-11 12:00, 39 of 40 real 1h series fell, by 15 % in the median, and won back 12 % the
  next hour: a V the whole market drew, which the check alone took for nine bad ticks);
* staleness — how long ago the last bar closed, against `now_ms` passed in (the domain never reads a clock).

Score (documented so the health screen can explain it): start from 100 and subtract

    holes          400 × hole bars / expected bars       (1 % of bars missing from our copy → −4)
    outages         20 × outage bars / expected bars     (the exchange's gap, not ours: a small mark)
    duplicates     200 × duplicate rows / rows
    out of order   200 × out-of-order rows / rows
    bad bars       500 × (OHLC violations + invalid bars) / rows
    spikes           2 per spike bar, at most 20
    stale           25 when the last bar closed more than `stale_after_ms` before `now_ms`

clamped to [0, 100]. An empty series scores 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from cryptoterm.domain.anomaly.detector import SharedMoves, shared_moves
from cryptoterm.domain.anomaly.robust import centred_zscores
from cryptoterm.domain.gaps import Gap, find_gaps, overlaps
from cryptoterm.domain.timeframes import timeframe_ms

#: Consistency constant that makes the MAD estimate the standard deviation of normal data.
MAD_TO_SIGMA = 1.4826
#: Bars in the centred window that sets the local return scale for spike detection.
SPIKE_WINDOW = 200
#: A spike's next close retraces at least this share of the jump (a bad tick comes straight back).
SPIKE_REVERT = 0.75
#: A bar in which at least this share of the market moved the same way is a market move, never a spike.
MARKET_SHARE = 0.5

W_HOLES = 400.0
W_OUTAGES = 20.0
W_DUPLICATES = 200.0
W_OUT_OF_ORDER = 200.0
W_BAD_BARS = 500.0
SPIKE_POINTS = 2.0
SPIKE_CAP = 20.0
STALE_POINTS = 25.0


@dataclass(frozen=True, slots=True)
class QualityReport:
    """The checks' findings for one series and the score they add up to (see the module docstring)."""

    symbol: str
    timeframe: str
    rows: int
    first_ms: int | None
    last_ms: int | None
    expected_bars: int
    outages: tuple[Gap, ...]
    holes: tuple[Gap, ...]
    duplicates: int
    out_of_order: int
    ohlc_violations: int
    invalid_bars: int
    spike_times: tuple[int, ...]
    last_bar_age_ms: int | None
    stale: bool
    score: float
    issues: tuple[str, ...] = field(default=())

    @property
    def outage_bars(self) -> int:
        return sum(g.missing for g in self.outages)

    @property
    def hole_bars(self) -> int:
        return sum(g.missing for g in self.holes)

    @property
    def missing_bars(self) -> int:
        return self.outage_bars + self.hole_bars

    @property
    def spikes(self) -> int:
        return len(self.spike_times)


def robust_spikes(
    close: npt.ArrayLike,
    sigma: float,
    window: int = SPIKE_WINDOW,
    *,
    times: npt.ArrayLike | None = None,
    market: SharedMoves | None = None,
) -> npt.NDArray[np.bool_]:
    """Mask of bars whose close is out of line with both neighbours: a bad tick, not a market move.

    Bar i is a spike when the log return into it and the log return out of it both exceed `sigma` robust
    sigmas, have opposite signs and the return out retraces at least `SPIKE_REVERT` of the return in (the price
    jumps and comes straight back), and — when `market` (with the bars' open `times`) tells how the other
    symbols moved — less than `MARKET_SHARE` of the market moved the same way in that bar. The scale is 1.4826 × the
    rolling median absolute deviation of returns over `window` bars centred on the bar, so a volatile week
    is judged against its own volatility; it is floored at a tenth of the whole series' scale so a flat,
    illiquid stretch does not turn every tick into a spike. Genuine crashes and rallies do not revert within
    one bar and are not flagged. The first and last bars cannot be judged and are never spikes.
    """
    prices = np.asarray(close, dtype=np.float64)
    mask = np.zeros(prices.shape[0], dtype=bool)
    if prices.shape[0] < 3:
        return mask
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(prices > 0, np.log(prices), np.nan)
    returns = pd.Series(np.diff(logs))
    valid = returns.notna() & np.isfinite(returns)
    if int(valid.sum()) < 2:
        return mask
    clean = returns.where(valid)
    global_center = float(clean.median())
    global_scale = MAD_TO_SIGMA * float((clean - global_center).abs().median())
    if global_scale <= 0.0:
        global_scale = float(clean.std(ddof=0))
        if not global_scale > 0.0:
            return mask
    min_periods = max(3, min(window, clean.shape[0]) // 4)
    center = clean.rolling(window, center=True, min_periods=min_periods).median().fillna(global_center)
    mad = (clean - center).abs().rolling(window, center=True, min_periods=min_periods).median()
    scale = np.maximum((MAD_TO_SIGMA * mad).fillna(global_scale).to_numpy(), 0.1 * global_scale)
    z = ((clean - center).to_numpy()) / scale
    into, out_of = z[:-1], z[1:]
    raw = clean.to_numpy()
    with np.errstate(invalid="ignore"):
        jump = (np.abs(into) > sigma) & (np.abs(out_of) > sigma) & (np.sign(into) == -np.sign(out_of))
        back = np.abs(raw[:-1] + raw[1:]) <= (1.0 - SPIKE_REVERT) * np.abs(raw[:-1])
    mask[1:-1] = np.nan_to_num(jump & back, nan=0.0).astype(bool)
    if market is not None and times is not None and mask.any():
        bar_times = np.asarray(times, dtype=np.int64)
        candidates = np.flatnonzero(mask)
        direction = np.sign(raw[candidates - 1])
        shared = market.share(bar_times[candidates], direction) >= MARKET_SHARE
        mask[candidates[shared]] = False
    return mask


def market_moves(closes: Mapping[str, tuple[npt.ArrayLike, npt.ArrayLike]], window: int = SPIKE_WINDOW) -> SharedMoves:
    """How the market moved in each bar, from every symbol's (open times, closes) of one timeframe: the share of
    symbols whose log return was 3 robust sigmas or more up / down (bars that at least 5 symbols have)."""
    zscores: dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]] = {}
    for symbol, (times, close) in closes.items():
        prices = np.asarray(close, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            returns = np.diff(np.where(prices > 0, np.log(prices), np.nan))
        zscores[symbol] = (np.asarray(times, dtype=np.int64)[1:], centred_zscores(returns, window))
    return shared_moves(zscores)


def _frame_columns(frame: pd.DataFrame) -> tuple[npt.NDArray[np.int64], dict[str, npt.NDArray[np.float64]]]:
    if "open_time" in frame.columns:
        times = frame["open_time"].to_numpy(dtype=np.int64)
    elif frame.index.name == "open_time":
        times = frame.index.to_numpy(dtype=np.int64)
    else:
        raise ValueError("candle frame needs an 'open_time' column or index")
    missing = [c for c in ("open", "high", "low", "close") if c not in frame.columns]
    if missing:
        raise ValueError(f"candle frame is missing column(s): {', '.join(missing)}")
    values = {c: frame[c].to_numpy(dtype=np.float64) for c in ("open", "high", "low", "close")}
    values["volume"] = (
        frame["volume"].to_numpy(dtype=np.float64) if "volume" in frame.columns else np.zeros(times.shape[0])
    )
    return times, values


def assess_quality(
    frame: pd.DataFrame,
    timeframe: str,
    *,
    symbol: str = "",
    now_ms: int | None = None,
    known_outages: Sequence[Gap] = (),
    spike_sigma: float = 8.0,
    stale_after_ms: int | None = None,
    market: SharedMoves | None = None,
) -> QualityReport:
    """Check one candle series (rows in stored order) and score it.

    `known_outages` are ranges the exchange is known to have no bars in (a backfill's result, or
    `gaps.common_gaps` across symbols); missing bars overlapping them are outages, the rest holes.
    `stale_after_ms` defaults to two bar lengths; staleness is only judged when `now_ms` is given. `market`
    (`market_moves` over the other symbols of the timeframe) keeps market-wide moves from counting as spikes.
    """
    step = timeframe_ms(timeframe)
    if spike_sigma <= 0:
        raise ValueError(f"spike_sigma must be positive, got {spike_sigma}")
    times, v = _frame_columns(frame)
    rows = int(times.shape[0])
    if rows == 0:
        return QualityReport(
            symbol, timeframe, 0, None, None, 0, (), (), 0, 0, 0, 0, (), None, False, 0.0, ("no candles",)
        )

    out_of_order = int(np.count_nonzero(np.diff(times) < 0))
    order = np.argsort(times, kind="stable")
    sorted_times = times[order]
    unique_times, first_index = np.unique(sorted_times, return_index=True)
    duplicates = rows - int(unique_times.shape[0])

    o, h, low, c, vol = v["open"], v["high"], v["low"], v["close"], v["volume"]
    prices = np.stack([o, h, low, c])
    invalid = ~np.all(np.isfinite(prices) & (prices > 0), axis=0) | ~(np.isfinite(vol) & (vol >= 0))
    with np.errstate(invalid="ignore"):
        body_high = np.maximum(o, c)
        body_low = np.minimum(o, c)
        violation = (h < body_high) | (low > body_low) | (h < low)
    violation &= ~invalid
    invalid_bars = int(np.count_nonzero(invalid))
    ohlc_violations = int(np.count_nonzero(violation))

    # Spikes on the de-duplicated, time-ordered closes (what a strategy would read).
    closes = c[order][first_index]
    spike_mask = robust_spikes(closes, spike_sigma, times=unique_times, market=market)
    spike_times = tuple(int(t) for t in unique_times[spike_mask])

    gaps = find_gaps(unique_times, step)
    outages = tuple(g for g in gaps if overlaps(g, known_outages))
    holes = tuple(g for g in gaps if not overlaps(g, known_outages))
    first_ms, last_ms = int(unique_times[0]), int(unique_times[-1])
    expected = (last_ms - first_ms) // step + 1

    age: int | None = None
    stale = False
    if now_ms is not None:
        age = now_ms - (last_ms + step)
        stale = age > (stale_after_ms if stale_after_ms is not None else 2 * step)

    hole_bars = sum(g.missing for g in holes)
    outage_bars = sum(g.missing for g in outages)
    penalty = (
        W_HOLES * hole_bars / expected
        + W_OUTAGES * outage_bars / expected
        + W_DUPLICATES * duplicates / rows
        + W_OUT_OF_ORDER * out_of_order / rows
        + W_BAD_BARS * (ohlc_violations + invalid_bars) / rows
        + min(SPIKE_CAP, SPIKE_POINTS * len(spike_times))
        + (STALE_POINTS if stale else 0.0)
    )
    score = round(max(0.0, min(100.0, 100.0 - penalty)), 2)

    issues: list[str] = []
    if holes:
        issues.append(f"{hole_bars} bar(s) missing from the store in {len(holes)} hole(s)")
    if outages:
        issues.append(f"{outage_bars} bar(s) missing in {len(outages)} exchange outage(s)")
    if duplicates:
        issues.append(f"{duplicates} duplicate open time(s)")
    if out_of_order:
        issues.append(f"{out_of_order} row(s) out of order")
    if ohlc_violations:
        issues.append(f"{ohlc_violations} bar(s) violate low <= open, close <= high")
    if invalid_bars:
        issues.append(f"{invalid_bars} bar(s) with non-positive or missing prices or negative volume")
    if spike_times:
        issues.append(f"{len(spike_times)} price spike(s) beyond {spike_sigma:g} robust sigma")
    if stale and age is not None:
        issues.append(f"last bar closed {age / 1000:.0f}s ago")

    return QualityReport(
        symbol=symbol,
        timeframe=timeframe,
        rows=rows,
        first_ms=first_ms,
        last_ms=last_ms,
        expected_bars=expected,
        outages=outages,
        holes=holes,
        duplicates=duplicates,
        out_of_order=out_of_order,
        ohlc_violations=ohlc_violations,
        invalid_bars=invalid_bars,
        spike_times=spike_times,
        last_bar_age_ms=age,
        stale=stale,
        score=score,
        issues=tuple(issues),
    )
