"""The alert engine on real recorded trades and on built bars: price rules trade by trade, bar-close rules on
the bars as they were when the bar closed, data events, cooldown in market time, delivery statuses and retries,
test-fire and rule changes while running."""

from __future__ import annotations

import asyncio
import csv
import gzip
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from cryptoterm.domain.alerts import AlertRule, RuleFields, build_rule
from cryptoterm.domain.market import BarClosed, Candle, Trade
from cryptoterm.ports.alerts import (
    AlertEvent,
    AlertFiring,
    AttemptListener,
    DeliveryAttempt,
    DeliveryStatus,
    StoredRule,
)
from cryptoterm.ports.market import StreamHealth
from cryptoterm.services.alert_delivery import AlertDelivery
from cryptoterm.services.alert_engine import AlertEngine
from tests.waiting import eventually


class MemoryAlertStore:
    """The `AlertStore` port in memory."""

    def __init__(self) -> None:
        self.saved: dict[str, StoredRule] = {}
        self.firings: list[AlertFiring] = []
        self.deliveries: list[tuple[int, DeliveryAttempt]] = []
        self.finished: dict[int, tuple[DeliveryStatus, int, str]] = {}

    def sync_config_rules(self, rules: Sequence[AlertRule], now_ms: int) -> None:
        for rule in rules:
            old = self.saved.get(rule.name)
            self.saved[rule.name] = StoredRule(rule, old.state if old else StoredRule(rule, _state()).state)

    def rules(self) -> list[StoredRule]:
        return list(self.saved.values())

    def save_rule(self, rule: AlertRule, now_ms: int) -> AlertRule:
        old = self.saved.get(rule.name)
        if old is not None and old.rule.origin == "config":
            raise ValueError(f'alert "{rule.name}" is defined in the config file; edit it there')
        stored = replace(rule, id=len(self.saved) + 1)
        self.saved[rule.name] = StoredRule(stored, old.state if old else _state())
        return stored

    def delete_rule(self, name: str) -> bool:
        return self.saved.pop(name, None) is not None

    def record_firing(self, firing: AlertFiring) -> int:
        self.firings.append(firing)
        return len(self.firings)

    def record_delivery(self, event_id: int, attempt: DeliveryAttempt) -> None:
        self.deliveries.append((event_id, attempt))

    def finish_event(self, event_id: int, status: DeliveryStatus, attempts: int, error: str) -> None:
        self.finished[event_id] = (status, attempts, error)

    def events(self, limit: int = 200, *, since_ms: int | None = None, until_ms: int | None = None) -> list[AlertEvent]:
        return []

    def mark_read(self, event_ids: Sequence[int]) -> None:
        return None


def _state():  # type: ignore[no-untyped-def]
    from cryptoterm.domain.alerts import AlertState

    return AlertState()


class FlakyChannels:
    """Channels whose first `failures` attempts fail; each send makes up to 1 + `retries` attempts."""

    def __init__(self, failures: int = 0, retries: int = 2, now_ms: int = 0) -> None:
        self.failures = failures
        self.retries = retries
        self.now_ms = now_ms
        self.sent: list[tuple[tuple[str, ...], str, str]] = []

    async def send_alert(
        self, tags: Sequence[str], title: str, body: str, on_attempt: AttemptListener
    ) -> DeliveryStatus:
        for attempt in range(1, self.retries + 2):
            ok = self.failures <= 0
            self.failures -= 1
            on_attempt(DeliveryAttempt(self.now_ms, "json://127.0.0.1/hook", attempt, ok, "" if ok else "HTTP 500"))
            if ok:
                self.sent.append((tuple(tags), title, body))
                return "delivered"
        return "failed"

    def close(self) -> None:
        return None


class Bars:
    """A `CandleView` over fixed series."""

    def __init__(self) -> None:
        self.series: dict[tuple[str, str], list[Candle]] = {}

    def candles(self, symbol: str, timeframe: str, limit: int) -> list[Candle]:
        return self.series.get((symbol, timeframe), [])[-limit:]


def rule(name: str, when: str, symbol: str = "BTC/USDT", **fields: object) -> AlertRule:
    return build_rule(RuleFields(name=name, when=when, symbol=symbol, **fields), origin="config")  # type: ignore[arg-type]


def engine_for(
    rules: Sequence[AlertRule],
    channels: FlakyChannels | None = None,
    bars: Bars | None = None,
    health: list[StreamHealth] | None = None,
) -> tuple[AlertEngine, MemoryAlertStore]:
    store = MemoryAlertStore()
    delivery = AlertDelivery(store, channels)
    engine = AlertEngine(
        store, delivery, bars or Bars(), lambda: 0, rules, health=(lambda: health or []), check_interval_s=3600
    )
    engine.load()
    return engine, store


def recorded_trades(shared_data: Path) -> list[Trade]:
    path = shared_data / "trades" / "binance-spot_BTCUSDT_trades_2024-08-08.csv.gz"
    with gzip.open(path, "rt") as handle:
        return [
            Trade(
                "BTC/USDT",
                int(r["trade_time_ms"]),
                float(r["price"]),
                float(r["qty"]),
                r["taker_side"],
                int(r["trade_id"]),
            )  # type: ignore[arg-type]
            for r in csv.DictReader(handle)
        ]


async def test_price_rules_on_real_trades(shared_data: Path) -> None:
    trades = recorded_trades(shared_data)
    rules = [
        rule("below-any", "price crosses_below 61700"),
        rule("below-cooldown", "price crosses_below 61700", cooldown="10m"),
        rule("either", "price crosses 61700"),
        rule("never", "price above 1000000"),
        rule("above", "price above 61800"),
        rule("once", "price crosses 61700", once=True),
    ]
    engine, store = engine_for(rules)
    for start in range(0, len(trades), 37):  # batches as a stream delivers them
        engine.on_trades(trades[start : start + 37])
    await engine.drain()
    fired = [f.rule_name for f in store.firings]
    # SOURCES.md's 9,757 trades cross 61,700 downwards 4 times and upwards 3 times.
    assert fired.count("below-any") == 4
    assert fired.count("below-cooldown") == 1
    assert fired.count("either") == 7
    assert fired.count("once") == 1
    prices = [t.price for t in trades]
    episodes = sum(1 for i, p in enumerate(prices) if p > 61800 and (i == 0 or prices[i - 1] <= 61800))
    assert episodes == 3 and sum(p > 61800 for p in prices) > 1000
    assert fired.count("above") == episodes  # once each time the price rises above 61,800, not once per trade
    assert "never" not in fired
    first = next(f for f in store.firings if f.rule_name == "below-cooldown")
    assert first.price is not None and first.price < 61700 and "crosses_below 61700" in first.message
    assert all(status == "no_channel" for status, _, _ in store.finished.values())


async def test_delivery_retries_are_recorded_and_the_feed_sees_each_status() -> None:
    channels = FlakyChannels(failures=2, retries=2)
    engine, store = engine_for([rule("b", "price below 100", tags=["desk"])], channels)
    seen: list[tuple[int, str, int]] = []
    engine.delivery.bind(asyncio.get_running_loop())
    engine.on_event(lambda e: seen.append((e.id, e.status, e.attempts)))
    engine.on_trades([Trade("BTC/USDT", 1_000, 99.0, 1.0, "buy")])
    await eventually(lambda: 1 in store.finished, "the firing delivered")
    assert store.finished[1] == ("delivered", 3, "")
    assert [a.delivered for _, a in store.deliveries] == [False, False, True]
    assert seen[0] == (1, "pending", 0) and seen[-1] == (1, "delivered", 3)
    assert channels.sent[0][0] == ("desk",)
    failing = FlakyChannels(failures=10, retries=1)
    engine2, store2 = engine_for([rule("b", "price below 100")], failing)
    engine2.on_trades([Trade("BTC/USDT", 1_000, 99.0, 1.0, "buy")])
    await engine2.drain()
    assert store2.finished[1] == ("failed", 2, "HTTP 500")


def candle(open_time: int, close: float, volume: float = 1.0) -> Candle:
    return Candle(open_time, close, close + 1, close - 1, close, volume)


async def test_bar_rules_read_the_bars_as_they_were_when_the_bar_closed() -> None:
    bars = Bars()
    hour = 3_600_000
    series = [candle(i * hour, 100 + i * 0.1, volume=10.0) for i in range(30)]
    series[-1] = candle(29 * hour, 100 + 29 * 0.1, volume=50.0)  # the bar that closes: 5 × the median volume
    bars.series["BTC/USDT", "1h"] = series
    engine, store = engine_for([rule("spike", "volume spike 3x", timeframe="1h")], bars=bars)
    engine.on_bar_closed(BarClosed("BTC/USDT", "1h", series[-1]))
    bars.series["BTC/USDT", "1h"] = [*series, candle(30 * hour, 200, volume=10.0)]  # a later bar must not count
    await engine.drain()
    assert [f.rule_name for f in store.firings] == ["spike"]
    assert store.firings[0].value == pytest.approx(5.0) and store.firings[0].ts == 30 * hour


async def test_change_rules_on_minute_closes() -> None:
    bars = Bars()
    minute = 60_000
    series = [candle(i * minute, 100.0) for i in range(61)] + [candle(61 * minute, 106.0)]
    bars.series["BTC/USDT", "1m"] = series
    engine, store = engine_for([rule("pump", "change 1h above 5%")], bars=bars)
    engine.on_bar_closed(BarClosed("BTC/USDT", "5m", series[-1]))  # not the timeframe change rules read
    engine.on_bar_closed(BarClosed("BTC/USDT", "1m", series[-1]))
    await engine.drain()
    assert [f.rule_name for f in store.firings] == ["pump"]
    assert store.firings[0].value == pytest.approx(6.0)


async def test_stall_rules_fire_when_a_stream_is_dropped_for_silence() -> None:
    health = [StreamHealth("binance", "connected", stalls=0)]
    engine, store = engine_for([build_rule(RuleFields(name="quiet", when="stream stalled"))], health=health)
    engine.check_data(1_000)
    health[0] = replace(health[0], stalls=1)
    engine.check_data(2_000)
    engine.check_data(3_000)
    await engine.drain()
    assert [(f.rule_name, f.ts, f.symbol) for f in store.firings] == [("quiet", 2_000, "binance")]


async def test_rules_change_while_running_and_test_fire_leaves_the_state_alone() -> None:
    engine, store = engine_for([rule("cfg", "price above 100")])
    added = engine.add_rule(RuleFields(name="mine", when="price below 50", symbol="BTC/USDT"))
    assert added.origin == "user" and {s.rule.name for s in engine.statuses()} == {"cfg", "mine"}
    with pytest.raises(ValueError, match="defined in the config"):
        engine.add_rule(RuleFields(name="cfg", when="price below 5", symbol="BTC/USDT"))
    engine.set_enabled("mine", False)
    engine.on_trades([Trade("BTC/USDT", 1, 40.0, 1.0, "sell")])
    engine.test_fire("cfg")
    await engine.drain()
    assert [(f.rule_name, f.test) for f in store.firings] == [("cfg", True)]
    assert {s.rule.name: s.state.fired for s in engine.statuses()} == {"cfg": 0, "mine": 0}
    assert engine.remove_rule("mine")
    assert [s.rule.name for s in engine.statuses()] == ["cfg"]


async def test_zscore_rules_read_the_screens_hedge_or_fit_their_own() -> None:
    import math

    import numpy as np

    from cryptoterm.domain.alerts.checks import PairHedge, hedged_zscore, pair_zscore

    rng = np.random.default_rng(5)
    hour = 3_600_000
    log_x = np.cumsum(rng.normal(0, 0.01, 200)) + np.log(100.0)
    log_y = 0.8 * log_x + 0.5 + rng.normal(0, 0.002, 200)
    log_y[-1] += 0.05  # the spread jumps at the last bar
    bars = Bars()
    bars.series["Y/USDT", "1h"] = [candle(i * hour, float(np.exp(v))) for i, v in enumerate(log_y)]
    bars.series["X/USDT", "1h"] = [candle(i * hour, float(np.exp(v))) for i, v in enumerate(log_x)]
    rule_ = rule("spread", "zscore(X/USDT) beyond 3", symbol="Y/USDT", timeframe="1h")
    last = BarClosed("Y/USDT", "1h", bars.series["Y/USDT", "1h"][-1])

    engine, store = engine_for([rule_], bars=bars)
    engine.on_bar_closed(last)
    await engine.drain()
    times = np.arange(200, dtype=np.int64) * hour
    fitted = pair_zscore(times, np.exp(log_y), times, np.exp(log_x))
    assert fitted > 3 and [f.value for f in store.firings] == [pytest.approx(fitted)]

    hedge = PairHedge(beta=0.8, alpha=0.5, mean=0.0, std=0.004, source="screen #1, ols")
    screened = AlertEngine(
        store2 := MemoryAlertStore(), AlertDelivery(store2, None), bars, lambda: 0, [rule_],
        pair_hedges=lambda y, x: hedge if (y, x) == ("Y/USDT", "X/USDT") else None,
    )  # fmt: skip
    screened.load()
    screened.on_bar_closed(last)
    await screened.drain()
    expected = hedged_zscore(math.exp(log_y[-1]), math.exp(log_x[-1]), hedge)
    assert [f.value for f in store2.firings] == [pytest.approx(expected)]
    assert expected != pytest.approx(fitted)  # the screen's hedge, not a refit


async def test_rules_another_process_stored_are_picked_up() -> None:
    engine, store = engine_for([rule("cfg", "price above 100")])
    assert not engine.refresh_rules()
    other = build_rule(RuleFields(name="cli", when="price below 50", symbol="BTC/USDT"))
    store.save_rule(other, 1)  # `cryptoterm alerts add` in another process
    assert engine.refresh_rules()
    engine.on_trades([Trade("BTC/USDT", 5, 40.0, 1.0, "sell")])
    await engine.drain()
    assert [f.rule_name for f in store.firings] == ["cli"]
    store.delete_rule("cli")
    assert engine.refresh_rules()
    assert [s.rule.name for s in engine.statuses()] == ["cfg"]
