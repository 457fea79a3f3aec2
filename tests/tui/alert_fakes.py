"""The app over a fake market with a real alert engine (an in-memory alert store, channels that fail on cue)
and fixed market events: what the alert feed, the alerts screen and their snapshots are drawn from."""

from __future__ import annotations

from collections.abc import Callable

from cryptoterm.config.schema import AppConfig
from cryptoterm.domain.alerts import RuleFields, build_rule
from cryptoterm.domain.anomaly import AnomalyEvent
from cryptoterm.domain.market import Trade
from cryptoterm.services.alert_delivery import AlertDelivery
from cryptoterm.services.alert_engine import AlertEngine
from cryptoterm.tui.app import CryptotermApp
from cryptoterm.tui.context import Publish
from cryptoterm.wiring.options import RunOptions
from tests.services.test_alert_engine import FlakyChannels, MemoryAlertStore
from tests.tui.fakes import START_MS, FakeFeed, FakeRuntime

MINUTE = 60_000
EVENTS = [
    AnomalyEvent(START_MS + 20 * MINUTE, "symbol", "SOL/USDT", "volume", "warning", 6.4, 7.9),
    AnomalyEvent(
        START_MS + 35 * MINUTE, "market", "", "return", "critical", -11.2, -0.061,
        ("ADA/USDT", "AVAX/USDT", "BTC/USDT", "DOGE/USDT", "ETH/USDT", "SOL/USDT"),
    ),
]  # fmt: skip


class FixedAnomalies:
    """The `AnomaliesView` shape with fixed events and scores."""

    timeframe = "5m"

    def __init__(self) -> None:
        self.events = list(EVENTS)
        self.listeners: list[Callable[[list[AnomalyEvent]], None]] = []

    def recent(self) -> list[AnomalyEvent]:
        return list(reversed(self.events))

    def attention(self) -> dict[str, float]:
        return {"BTC/USDT": 11.2, "ETH/USDT": 3.4, "SOL/USDT": 6.4}

    def on_events(self, listener: Callable[[list[AnomalyEvent]], None]) -> None:
        self.listeners.append(listener)


def rules() -> list[object]:
    return [
        build_rule(RuleFields(name="eth-dip", symbol="ETH/USDT", when="price crosses_below 2675", cooldown="10m",
                              tags=("telegram",)), origin="config"),
        build_rule(RuleFields(name="btc-breakout", symbol="BTC/USDT", when="price above 61500"), origin="config"),
        build_rule(RuleFields(name="oversold-4h", symbol="BTC/USDT", when="rsi(14) @4h < 25"), origin="config"),
    ]  # fmt: skip


class AlertsRuntime(FakeRuntime):
    """A fake market whose alert engine fired twice before the app showed (one delivered, one failed)."""

    def __init__(self, feed: FakeFeed, *, failures: int = 0) -> None:
        super().__init__(feed, mode="demo", exchange="sim")
        self.store_ = MemoryAlertStore()
        self.channels = FlakyChannels(failures=failures, retries=1, now_ms=START_MS + 12 * MINUTE + 400)
        delivery = AlertDelivery(self.store_, self.channels)
        self.alerts: AlertEngine = AlertEngine(
            self.store_,
            delivery,
            feed,
            lambda: START_MS + 60 * MINUTE,
            rules(),
            check_interval_s=3600,  # type: ignore[arg-type]
        )
        self.alerts.load()
        self.anomalies: FixedAnomalies = FixedAnomalies()

    async def start(self) -> None:
        await super().start()
        await self.alerts.start()
        self.alerts.on_trades(
            [
                Trade("ETH/USDT", START_MS + 10 * MINUTE, 2680.0, 1.0, "buy"),
                Trade("ETH/USDT", START_MS + 12 * MINUTE, 2670.0, 1.0, "sell"),
                Trade("BTC/USDT", START_MS + 40 * MINUTE, 61600.0, 1.0, "buy"),
            ]
        )
        await self.alerts.drain()

    async def close(self) -> None:
        await self.alerts.close()
        await super().close()


def alerts_app(config: AppConfig | None = None, *, failures: int = 0) -> CryptotermApp:
    """The real app over `AlertsRuntime` (the second firing fails every attempt when `failures` ≥ 4)."""

    def build(config: AppConfig, options: RunOptions, publish: Publish) -> AlertsRuntime:
        return AlertsRuntime(FakeFeed(config.watchlist.symbols, publish=publish), failures=failures)

    return CryptotermApp(config or AppConfig(), RunOptions(mode="demo"), build_engine=build)  # type: ignore[arg-type]
