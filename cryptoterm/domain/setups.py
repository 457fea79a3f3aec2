"""Trade setups: levels, position sizing and the lifecycle state machine.

A setup is what a scanner hit becomes: an entry, a stop, one or more targets and a position size that risks
a fixed share of the account. It then lives through a small state machine driven by closed candles:

    new ──► active ──► triggered ──► closed_target | closed_stop | closed_exit
     │        │
     └────────┴──► expired | invalidated

* new → active: a bar reaches the entry zone (by default within 0.5 × |entry − stop| of the entry, or the
  strategy's own zone).
* new/active → triggered: a bar's range crosses the entry (low ≤ entry ≤ high).
* triggered → closed_target: a later bar reaches the first target (R:R is quoted to the first target too).
* triggered → closed_stop: a bar reaches the stop.
* triggered → closed_exit: the strategy's `exit` terms all held at the previous bar's close; the position
  closes at this bar's open, before anything else the bar does (the exit is a market order at the open).
* new/active → invalidated: before entry, the bar reaches the stop, or the strategy's condition is no longer
  true at the bar's close.
* new/active → expired: `expires_bars` base bars closed after the signal bar without the entry being hit.

Candles only say where price went during a bar, not in which order. Whenever a bar could have reached both a
good and a bad level, the bad one is assumed to come first (conservative): a bar that hits both stop and
target closes at the stop; a bar that crosses the entry and reaches the stop triggers and stops out in the
same bar; on the bar that triggers, targets are not counted (price may have reached them before the entry).

Everything here is pure: time is an argument, and `advance` returns a new setup plus the transitions it made.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Final, Literal

from cryptoterm.domain.market import Candle
from cryptoterm.domain.timeframes import timeframe_ms

Direction = Literal["long", "short"]
SetupState = Literal[
    "new", "active", "triggered", "closed_target", "closed_stop", "closed_exit", "expired", "invalidated"
]

#: States in which a setup still needs market data; at most one per strategy + symbol + direction.
OPEN_STATES: Final[frozenset[str]] = frozenset({"new", "active", "triggered"})
#: States a setup can never leave.
FINAL_STATES: Final[frozenset[str]] = frozenset(
    {"closed_target", "closed_stop", "closed_exit", "expired", "invalidated"}
)
#: Default half-width of the entry zone as a share of the entry-to-stop distance.
DEFAULT_ZONE_FRACTION: Final = 0.5


class SetupError(ValueError):
    """Levels that cannot make a setup (stop on the wrong side, zero risk, non-finite prices)."""


@dataclass(frozen=True, slots=True)
class ConditionResult:
    """One condition of the strategy as it stood on the signal bar, kept so a setup explains itself."""

    text: str
    passed: bool
    values: str = ""


@dataclass(frozen=True, slots=True)
class Setup:
    """A trade idea with its levels, size and lifecycle state. Immutable: `advance` returns a new one.

    `bar_time` is the open time of the signal bar; `expires_ms` the close time of the last bar during which
    the entry may still be hit. `risk` is the account currency put at risk; `size` the base-asset quantity.
    `last_bar` is the open time of the newest bar applied by `advance` (None: none yet), which makes feeding
    the same bar twice harmless (a restart or a `--scan-once` catch-up may replay bars).
    """

    strategy: str
    symbol: str
    timeframe: str
    direction: Direction
    entry: float
    stop: float
    targets: tuple[float, ...]
    size: float
    risk: float
    bar_time: int
    created_ms: int
    expires_ms: int
    zone_low: float
    zone_high: float
    state: SetupState = "new"
    updated_ms: int = 0
    triggered_ms: int | None = None
    closed_ms: int | None = None
    exit_price: float | None = None
    r_multiple: float | None = None
    conditions: tuple[ConditionResult, ...] = field(default_factory=tuple)
    last_bar: int | None = None
    id: int | None = None

    @property
    def seen_until(self) -> int:
        """Open time of the newest bar already accounted for (the signal bar before any was applied)."""
        return self.bar_time if self.last_bar is None else self.last_bar

    @property
    def rr(self) -> float:
        """Reward to risk to the first target."""
        return reward_risk(self.direction, self.entry, self.stop, self.targets[0])

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes two setups duplicates of each other while open."""
        return (self.strategy, self.symbol, self.direction)


@dataclass(frozen=True, slots=True)
class Transition:
    """One state change, as persisted in the setup's history and sent as a notification event."""

    from_state: SetupState
    to_state: SetupState
    ts: int
    price: float
    note: str

    @property
    def event(self) -> str:
        """The notification event name: closed_target, closed_stop and closed_exit are all "closed"."""
        return "closed" if self.to_state.startswith("closed") else self.to_state


def reward_risk(direction: Direction, entry: float, stop: float, target: float) -> float:
    """Reward divided by risk, both measured from the entry in the trade's favour."""
    risk = abs(entry - stop)
    reward = (target - entry) if direction == "long" else (entry - target)
    return reward / risk if risk > 0 else float("nan")


def position_size(equity: float, risk_pct: float, entry: float, stop: float) -> tuple[float, float]:
    """(quantity, currency risked) so that a stop-out loses `risk_pct` % of `equity`."""
    distance = abs(entry - stop)
    if not distance > 0:
        raise SetupError(f"entry {entry} and stop {stop} are equal: risk per unit is zero")
    if equity < 0 or risk_pct < 0:
        raise SetupError(f"equity ({equity}) and risk per trade ({risk_pct} %) must not be negative")
    risk = equity * risk_pct / 100.0
    return risk / distance, risk


def default_entry_zone(entry: float, stop: float, fraction: float = DEFAULT_ZONE_FRACTION) -> tuple[float, float]:
    """The band around the entry in which a setup counts as active: ± fraction × |entry − stop|."""
    half = abs(entry - stop) * fraction
    return entry - half, entry + half


def build_setup(
    *,
    strategy: str,
    symbol: str,
    timeframe: str,
    direction: Direction,
    entry: float,
    stop: float,
    targets: Sequence[float],
    bar_time: int,
    created_ms: int,
    expires_bars: int,
    equity: float,
    risk_pct: float,
    entry_zone: tuple[float, float] | None = None,
    conditions: Iterable[ConditionResult] = (),
) -> Setup:
    """Validate levels and size a new setup. Raises SetupError naming the symbol and what is wrong."""
    where = f"{strategy} {symbol}"
    values = [entry, stop, *targets]
    if not targets:
        raise SetupError(f"{where}: no targets")
    if not all(math.isfinite(v) for v in values):
        raise SetupError(f"{where}: levels must be finite numbers, got entry={entry} stop={stop} targets={targets}")
    sign = 1.0 if direction == "long" else -1.0
    if not sign * (entry - stop) > 0:
        side = "below" if direction == "long" else "above"
        raise SetupError(f"{where}: {direction} stop {stop:g} must be {side} entry {entry:g}")
    for target in targets:
        if not sign * (target - entry) > 0:
            side = "above" if direction == "long" else "below"
            raise SetupError(f"{where}: {direction} target {target:g} must be {side} entry {entry:g}")
    if expires_bars < 1:
        raise SetupError(f"{where}: expiry must be at least one bar, got {expires_bars}")
    size, risk = position_size(equity, risk_pct, entry, stop)
    zone_low, zone_high = entry_zone if entry_zone is not None else default_entry_zone(entry, stop)
    if zone_low > zone_high:
        zone_low, zone_high = zone_high, zone_low
    bar_ms = timeframe_ms(timeframe)
    ordered = tuple(sorted(targets, reverse=direction == "short"))
    return Setup(
        strategy=strategy,
        symbol=symbol,
        timeframe=timeframe,
        direction=direction,
        entry=float(entry),
        stop=float(stop),
        targets=tuple(float(t) for t in ordered),
        size=size,
        risk=risk,
        bar_time=bar_time,
        created_ms=created_ms,
        updated_ms=created_ms,
        expires_ms=bar_time + bar_ms * (1 + expires_bars),
        zone_low=float(zone_low),
        zone_high=float(zone_high),
        conditions=tuple(conditions),
    )


def has_open_duplicate(open_setups: Iterable[Setup], strategy: str, symbol: str, direction: str) -> bool:
    """True when the same strategy + symbol + direction already has a setup that is not finished."""
    return any(s.is_open and s.key == (strategy, symbol, direction) for s in open_setups)


def _r_multiple(setup: Setup, exit_price: float) -> float:
    sign = 1.0 if setup.direction == "long" else -1.0
    return sign * (exit_price - setup.entry) / abs(setup.entry - setup.stop)


def _reaches_stop(setup: Setup, candle: Candle) -> bool:
    return candle.low <= setup.stop if setup.direction == "long" else candle.high >= setup.stop


def _reaches_target(setup: Setup, candle: Candle) -> bool:
    target = setup.targets[0]
    return candle.high >= target if setup.direction == "long" else candle.low <= target


def _stop_fill(setup: Setup, candle: Candle) -> float:
    """The stop price, or the open when the bar gapped through the stop (a stop fills at market)."""
    if setup.direction == "long":
        return min(setup.stop, candle.open)
    return max(setup.stop, candle.open)


def advance(
    setup: Setup,
    candle: Candle,
    now_ms: int,
    condition_still_true: bool | None = None,
    exit_due: bool = False,
) -> tuple[Setup, list[Transition]]:
    """Apply one closed bar of the setup's timeframe. Returns the new setup and the transitions made.

    Bars that are not closed, or that open at or before the newest bar already applied (at first the signal
    bar, which created the setup), change nothing. `condition_still_true` is the strategy's condition on this
    bar's close; None means "not checked". `exit_due` says the strategy's exit terms held at the previous
    bar's close: a triggered setup then closes at this bar's open. Transitions are stamped `now_ms`.
    """
    if setup.state in FINAL_STATES or not candle.closed or candle.open_time <= setup.seen_until:
        return setup, []
    transitions: list[Transition] = []
    current = replace(setup, last_bar=candle.open_time)
    bar_close_ms = candle.open_time + timeframe_ms(setup.timeframe)

    def step(to: SetupState, price: float, note: str, **changes: object) -> None:
        nonlocal current
        transitions.append(Transition(current.state, to, now_ms, price, note))
        current = replace(current, state=to, updated_ms=now_ms, **changes)  # type: ignore[arg-type]

    if current.state in ("new", "active"):
        crossed = candle.low <= current.entry <= candle.high
        if crossed:
            step("triggered", current.entry, "entry hit", triggered_ms=now_ms)
            if _reaches_stop(current, candle):
                # Conservative: entry and stop in one bar means the stop is assumed to follow the entry.
                step(
                    "closed_stop",
                    current.stop,
                    "stop hit in the entry bar",
                    closed_ms=now_ms,
                    exit_price=current.stop,
                    r_multiple=-1.0,
                )
            return current, transitions
        if _reaches_stop(current, candle):
            step("invalidated", current.stop, "stop reached before entry", closed_ms=now_ms)
            return current, transitions
        if condition_still_true is False:
            step("invalidated", candle.close, "condition no longer true", closed_ms=now_ms)
            return current, transitions
        if bar_close_ms >= current.expires_ms:
            step("expired", candle.close, "entry not hit in time", closed_ms=now_ms)
            return current, transitions
        if current.state == "new" and candle.low <= current.zone_high and candle.high >= current.zone_low:
            step("active", candle.close, "price in entry zone")
        return current, transitions

    # triggered: an exit due at the open comes first; then the stop wins whenever a bar reaches both.
    if exit_due:
        step(
            "closed_exit",
            candle.open,
            "exit conditions held",
            closed_ms=now_ms,
            exit_price=candle.open,
            r_multiple=_r_multiple(current, candle.open),
        )
    elif _reaches_stop(current, candle):
        fill = _stop_fill(current, candle)
        step(
            "closed_stop",
            fill,
            "stop hit",
            closed_ms=now_ms,
            exit_price=fill,
            r_multiple=_r_multiple(current, fill),
        )
    elif _reaches_target(current, candle):
        target = current.targets[0]
        step(
            "closed_target",
            target,
            "target hit",
            closed_ms=now_ms,
            exit_price=target,
            r_multiple=_r_multiple(current, target),
        )
    return current, transitions
