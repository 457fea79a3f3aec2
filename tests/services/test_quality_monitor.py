"""Periodic quality checks: the watched series are assessed, stored, and bad data is reported."""

from __future__ import annotations

from pathlib import Path

from cryptoterm.adapters.store import SqliteStore
from cryptoterm.config.schema import QualityConfig
from cryptoterm.domain.market import Candle
from cryptoterm.services.quality_monitor import QualityMonitor

T0 = 1_700_000_000_000 - 1_700_000_000_000 % 3_600_000
MINUTE = 60_000


class Series:
    """A candle source with one symbol: 1m bars with a chosen hole, no 1h bars."""

    def __init__(self, bars: list[Candle]) -> None:
        self.symbols = ["BTC/USDT"]
        self._bars = bars

    def candles(self, symbol: str, timeframe: str, limit: int) -> list[Candle]:
        return self._bars[-limit:] if timeframe == "1m" else []


def _bars(count: int, skip: range = range(0)) -> list[Candle]:
    return [
        Candle(T0 + i * MINUTE, 100 + i % 3, 101 + i % 3, 99 + i % 3, 100.5 + i % 3, 10.0)
        for i in range(count)
        if i not in skip
    ]


def test_a_hole_is_found_stored_and_lowers_the_score(tmp_path: Path) -> None:
    bars = _bars(300, skip=range(100, 110))
    with SqliteStore(tmp_path / "q.db", batch_ms=0) as store:
        monitor = QualityMonitor(Series(bars), store, "sim", QualityConfig(), clock=lambda: T0 + 300 * MINUTE)
        (report,) = monitor.check()
        rows = store.read_quality_metrics("sim")
    assert report.missing_bars == 10 and report.score < 100
    assert monitor.latest["BTC/USDT", "1m"] is report
    (row,) = rows
    assert (row.symbol, row.timeframe, row.missing_bars, row.bars) == ("BTC/USDT", "1m", 10, 290)
    assert row.score == report.score


def test_clean_fresh_series_scores_full_and_a_quiet_feed_is_stale() -> None:
    bars = _bars(200)
    last_close = T0 + 200 * MINUTE
    config = QualityConfig(stale_after_s=30)
    fresh = QualityMonitor(Series(bars), None, "sim", config, clock=lambda: last_close + 5_000)
    (report,) = fresh.check()
    assert report.score == 100 and not report.stale
    quiet = QualityMonitor(
        Series(bars), None, "sim", QualityConfig(stale_after_s=30), clock=lambda: last_close + 600_000
    )
    (stale,) = quiet.check()
    assert stale.stale and stale.score < 100
