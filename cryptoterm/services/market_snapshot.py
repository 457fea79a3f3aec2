"""Immutable snapshots the services publish to the UI.

Workers never touch widgets: they hand a frozen snapshot to a `publish` callback, the TUI wraps it in a
message whose `can_replace` lets the newest snapshot replace a queued older one, and widgets repaint from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptoterm.domain.market import Candle, TickerStats
from cryptoterm.ports.market import StreamHealth


@dataclass(frozen=True, slots=True)
class FeedStats:
    """Throughput and freshness of the market feed, for the status bar and the health screen."""

    mode: str  # "demo", "live", "replay"
    exchange: str
    messages_total: int = 0
    messages_per_s: float = 0.0
    trades_total: int = 0
    last_message_ms: int = 0
    bars_closed: int = 0
    late_trades: int = 0
    store_queue: int = 0
    health: tuple[StreamHealth, ...] = ()


@dataclass(frozen=True, slots=True)
class MarketSnapshot:
    """Everything the dashboard shows, as of `ts` (epoch ms, the feed's clock)."""

    ts: int
    tickers: tuple[TickerStats, ...]
    stats: FeedStats
    #: symbol → the forming (unclosed) bar per timeframe, so charts can show the live candle.
    forming: dict[str, dict[str, Candle]] = field(default_factory=dict)
