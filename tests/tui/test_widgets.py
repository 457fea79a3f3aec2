"""Pure rendering helpers of the widgets (no terminal needed)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import ta

from cryptoterm.domain.market import Candle, TickerStats
from cryptoterm.ports.market import StreamHealth
from cryptoterm.services.market_snapshot import FeedStats, MarketSnapshot
from cryptoterm.tui.widgets.candle_chart import chart_title
from cryptoterm.tui.widgets.chart_overlays import ema_values
from cryptoterm.tui.widgets.status_bar import connection_state, status_text
from cryptoterm.tui.widgets.watchlist import DOWN_STYLE, UP_STYLE, ticker_cells


def _ticker(last: float, open_24h: float) -> TickerStats:
    return TickerStats("BTC/USDT", 0, last, open_24h, last * 1.01, last * 0.99, 10.0, 1_234_567.0, last - 1, last + 1)


def test_ticker_cells_colour_by_direction_and_format_every_column() -> None:
    up = ticker_cells(_ticker(61_000.0, 60_000.0))
    down = ticker_cells(_ticker(59_000.0, 60_000.0))
    assert up["last"].plain == "61,000.00" and str(up["last"].style) == UP_STYLE
    assert down["change"].plain == "-1.67%" and str(down["change"].style) == DOWN_STYLE
    assert up["volume"].plain == "1.23M"
    assert up["bid"].plain == "60,999.00" and up["ask"].plain == "61,001.00"
    assert up["spread"].plain == f"{2 / 61_000 * 10_000:.1f}"


def test_ticker_cells_without_a_book_show_dashes() -> None:
    cells = ticker_cells(TickerStats("X/USDT", 0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0))
    assert cells["bid"].plain == "–" and cells["spread"].plain == "–" and cells["change"].plain == "–"


def _snapshot(*health: StreamHealth, late: int = 0) -> MarketSnapshot:
    stats = FeedStats("live", "binance", messages_per_s=1234.4, last_message_ms=1_000, late_trades=late, health=health)
    return MarketSnapshot(ts=5_200, tickers=(), stats=stats)


def test_status_text_shows_mode_state_rate_age_late_and_feed_time() -> None:
    text = status_text("live", "binance", _snapshot(StreamHealth("ws", "connected"), late=2)).plain
    assert text.startswith(" LIVE  binance ")
    for part in ("connected", "1,234 msg/s", "last 4.2s", "late 2", "1970-01-01 00:00:05 UTC"):
        assert part in text
    assert "starting" in status_text("demo", "sim", None).plain


def test_status_text_shows_the_market_regime_once_a_scan_has_classified_it() -> None:
    snapshot = _snapshot(StreamHealth("ws", "connected"))
    assert "bear" not in status_text("live", "binance", snapshot).plain
    text = status_text("live", "binance", snapshot, regime="bear")
    assert text.plain.startswith(" LIVE  binance │ bear │ connected")
    assert any(span.style == "bold red" for span in text.spans)
    assert (
        status_text("live", "binance", snapshot, regime="unknown").plain
        == status_text("live", "binance", snapshot).plain
    )


def test_connection_state_reports_the_worst_connection() -> None:
    ok = StreamHealth("trades", "connected")
    assert connection_state((ok, StreamHealth("depth", "reconnecting"))) == "reconnecting"
    assert connection_state((ok, StreamHealth("depth", "connected", breaker="open"))) == "breaker open"
    assert connection_state((ok,)) == "connected"
    assert connection_state(()) == "no stream"


def test_chart_title_names_symbol_timeframe_and_last_price() -> None:
    candles = [Candle(0, 100.0, 101.0, 99.0, 100.5, 1.0), Candle(60_000, 100.5, 103.0, 100.0, 102.0, 1.0)]
    assert chart_title("ETH/USDT", "5m", candles) == "ETH/USDT · 5m · 102.0000 · +2.00% / 2 bars"
    assert chart_title("ETH/USDT", "5m", []) == "ETH/USDT · 5m · waiting for data"


def test_chart_ema_equals_ta() -> None:
    rng = np.random.default_rng(3)
    closes = list(100 * np.exp(np.cumsum(rng.normal(0, 0.01, 300))))
    ours = ema_values(closes, 21)
    reference = ta.trend.ema_indicator(pd.Series(closes), window=21).to_numpy()
    assert len(ours) == len(reference)
    assert all(math.isnan(a) == math.isnan(b) for a, b in zip(ours, reference, strict=True))
    np.testing.assert_allclose(np.nan_to_num(ours), np.nan_to_num(reference), rtol=1e-12)
