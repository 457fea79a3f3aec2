"""The configuration schema: every key the product reads, with its default.

Structs are frozen (a running service can never see its config change under it) and forbid unknown fields
(a typo is an error naming the key, not a silently ignored setting). Every number carries its allowed range as
`msgspec.Meta(ge=…, le=…)`: msgspec enforces it at load (NaN and infinity fall outside every range), the loader
phrases the error with the whole range (`config.ranges`), and the bounds are chosen so that no value inside them
can exhaust memory, hang a loop or divide by zero. `config.example.toml` documents every key and its range, and
a test checks that it loads and covers this schema.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from cryptoterm.config.market_views import BookConfig, FuturesConfig, MarketsConfig, TapeConfig
from cryptoterm.domain.chart_study_terms import StudyError, parse_studies
from cryptoterm.domain.default_levels import DEFAULT_ENTRY, DEFAULT_STOP, DEFAULT_TARGETS


class _Section(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Base for every config table."""


class ReliabilityConfig(_Section, frozen=True):
    """Reconnect backoff and the per-connection circuit breaker."""

    backoff_initial_s: Annotated[float, msgspec.Meta(ge=0.01, le=600.0)] = 1.0
    backoff_max_s: Annotated[float, msgspec.Meta(ge=0.01, le=3600.0)] = 60.0
    breaker_failures: Annotated[int, msgspec.Meta(ge=1, le=100)] = 5
    breaker_open_s: Annotated[float, msgspec.Meta(ge=0.1, le=3600.0)] = 60.0
    breaker_successes: Annotated[int, msgspec.Meta(ge=1, le=100)] = 2
    request_timeout_s: Annotated[float, msgspec.Meta(ge=0.5, le=300.0)] = 10.0
    #: A connection that delivers no data for this long is stalled (even if it answers pings): reconnect.
    stall_after_s: Annotated[float, msgspec.Meta(ge=1.0, le=3600.0)] = 30.0
    #: Longest wait the exchange may ask for (Retry-After, a ban); above it a request fails at once.
    max_wait_s: Annotated[float, msgspec.Meta(ge=0.0, le=86400.0)] = 120.0


class ExchangeConfig(_Section, frozen=True):
    """Which exchange live mode talks to. Empty URLs mean the exchange's own defaults."""

    id: str = "binance"
    market: Literal["spot", "usdm"] = "spot"
    rest_url: str = ""
    ws_url: str = ""
    api_key: str = ""
    api_secret: str = ""
    trade_stream: Literal["trade", "aggTrade"] = "trade"
    depth_levels: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 20
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
    backfill_days: Annotated[float, msgspec.Meta(ge=0.0, le=365.0)] = 3.0


class DemoConfig(_Section, frozen=True):
    """The built-in simulated market used by `--demo`."""

    seed: Annotated[int, msgspec.Meta(ge=0, le=4_294_967_295)] = 7
    symbols: Annotated[int, msgspec.Meta(ge=1, le=20)] = 20
    speed: Annotated[float, msgspec.Meta(ge=0.0, le=3600.0)] = 1.0
    trades_per_second: Annotated[float, msgspec.Meta(ge=0.1, le=10000.0)] = 200.0
    history_days: Annotated[int, msgspec.Meta(ge=1, le=180)] = 60
    #: The most recent days kept at 1m; older ones are 15m bars (timeframes from 15m up reach the whole history).
    minute_days: Annotated[int, msgspec.Meta(ge=1, le=180)] = 7


class StoreConfig(_Section, frozen=True):
    """The SQLite file. Empty path means the platform data dir."""

    path: str = ""
    batch_ms: Annotated[int, msgspec.Meta(ge=0, le=10000)] = 250
    record_trades: bool = False


class UIConfig(_Section, frozen=True):
    """Terminal UI preferences."""

    theme: str = "textual-dark"
    timeframe: Literal["1m", "5m", "15m", "1h", "4h", "1d"] = "1m"
    max_fps: Annotated[float, msgspec.Meta(ge=1.0, le=60.0)] = 10.0
    ema_period: Annotated[int, msgspec.Meta(ge=2, le=500)] = 21


class ChartConfig(_Section, frozen=True):
    """The studies the dashboard and symbol detail charts offer (strategy-language terms, checked at load).

    Empty means the dashboard's classic chart: an EMA of `[ui] ema_period` bars and the volume panel.
    """

    studies: list[str] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        # Raised as a ValueError, msgspec reports it at `$.chart`, and the loader prints one line naming the key.
        try:
            parse_studies(self.studies)
        except StudyError as exc:
            raise ValueError(str(exc)) from None


class QualityConfig(_Section, frozen=True):
    """Data-quality checks run over stored and streamed candles."""

    spike_sigma: Annotated[float, msgspec.Meta(ge=1.0, le=100.0)] = 8.0
    stale_after_s: Annotated[float, msgspec.Meta(ge=1.0, le=86400.0)] = 30.0


class UniverseConfig(_Section, frozen=True):
    """Which symbols a strategy scans: a fixed list, or the top N by 24 h quote volume."""

    symbols: list[str] = msgspec.field(default_factory=list)
    top: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 0
    quote: str = "USDT"
    exclude: list[str] = msgspec.field(default_factory=lambda: ["stablecoins", "leveraged"])
    min_quote_volume: Annotated[float, msgspec.Meta(ge=0.0, le=1e12)] = 0.0


class LevelsConfig(_Section, frozen=True):
    """How a hit becomes a setup: entry, stop and target expressions (targets may be "2R")."""

    entry: str = DEFAULT_ENTRY
    stop: str = DEFAULT_STOP
    targets: list[str] = msgspec.field(default_factory=lambda: list(DEFAULT_TARGETS))
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
    #: Terms that all must hold to close a position at the next bar's open (backtests and setups alike).
    exit: list[str] = msgspec.field(default_factory=list)
    #: Values of the `{name}` placeholders in the expressions (a backtest sweep varies them).
    params: dict[str, float] = msgspec.field(default_factory=dict)
    #: None: the default levels, or no levels at all when `exit` is given (a signal-in, signal-out strategy).
    levels: LevelsConfig | None = None
    expires: str = "12 bars"
    description: str = ""
    #: File the strategy was read from; set by the loader so errors can name it.
    source: str = ""


class RegimeConfig(_Section, frozen=True):
    """Market regime from a reference symbol."""

    symbol: str = "BTC/USDT"
    timeframe: Literal["1m", "5m", "15m", "1h", "4h", "1d"] = "4h"
    ema_period: Annotated[int, msgspec.Meta(ge=2, le=500)] = 50
    adx_period: Annotated[int, msgspec.Meta(ge=2, le=200)] = 14
    adx_trend: Annotated[float, msgspec.Meta(ge=0.0, le=100.0)] = 20.0
    atr_period: Annotated[int, msgspec.Meta(ge=1, le=200)] = 14
    high_vol_percentile: Annotated[float, msgspec.Meta(ge=1.0, le=100.0)] = 90.0


class ScannerConfig(_Section, frozen=True):
    """When and how strategies are scanned."""

    interval_s: Annotated[float, msgspec.Meta(ge=0.0, le=86400.0)] = 300.0
    on_candle_close: bool = True
    strategy_files: list[str] = msgspec.field(default_factory=list)
    history_bars: Annotated[int, msgspec.Meta(ge=10, le=50000)] = 500
    lookback_bars: Annotated[int, msgspec.Meta(ge=0, le=10000)] = 0
    account_equity: Annotated[float, msgspec.Meta(ge=1.0, le=1e12)] = 10_000.0
    risk_per_trade_pct: Annotated[float, msgspec.Meta(ge=0.01, le=100.0)] = 1.0
    regime: RegimeConfig = msgspec.field(default_factory=RegimeConfig)


class NotifyConfig(_Section, frozen=True):
    """apprise delivery. Each URL may carry tags after a space-free `#tag1,tag2` suffix handled by apprise."""

    urls: list[str] = msgspec.field(default_factory=list)
    events: list[Literal["new", "active", "triggered", "closed", "expired", "invalidated", "error"]] = msgspec.field(
        default_factory=lambda: ["new", "triggered", "closed", "error"]
    )
    retries: Annotated[int, msgspec.Meta(ge=0, le=10)] = 3
    retry_backoff_s: Annotated[float, msgspec.Meta(ge=0.0, le=600.0)] = 2.0


class BacktestConfig(_Section, frozen=True):
    """How `cryptoterm backtest` (and the backtest screen) fills, costs and sizes trades; flags override."""

    initial_equity: Annotated[float, msgspec.Meta(ge=1.0, le=1e12)] = 10_000.0
    fee_bps: Annotated[float, msgspec.Meta(ge=0.0, le=1000.0)] = 10.0
    slippage_bps: Annotated[float, msgspec.Meta(ge=0.0, le=1000.0)] = 0.0
    fill: Literal["levels", "next_open"] = "levels"
    sizing: Literal["risk", "equity_pct", "fixed"] = "risk"
    risk_pct: Annotated[float, msgspec.Meta(ge=0.01, le=100.0)] = 1.0
    size_pct: Annotated[float, msgspec.Meta(ge=0.01, le=100.0)] = 100.0
    size_quote: Annotated[float, msgspec.Meta(ge=0.01, le=1e12)] = 1_000.0
    max_positions: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 1


class ComputeConfig(_Section, frozen=True):
    """Where heavy batch work (pair screens) runs: this machine's cores, or a Dask cluster."""

    #: Local worker processes; 0 = one per core, 1 = in the calling process.
    workers: Annotated[int, msgspec.Meta(ge=0, le=256)] = 0
    #: A Dask scheduler ("tcp://host:8786"); empty = the local workers. Needs the `cluster` extra.
    scheduler: str = ""


class ScreenerConfig(_Section, frozen=True):
    """What `cryptoterm screen` (and the screener screen) tests for cointegration, and how; flags override."""

    timeframe: Literal["1m", "5m", "15m", "1h", "4h", "1d"] = "1h"
    #: The newest N common bars of the window are screened.
    bars: Annotated[int, msgspec.Meta(ge=50, le=100_000)] = 1000
    #: Fewest common bars a screen accepts (symbols that would cut the window below it are dropped).
    min_bars: Annotated[int, msgspec.Meta(ge=50, le=100_000)] = 200
    #: Symbols screened when none are listed: the top N stored symbols by 24 h quote volume (0 = all stored).
    top: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 0
    quote: str = "USDT"
    #: Symbols whose median quote volume a bar is below this are left out (thin books mean-revert falsely).
    min_quote_volume: Annotated[float, msgspec.Meta(ge=0.0, le=1e12)] = 0.0
    spread_hedge: Literal["ols", "kalman", "huber"] = "ols"
    family_pvalue: Literal["forward", "both"] = "forward"
    #: Pairs a task holds (memory per worker grows with it and the bars); 0 = sized by the bars.
    chunk_pairs: Annotated[int, msgspec.Meta(ge=0, le=10_000)] = 0
    kalman_observation_variance: Annotated[float, msgspec.Meta(ge=1e-12, le=1.0)] = 1e-3
    kalman_beta_variance: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 1e-7
    kalman_intercept_variance: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 1e-7
    #: Pair detail bands: enter beyond ±entry_z, exit inside ±exit_z.
    entry_z: Annotated[float, msgspec.Meta(ge=0.1, le=10.0)] = 2.0
    exit_z: Annotated[float, msgspec.Meta(ge=0.0, le=10.0)] = 0.5
    correlation_window: Annotated[int, msgspec.Meta(ge=2, le=10_000)] = 100


class AlertsConfig(_Section, frozen=True):
    """The alert engine and the dashboard's alert feed (the rules themselves are `[[alert]]` tables)."""

    #: Ring the terminal bell when an alert fires (the TUI).
    bell: bool = True
    #: Alert events the dashboard feed keeps (newest first).
    feed_size: Annotated[int, msgspec.Meta(ge=10, le=5000)] = 200
    #: Seconds between checks of the data events (stream stalled, quality below N).
    check_interval_s: Annotated[float, msgspec.Meta(ge=0.2, le=3600.0)] = 1.0


class AlertConfig(_Section, frozen=True):
    """One `[[alert]]` table; `when` and the durations are checked by `domain.alerts.build_rule` at start."""

    name: str
    when: str
    symbol: str = ""
    timeframe: Literal["", "1m", "5m", "15m", "1h", "4h", "1d"] = ""
    cooldown: str = "0"
    once: bool = False
    expires: str = ""
    enabled: bool = True
    tags: list[str] = msgspec.field(default_factory=list)
    message: str = ""


class AnomalyConfig(_Section, frozen=True):
    """Market anomaly events: volume, realized volatility and return against a rolling robust baseline."""

    enabled: bool = True
    timeframe: Literal["1m", "5m", "15m", "1h", "4h", "1d"] = "5m"
    #: Bars of the rolling baseline (median / MAD) before the bar judged.
    window: Annotated[int, msgspec.Meta(ge=20, le=5000)] = 200
    #: Robust z-score of a "warning" and of a "critical" event.
    warn_z: Annotated[float, msgspec.Meta(ge=1.0, le=100.0)] = 5.0
    critical_z: Annotated[float, msgspec.Meta(ge=1.0, le=100.0)] = 10.0
    #: Share of the watched symbols that must move together (same bar, same direction) for one market event.
    market_share: Annotated[float, msgspec.Meta(ge=0.1, le=1.0)] = 0.5
    #: Fewest symbols a market event needs (below it, each symbol's event stands alone).
    min_symbols: Annotated[int, msgspec.Meta(ge=2, le=1000)] = 5
    #: Events the dashboard feed keeps.
    feed_size: Annotated[int, msgspec.Meta(ge=10, le=5000)] = 200


class TradingConfig(_Section, frozen=True):
    """Orders: on paper (the default) against the market the app watches, or live on the exchange through ccxt
    for those who opt in. The limits guard both modes; live keys come only from the environment."""

    mode: Literal["paper", "live"] = "paper"
    #: The asset balances and profits are counted in.
    quote: str = "USDT"
    #: The paper account's starting balance of `quote`.
    paper_balance: Annotated[float, msgspec.Meta(ge=1.0, le=1e12)] = 10_000.0
    maker_fee_bps: Annotated[float, msgspec.Meta(ge=0.0, le=1000.0)] = 10.0
    taker_fee_bps: Annotated[float, msgspec.Meta(ge=0.0, le=1000.0)] = 10.0
    #: Paper market orders with no book to walk fill this far beyond the last trade.
    slippage_bps: Annotated[float, msgspec.Meta(ge=0.0, le=1000.0)] = 5.0
    #: Largest order, in `quote` (price × quantity).
    max_order_notional: Annotated[float, msgspec.Meta(ge=1.0, le=1e12)] = 1_000.0
    #: Largest position a symbol may reach, in `quote`.
    max_position_notional: Annotated[float, msgspec.Meta(ge=1.0, le=1e12)] = 5_000.0
    #: New orders are refused once the day's (UTC) realized plus unrealized loss reaches this, in `quote`.
    daily_loss_limit: Annotated[float, msgspec.Meta(ge=1.0, le=1e12)] = 500.0
    #: Environment variables holding the live API key and secret (never written in this file).
    api_key_env: str = "CRYPTOTERM_API_KEY"
    api_secret_env: str = "CRYPTOTERM_API_SECRET"


class AppConfig(_Section, frozen=True):
    """The whole configuration. `source` is the file it came from ("" for built-in defaults)."""

    exchange: ExchangeConfig = msgspec.field(default_factory=ExchangeConfig)
    watchlist: WatchlistConfig = msgspec.field(default_factory=WatchlistConfig)
    demo: DemoConfig = msgspec.field(default_factory=DemoConfig)
    store: StoreConfig = msgspec.field(default_factory=StoreConfig)
    ui: UIConfig = msgspec.field(default_factory=UIConfig)
    chart: ChartConfig = msgspec.field(default_factory=ChartConfig)
    quality: QualityConfig = msgspec.field(default_factory=QualityConfig)
    scanner: ScannerConfig = msgspec.field(default_factory=ScannerConfig)
    notify: NotifyConfig = msgspec.field(default_factory=NotifyConfig)
    backtest: BacktestConfig = msgspec.field(default_factory=BacktestConfig)
    compute: ComputeConfig = msgspec.field(default_factory=ComputeConfig)
    screener: ScreenerConfig = msgspec.field(default_factory=ScreenerConfig)
    alerts: AlertsConfig = msgspec.field(default_factory=AlertsConfig)
    anomaly: AnomalyConfig = msgspec.field(default_factory=AnomalyConfig)
    trading: TradingConfig = msgspec.field(default_factory=TradingConfig)
    markets: MarketsConfig = msgspec.field(default_factory=MarketsConfig)
    tape: TapeConfig = msgspec.field(default_factory=TapeConfig)
    book: BookConfig = msgspec.field(default_factory=BookConfig)
    futures: FuturesConfig = msgspec.field(default_factory=FuturesConfig)
    alert: list[AlertConfig] = msgspec.field(default_factory=list)
    strategy: list[StrategyConfig] = msgspec.field(default_factory=list)
    source: str = ""
