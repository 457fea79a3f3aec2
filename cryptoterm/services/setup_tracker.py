"""Moves open setups through their lifecycle as candles close, persists each step, and notifies.

The feed calls `on_bar_closed(symbol, timeframe, candle)` for every closed bar; setups of that symbol and
timeframe are advanced by the pure state machine (`domain.setups.advance`). Before the entry is hit, the
strategy's condition is re-checked as of the new bar's close (through `condition`, normally
`Scanner.condition_at`) so a setup whose reason has gone is invalidated. Each setup remembers the newest bar
applied, so replaying bars (after a restart, or `--scan-once` catching up) never applies one twice.
The new state and its history rows are written in one transaction, then a message per transition goes to the
outbox (delivered by the event loop, filtered by `[notify].events`).

Synchronous and thread-safe like the scanner: the TUI calls it from a thread worker, a script directly.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from cryptoterm.domain.market import Candle
from cryptoterm.domain.setups import Setup, Transition, advance
from cryptoterm.domain.timeframes import timeframe_ms
from cryptoterm.ports.clock import Clock
from cryptoterm.ports.setups import SetupStore
from cryptoterm.services.notifications import NotificationOutbox, transition_message

log = logging.getLogger(__name__)

#: Re-checks a setup's strategy condition at a bar's close time; None means "cannot tell" (no invalidation).
ConditionCheck = Callable[[Setup, int], "bool | None"]
#: Whether a setup's exit terms all held on the newest bar closed by a time.
ExitCheck = Callable[[Setup, int], bool]


@dataclass(frozen=True, slots=True)
class TrackedChange:
    """A setup after a bar, with the transitions that bar caused."""

    setup: Setup
    transitions: tuple[Transition, ...]


class SetupTracker:
    """Advances open setups on closed candles. See the module docstring."""

    def __init__(
        self,
        repo: SetupStore,
        clock: Clock,
        notifications: NotificationOutbox | None = None,
        condition: ConditionCheck | None = None,
        exit_check: ExitCheck | None = None,
    ) -> None:
        self._repo = repo
        self._clock = clock
        self._notifications = notifications
        self._condition = condition
        self._exit_check = exit_check
        self._lock = threading.Lock()

    def on_bar_closed(self, symbol: str, timeframe: str, candle: Candle) -> list[TrackedChange]:
        """Advance every open setup of `symbol` on `timeframe` by this closed bar; returns what changed."""
        if not candle.closed:
            return []
        with self._lock:
            changes: list[TrackedChange] = []
            now = self._clock.now_ms()
            bar_close = candle.open_time + timeframe_ms(timeframe)
            for setup in self._repo.open_setups(symbol=symbol, timeframe=timeframe):
                if candle.open_time <= setup.seen_until:
                    continue  # already applied (a replayed bar) or the signal bar itself
                still_true = None
                if self._condition is not None and setup.state in ("new", "active"):
                    still_true = self._condition(setup, bar_close)
                # Exit terms that held at the previous bar's close close the position at this bar's open.
                exit_due = (
                    self._exit_check is not None
                    and setup.state == "triggered"
                    and self._exit_check(setup, candle.open_time)
                )
                updated, transitions = advance(setup, candle, now, still_true, exit_due)
                self._repo.save_transitions(updated, transitions)
                if not transitions:
                    continue
                changes.append(TrackedChange(updated, tuple(transitions)))
                for transition in transitions:
                    log.info(
                        "%s %s %s: %s → %s at %g (%s)",
                        setup.strategy,
                        setup.symbol,
                        setup.direction,
                        transition.from_state,
                        transition.to_state,
                        transition.price,
                        transition.note,
                    )
                    if self._notifications is not None:
                        self._notifications.emit(transition_message(updated, transition))
            return changes

    def catch_up(self, symbol: str, timeframe: str, candles: list[Candle]) -> list[TrackedChange]:
        """Replay bars that closed while nothing was watching (after a restart or a `--scan-once` backfill)."""
        changes: list[TrackedChange] = []
        for candle in sorted(candles, key=lambda c: c.open_time):
            changes.extend(self.on_bar_closed(symbol, timeframe, candle))
        return changes
