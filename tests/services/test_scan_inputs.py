"""What a scan reads: one depth rule, timeframes derived exactly from lower ones, stale series flagged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cryptoterm.adapters.clock import FrozenClock
from cryptoterm.config.schema import LevelsConfig, ScannerConfig, StrategyConfig, UniverseConfig
from cryptoterm.domain.setups import build_setup
from cryptoterm.domain.strategy import aggregate_complete, compile_strategy
from cryptoterm.domain.timeframes import HOUR_MS
from cryptoterm.services.scan_inputs import ScanFrames, bars_to_read, series_needed
from cryptoterm.services.scanner import Scanner
from cryptoterm.services.universe_provider import UniverseProvider
from tests.services.fakes import MemoryCandles, MemorySetups
from tests.services.test_scanner_data import EXCHANGE, candles_of, read_klines

DAY_MS = 24 * HOUR_MS


def test_a_derived_day_equals_the_exchange_s_own_daily_bar(shared_data: Path) -> None:
    """Deriving 1d from Binance's 1h klines gives Binance's 1d klines, exactly, for every complete day; a day
    with an outage hour is left out, never made up."""
    hourly = read_klines(shared_data, "BTC")
    daily = read_klines(shared_data, "BTC", "1d")
    derived = aggregate_complete(hourly, "1h", "1d")
    hours = pd.Series(1, index=hourly.index // DAY_MS * DAY_MS).groupby(level=0).sum()
    assert set(derived.index) == set(hours[hours == 24].index)
    missing_days = set(hours[hours < 24].index)
    assert missing_days and not missing_days & set(derived.index)  # the real outages of SOURCES.md
    both = derived.index.intersection(daily.index)
    assert len(both) > 700
    for column in ("open", "high", "low", "close"):
        assert np.array_equal(derived.loc[both, column].to_numpy(), daily.loc[both, column].to_numpy()), column
    np.testing.assert_allclose(derived.loc[both, "volume"], daily.loc[both, "volume"], rtol=1e-9)


def _strategy(**kw: object) -> StrategyConfig:
    args: dict[str, object] = {
        "name": "four-hour",
        "timeframe": "4h",
        "when": ["close > ema(20) @1d"],
        "levels": LevelsConfig(entry="close", stop="close - 2 * atr(14)", targets=["2R"]),
        "universe": UniverseConfig(symbols=["BTC/USDT", "ETH/USDT"]),
        **kw,
    }
    return StrategyConfig(**args)  # type: ignore[arg-type]


def test_a_4h_strategy_with_a_daily_term_scans_when_only_1h_was_downloaded(shared_data: Path) -> None:
    candles = MemoryCandles()
    for base in ("BTC", "ETH"):
        candles.write_candles(EXCHANGE, f"{base}/USDT", "1h", candles_of(read_klines(shared_data, base).tail(2400)))
    end = max(t for rows in candles.series.values() for t in rows) + HOUR_MS
    strategy = compile_strategy(_strategy(when=["close > 0", "close > ema(20) @1d"]))
    config = ScannerConfig(history_bars=120)
    universe = UniverseProvider(candles, EXCHANGE, {"four-hour": strategy.config.universe}, [])
    records = MemorySetups()
    scanner = Scanner(candles, records, records, [strategy], config, EXCHANGE, FrozenClock(end), None, universe)
    report = scanner.scan("test")
    assert report.errors == ()
    assert {"BTC/USDT 4h derived from 1h", "BTC/USDT 1d derived from 1h", "ETH/USDT 4h derived from 1h"} <= set(
        report.notes
    )
    assert "BTC/USDT 4h derived from 1h" in records.scan_runs()[0].notes  # the scan log says so
    frames = ScanFrames(candles, EXCHANGE, config, end)
    data = frames.frames_for(strategy, "BTC/USDT")
    assert len(data["4h"]) == bars_to_read(strategy, config) and int(data["4h"].index[-1]) == end - 4 * HOUR_MS
    assert len(data["1d"]) == 99  # every complete day of the 2,400 hours: deep enough for the daily EMA(20)
    assert np.isfinite(strategy.evaluate(data).terms[1].values["ema(20)@1d"][-1])


def test_one_depth_rule_covers_strategies_higher_timeframes_the_regime_and_open_setups() -> None:
    strategy = compile_strategy(_strategy())
    config = ScannerConfig(history_bars=300)
    now = 1_688_169_600_000  # 2023-07-01 00:00 UTC
    open_setup = build_setup(
        strategy="old", symbol="DOGE/USDT", timeframe="1h", direction="long", entry=1.0, stop=0.9, targets=[1.2],
        bar_time=now - 50 * HOUR_MS, created_ms=now - 49 * HOUR_MS, expires_bars=80, equity=1000, risk_pct=1,
    )  # fmt: skip
    wanted = series_needed([strategy], lambda s: ["ETH/USDT"], [open_setup], config, now)
    depth = bars_to_read(strategy, config) + 1
    assert wanted[("ETH/USDT", "4h")] == now - depth * 4 * HOUR_MS
    assert wanted[("ETH/USDT", "1d")] == now - depth * DAY_MS
    assert wanted[(config.regime.symbol, config.regime.timeframe)] == now - 601 * 4 * HOUR_MS
    assert wanted[("DOGE/USDT", "1h")] == now - 49 * HOUR_MS  # every bar after the newest one applied to it


def test_a_series_far_behind_the_clock_is_flagged_stale(shared_data: Path) -> None:
    candles = MemoryCandles()
    candles.write_candles(EXCHANGE, "BTC/USDT", "1h", candles_of(read_klines(shared_data, "BTC").tail(400)))
    end = max(candles.series[EXCHANGE, "BTC/USDT", "1h"]) + HOUR_MS
    strategy = compile_strategy(_strategy(timeframe="1h", when=["close > 0"]))
    fresh = ScanFrames(candles, EXCHANGE, ScannerConfig(), end + 30 * 60_000)
    fresh.frames_for(strategy, "BTC/USDT")
    assert fresh.stale == {}
    late = ScanFrames(candles, EXCHANGE, ScannerConfig(), end + 3 * 365 * DAY_MS)
    late.frames_for(strategy, "BTC/USDT")
    (stale,) = late.stale.values()
    assert stale.symbol == "BTC/USDT" and stale.bars_behind == pytest.approx(3 * 365 * 24, abs=1)
