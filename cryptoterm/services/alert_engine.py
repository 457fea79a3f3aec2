"""The alert engine: every rule checked where the engine runs — the TUI and `--headless`, live, demo and replay.

It is fed by the market feed like the scanner is: `on_trades` with every batch of trades (price rules are
checked trade by trade, so a crossing between two bar closes is seen), `on_bar_closed` with every closed bar
(change rules on 1m closes; volume, z-score and condition rules on their timeframe's close), and a timer for the
data events (stream stalls, quality scores). Market time is the trade's or the bar's own time, so a replay fires
exactly as the live session did, and cooldowns count market minutes.

Cheap checks (prices) run on the event loop. Bar checks read candles: the bars are copied on the loop at the
moment the bar closes (no later bar can leak in) and evaluated in one worker thread, in the order bars closed.
Firings go to `AlertDelivery` (stored, delivered, recorded). Rules come from the config (`[[alert]]`) and the
store (created in the TUI or with `cryptoterm alerts add`); `add_rule`, `remove_rule`, `set_enabled` and
`test_fire` change them while running, and rules another process stored (`cryptoterm alerts add` beside a
`--headless` engine) are picked up every `RULES_REFRESH_S`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from cryptoterm.domain.alerts import AlertRule, AlertState, RuleFields, build_rule, spent, step
from cryptoterm.domain.alerts.checks import check_price
from cryptoterm.domain.alerts.triggers import (
    ChangeTrigger,
    ConditionTrigger,
    PriceTrigger,
    QualityTrigger,
    StallTrigger,
    VolumeSpikeTrigger,
    ZScoreTrigger,
)
from cryptoterm.domain.market import BarClosed, Trade
from cryptoterm.domain.quality import QualityReport
from cryptoterm.ports.alerts import AlertEvent, AlertStore
from cryptoterm.ports.market import StreamHealth
from cryptoterm.services.alert_bar_checks import (
    BarCheck,
    BarReading,
    CandleView,
    ConditionCache,
    HedgeLookup,
    copy_inputs,
    read_bar_check,
)
from cryptoterm.services.alert_delivery import AlertDelivery, EventListener
from cryptoterm.services.alert_messages import firing_for

log = logging.getLogger(__name__)

RulesListener = Callable[[list["RuleStatus"]], None]
#: Seconds between reads of the stored rules (rules another process added or removed start or stop).
RULES_REFRESH_S = 10.0


@dataclass(frozen=True, slots=True)
class RuleStatus:
    """A rule as the alerts screen and `alerts list` show it."""

    rule: AlertRule
    state: AlertState
    spent: bool


@dataclass(slots=True)
class _Live:
    """A running rule: the rule, its state, and per-trigger memory (the last side of a price level, per-series
    holding of data rules)."""

    rule: AlertRule
    state: AlertState
    side: int = 0
    holding: dict[str, bool] = field(default_factory=dict)
    stalls: int | None = None


class AlertEngine:
    """Checks every rule on trades, bar closes and data reports; see the module docstring."""

    def __init__(
        self,
        store: AlertStore,
        delivery: AlertDelivery,
        candles: CandleView,
        clock: Callable[[], int],
        config_rules: Sequence[AlertRule] = (),
        *,
        health: Callable[[], Sequence[StreamHealth]] | None = None,
        quality: Callable[[], Mapping[tuple[str, str], QualityReport]] | None = None,
        check_interval_s: float = 1.0,
        pair_hedges: HedgeLookup | None = None,
    ) -> None:
        self._store = store
        self.delivery = delivery
        self._candles = candles
        self._clock = clock
        self._config_rules = tuple(config_rules)
        self._health = health
        self._quality = quality
        self._interval = check_interval_s
        self._hedges = pair_hedges
        self._lock = threading.RLock()
        self._live: dict[str, _Live] = {}
        self._by_symbol: dict[str, list[_Live]] = {}
        self._last_price: dict[str, float] = {}
        self._bars = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cryptoterm-alerts")
        self._conditions = ConditionCache()
        self._timer: asyncio.Task[None] | None = None
        self._rules_listeners: list[RulesListener] = []
        self._closed = False
        self.checks = 0

    # ------------------------------------------------------------------ lifecycle
    def load(self) -> None:
        """Store the config's rules and read every rule with its state (blocking: call from a thread)."""
        self._store.sync_config_rules(self._config_rules, self._clock())
        with self._lock:
            self._live = {s.rule.name: _Live(s.rule, s.state) for s in self._store.rules()}
            self._reindex()
        self.delivery.load_recent(self._store.events(limit=200))
        if self._live:
            log.info("alerts: %d rule(s) loaded", len(self._live))

    async def start(self) -> None:
        """Bind delivery to this loop and start the data-event timer (after `load`)."""
        self.delivery.bind(asyncio.get_running_loop())
        self._timer = asyncio.get_running_loop().create_task(self._tick_forever(), name="alert data checks")

    async def close(self) -> None:
        """Finish the queued bar checks, store and deliver what fired, stop."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
        await asyncio.to_thread(self._bars.shutdown, True)
        await self.delivery.drain()
        self.delivery.close()

    async def drain(self) -> None:
        """Wait until every bar check queued so far ran and every firing is stored and delivered."""
        await asyncio.to_thread(lambda: self._bars.submit(lambda: None).result())
        await self.delivery.drain()

    # ------------------------------------------------------------------ rules
    def statuses(self) -> list[RuleStatus]:
        now = self._clock()
        with self._lock:
            return [
                RuleStatus(live.rule, live.state, spent(live.rule, live.state, now)) for live in self._live.values()
            ]

    def on_rules_changed(self, listener: RulesListener) -> None:
        self._rules_listeners.append(listener)

    def add_rule(self, fields: RuleFields) -> AlertRule:
        """Check, store and start a user rule (replacing one of the same name). Blocking; raises
        `AlertRuleError` (bad field) or `ValueError` (the name belongs to a config rule)."""
        rule = self._store.save_rule(build_rule(fields, origin="user"), self._clock())
        with self._lock:
            previous = self._live.get(rule.name)
            state = previous.state if previous is not None and previous.rule.when == rule.when else AlertState()
            self._live[rule.name] = _Live(rule, replace(state, holding=False))
            self._reindex()
        self._rules_changed()
        return rule

    def remove_rule(self, name: str) -> bool:
        """Delete a user rule (its firings stay). Blocking; `ValueError` for a config rule."""
        removed = self._store.delete_rule(name)
        with self._lock:
            if self._live.pop(name, None) is not None:
                self._reindex()
        self._rules_changed()
        return removed

    def set_enabled(self, name: str, enabled: bool) -> AlertRule:
        """Pause or resume a rule. User rules are stored; a config rule is paused until the next start."""
        with self._lock:
            live = self._live.get(name)
            if live is None:
                raise ValueError(f'no alert named "{name}"')
            rule = replace(live.rule, enabled=enabled)
        if rule.origin == "user":
            rule = self._store.save_rule(rule, self._clock())
        with self._lock:
            live.rule = rule
            self._reindex()
        self._rules_changed()
        return rule

    def test_fire(self, name: str) -> None:
        """Send the rule's message now, marked as a test (its state does not change)."""
        with self._lock:
            live = self._live.get(name)
            if live is None:
                raise ValueError(f'no alert named "{name}"')
            rule = live.rule
        price = self._last_price.get(rule.symbol)
        self._submit(rule, self._clock(), price=price, value=price, values={}, test=True)

    def recent(self) -> list[AlertEvent]:
        return self.delivery.recent()

    def on_event(self, listener: EventListener) -> None:
        self.delivery.on_event(listener)

    def mark_read(self, event_ids: Sequence[int]) -> None:
        """The feed showed these firings to the user (the unread count)."""
        self.delivery.mark_read(event_ids)

    def _rules_changed(self) -> None:
        statuses = self.statuses()
        for listener in self._rules_listeners:
            try:
                listener(statuses)
            except Exception:
                log.exception("alert rules listener failed")

    def _reindex(self) -> None:
        by_symbol: dict[str, list[_Live]] = {}
        for live in self._live.values():
            if live.rule.enabled and isinstance(live.rule.trigger, PriceTrigger):
                by_symbol.setdefault(live.rule.symbol, []).append(live)
        self._by_symbol = by_symbol

    # ------------------------------------------------------------------ trades (event loop, hot)
    def on_trades(self, trades: Sequence[Trade]) -> None:
        """Check price rules trade by trade. Symbols without a price rule cost one dict lookup per trade."""
        if not trades:
            return
        last = self._last_price
        by_symbol = self._by_symbol
        for trade in trades:
            last[trade.symbol] = trade.price
            watching = by_symbol.get(trade.symbol)
            if watching is None:
                continue
            for live in watching:
                trigger = live.rule.trigger
                assert isinstance(trigger, PriceTrigger)
                hit, live.side = check_price(trigger.op, trigger.level, live.side, trade.price)
                if not hit and not live.state.holding:
                    continue
                self._decide(
                    live, hit, trade.ts, trade.price, event=trigger.op.startswith("crosses"), value=trade.price
                )

    # ------------------------------------------------------------------ bar closes
    def on_bar_closed(self, event: BarClosed) -> None:
        """Copy the bars each interested rule reads now, and check them in the worker thread."""
        if self._closed:
            return
        checks: list[BarCheck] = []
        with self._lock:
            for live in self._live.values():
                rule = live.rule
                if not rule.enabled or rule.symbol != event.symbol:
                    continue
                trigger = rule.trigger
                if isinstance(trigger, ChangeTrigger):
                    interested = event.timeframe == "1m"
                elif isinstance(trigger, VolumeSpikeTrigger | ZScoreTrigger | ConditionTrigger):
                    interested = event.timeframe == rule.timeframe
                else:
                    interested = False
                if interested:
                    checks.append(copy_inputs(rule, event, self._candles, self._conditions, self._hedges))
        if checks:
            self._bars.submit(self._check_bars, checks)

    def _check_bars(self, checks: list[BarCheck]) -> None:
        for check in checks:
            try:
                reading = read_bar_check(check)
            except Exception:
                log.exception("alert %s: checking the %s bar failed", check.rule.name, check.event.timeframe)
                continue
            self._apply_reading(check, reading)

    def _apply_reading(self, check: BarCheck, reading: BarReading) -> None:
        with self._lock:
            live = self._live.get(check.rule.name)
            if live is None or live.rule is not check.rule:
                return
            candle = check.event.candle
            self._decide(live, reading.holds, check.close_ms, candle.close, value=reading.value, values=reading.values)

    # ------------------------------------------------------------------ data events (timer)
    async def _tick_forever(self) -> None:
        refresh_every = max(1, round(RULES_REFRESH_S / self._interval))
        ticks = 0
        while True:
            await asyncio.sleep(self._interval)
            ticks += 1
            try:
                self.check_data()
                if ticks % refresh_every == 0:
                    await asyncio.to_thread(self.refresh_rules)
            except Exception:
                log.exception("alert data checks failed")

    def refresh_rules(self) -> bool:
        """Pick up the stored rules another process changed (`cryptoterm alerts add / remove` while this engine
        runs): new and edited user rules start, deleted ones stop. Blocking (a store read); True if any changed."""
        stored = {s.rule.name: s for s in self._store.rules() if s.rule.origin == "user"}
        changed = False
        with self._lock:
            for name, live in list(self._live.items()):
                if live.rule.origin == "user" and name not in stored:
                    del self._live[name]
                    changed = True
            for name, found in stored.items():
                current = self._live.get(name)
                if current is not None and current.rule == found.rule:
                    continue
                keep = current is not None and current.rule.when == found.rule.when
                self._live[name] = _Live(found.rule, current.state if current is not None and keep else found.state)
                changed = True
            if changed:
                self._reindex()
        if changed:
            log.info("alerts: rules changed in the database; %d rule(s) running", len(self._live))
            self._rules_changed()
        return changed

    def check_data(self, now_ms: int | None = None) -> None:
        """Check stall and quality rules against the streams' health and the newest quality reports."""
        now = self._clock() if now_ms is None else now_ms
        health = list(self._health()) if self._health is not None else []
        reports = dict(self._quality()) if self._quality is not None else {}
        with self._lock:
            for live in list(self._live.values()):
                trigger = live.rule.trigger
                if isinstance(trigger, StallTrigger):
                    self._check_stalls(live, health, now)
                elif isinstance(trigger, QualityTrigger):
                    self._check_quality(live, trigger, reports, now)

    def _check_stalls(self, live: _Live, health: Sequence[StreamHealth], now: int) -> None:
        total = sum(h.stalls for h in health)
        before, live.stalls = live.stalls, total
        if before is None or total <= before:
            return
        stalled = ", ".join(h.name for h in health if h.stalls) or "a stream"
        self._decide(
            live, True, now, None, event=True, value=float(total), values={"stalls": float(total)}, what=stalled
        )

    def _check_quality(
        self, live: _Live, trigger: QualityTrigger, reports: Mapping[tuple[str, str], QualityReport], now: int
    ) -> None:
        rule = live.rule
        for (symbol, timeframe), report in sorted(reports.items()):
            if (rule.symbol and symbol != rule.symbol) or (rule.timeframe and timeframe != rule.timeframe):
                continue
            key = f"{symbol} {timeframe}"
            holds = report.score < trigger.below
            was = live.holding.get(key, False)
            live.holding[key] = holds
            if holds and not was:  # each series starting to score low is one candidate
                values = {"score": report.score}
                self._decide(live, True, now, None, event=True, value=report.score, values=values, what=key)

    # ------------------------------------------------------------------ firing
    def _decide(
        self,
        live: _Live,
        holds: bool,
        ts: int,
        price: float | None,
        *,
        event: bool = False,
        value: float | None = None,
        values: Mapping[str, float] | None = None,
        what: str = "",
    ) -> None:
        verdict = step(live.rule, live.state, holds, ts, event=event)
        live.state = verdict.state
        self.checks += 1
        if verdict.fire:
            self._submit(live.rule, ts, price=price, value=value, values=values or {}, what=what)

    def _submit(
        self,
        rule: AlertRule,
        ts: int,
        *,
        price: float | None,
        value: float | None,
        values: Mapping[str, float],
        what: str = "",
        test: bool = False,
    ) -> None:
        self.delivery.submit(firing_for(rule, ts, price=price, value=value, values=values, what=what, test=test))
