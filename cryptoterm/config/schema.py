"""The configuration schema: every key the product reads, with its default.

Structs are frozen (a running service can never see its config change under it) and forbid unknown fields
(a typo is an error naming the key, not a silently ignored setting). `config.example.toml` documents every key
and a test checks that it loads and covers this schema.
"""

from __future__ import annotations

from typing import Literal

import msgspec


class _Section(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Base for every config table."""


class ReliabilityConfig(_Section, frozen=True):
    """Reconnect backoff and the per-connection circuit breaker."""

    backoff_initial_s: float = 1.0
    backoff_max_s: float = 60.0
    breaker_failures: int = 5
    breaker_open_s: float = 60.0
    breaker_successes: int = 2
    request_timeout_s: float = 10.0


class ExchangeConfig(_Section, frozen=True):
    """Which exchange live mode talks to. Empty URLs mean the exchange's own defaults."""

    id: str = "binance"
    market: Literal["spot", "usdm"] = "spot"
    rest_url: str = ""
    ws_url: str = ""
    api_key: str = ""
    api_secret: str = ""
    trade_stream: Literal["trade", "aggTrade"] = "trade"
    depth_levels: int = 20
    reliability: ReliabilityConfig = msgspec.field(default_factory=ReliabilityConfig)


class WatchlistConfig(_Section, frozen=True):
    """Symbols streamed and shown on the dashboard (ccxt-unified, e.g. "BTC/USDT")."""

    symbols: list[str] = msgspec.field(
        default_factory=lambda: [
            "BTC/USDT",
            "ETH/USDT",
            "BNB/USDT",
            "SOL/USDT",
            "XRP/USDT",
            "ADA/USDT",
            "DOGE/USDT",
            "AVAX/USDT",
            "LINK/USDT",
            "DOT/USDT",
        ]
    )
    backfill_days: float = 3.0


class DemoConfig(_Section, frozen=True):
    """The built-in simulated market used by `--demo`."""

    seed: int = 7
    symbols: int = 20
    speed: float = 1.0
    trades_per_second: float = 200.0
    history_days: int = 60


class StoreConfig(_Section, frozen=True):
    """The SQLite file. Empty path means the platform data dir."""

    path: str = ""
    batch_ms: int = 250
    record_trades: bool = False


class UIConfig(_Section, frozen=True):
    """Terminal UI preferences."""

    theme: str = "textual-dark"
    timeframe: Literal["1m", "5m", "15m", "1h", "4h", "1d"] = "1m"
    max_fps: float = 10.0
    ema_period: int = 21


class QualityConfig(_Section, frozen=True):
    """Data-quality checks run over stored and streamed candles."""

    spike_sigma: float = 8.0
    stale_after_s: float = 30.0


class UniverseConfig(_Section, frozen=True):
    """Which symbols a strategy scans: a fixed list, or the top N by 24 h quote volume."""

    symbols: list[str] = msgspec.field(default_factory=list)
    top: int = 0
    quote: str = "USDT"
    exclude: list[str] = msgspec.field(default_factory=lambda: ["stablecoins", "leveraged"])
    min_quote_volume: float = 0.0


class LevelsConfig(_Section, frozen=True):
    """How a hit becomes a setup: entry, stop and target expressions (targets may be "2R")."""

    entry: str = "close"
    stop: str = "close - 1.5 * atr(14)"
    targets: list[str] = msgspec.field(default_factory=lambda: ["2R"])
    entry_zone: str = ""


class StrategyConfig(_Section, frozen=True):
    """One `[[strategy]]` table. Expressions are compiled (and checked) by the scanner's grammar."""

    name: str
    timeframe: Literal["1m", "5m", "15m", "1h", "4h", "1d"] = "1h"
    direction: Literal["long", "short"] = "long"
    enabled: bool = True
    universe: UniverseConfig = msgspec.field(default_factory=UniverseConfig)
    when: list[str] = msgspec.field(default_factory=list)
    any: list[str] = msgspec.field(default_factory=list)
    not_: list[str] = msgspec.field(default_factory=list, name="not")
    levels: LevelsConfig = msgspec.field(default_factory=LevelsConfig)
    expires: str = "12 bars"
    description: str = ""
    #: File the strategy was read from; set by the loader so errors can name it.
    source: str = ""


class RegimeConfig(_Section, frozen=True):
    """Market regime from a reference symbol."""

    symbol: str = "BTC/USDT"
    timeframe: Literal["1m", "5m", "15m", "1h", "4h", "1d"] = "4h"
    ema_period: int = 50
    adx_period: int = 14
    adx_trend: float = 20.0
    atr_period: int = 14
    high_vol_percentile: float = 90.0


class ScannerConfig(_Section, frozen=True):
    """When and how strategies are scanned."""

    interval_s: float = 300.0
    on_candle_close: bool = True
    strategy_files: list[str] = msgspec.field(default_factory=list)
    history_bars: int = 500
    lookback_bars: int = 0
    account_equity: float = 10_000.0
    risk_per_trade_pct: float = 1.0
    regime: RegimeConfig = msgspec.field(default_factory=RegimeConfig)


class NotifyConfig(_Section, frozen=True):
    """apprise delivery. Each URL may carry tags after a space-free `#tag1,tag2` suffix handled by apprise."""

    urls: list[str] = msgspec.field(default_factory=list)
    events: list[Literal["new", "active", "triggered", "closed", "expired", "invalidated", "error"]] = msgspec.field(
        default_factory=lambda: ["new", "triggered", "closed", "error"]
    )
    retries: int = 3
    retry_backoff_s: float = 2.0


class AppConfig(_Section, frozen=True):
    """The whole configuration. `source` is the file it came from ("" for built-in defaults)."""

    exchange: ExchangeConfig = msgspec.field(default_factory=ExchangeConfig)
    watchlist: WatchlistConfig = msgspec.field(default_factory=WatchlistConfig)
    demo: DemoConfig = msgspec.field(default_factory=DemoConfig)
    store: StoreConfig = msgspec.field(default_factory=StoreConfig)
    ui: UIConfig = msgspec.field(default_factory=UIConfig)
    quality: QualityConfig = msgspec.field(default_factory=QualityConfig)
    scanner: ScannerConfig = msgspec.field(default_factory=ScannerConfig)
    notify: NotifyConfig = msgspec.field(default_factory=NotifyConfig)
    strategy: list[StrategyConfig] = msgspec.field(default_factory=list)
    source: str = ""
