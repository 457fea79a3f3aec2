"""The backtester service on real candles: the same numbers as vectorbt through the store, the scanner's own
setups under the levels fill, ranges with warm-up, derived timeframes, and errors that never fail a run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cryptoterm.adapters.clock import FrozenClock
from cryptoterm.config.schema import LevelsConfig, ScannerConfig, StrategyConfig, UniverseConfig
from cryptoterm.domain.backtest.rules import BacktestRules
from cryptoterm.domain.strategy import compile_strategy
from cryptoterm.domain.timeframes import HOUR_MS
from cryptoterm.services.backtester import Backtester, BacktestError, BacktestRequest
from cryptoterm.services.scan_inputs import bars_to_read
from cryptoterm.services.scanner import Scanner
from cryptoterm.services.universe_provider import UniverseProvider
from tests.services.fakes import MemoryCandles, MemorySetups
from tests.services.test_scanner_data import EXCHANGE, candles_of, read_klines

FIXTURE = Path(__file__).parents[1] / "domain" / "fixtures" / "vectorbt_sma_cross_btc_1h.json"
SMA_CROSS = StrategyConfig(
    name="sma-cross", when=["sma(10) crosses_above sma(50)"], exit=["sma(10) crosses_below sma(50)"]
)


@pytest.fixture(scope="module")
def candles(shared_data: Path) -> MemoryCandles:
    store = MemoryCandles()
    for base in ("BTC", "ETH"):
        store.write_candles(EXCHANGE, f"{base}/USDT", "1h", candles_of(read_klines(shared_data, base)))
    return store


def test_the_store_path_gives_vectorbt_s_numbers(candles: MemoryCandles) -> None:
    rules = BacktestRules(initial_equity=10_000.0, fee_bps=10.0, fill="next_open", sizing="equity_pct")
    run = Backtester(candles, EXCHANGE, ScannerConfig()).run(BacktestRequest(SMA_CROSS, ("BTC/USDT",), rules))
    reference = json.loads(FIXTURE.read_text())
    assert len(run.result.trades) == len(reference["trades"])
    assert run.metrics.final_equity == pytest.approx(reference["final_equity"], rel=1e-12)
    assert run.errors == () and run.toml.startswith("[[strategy]]") and len(run.digest) == 64


def test_a_range_trades_only_inside_it_with_warmed_up_indicators(candles: MemoryCandles) -> None:
    since, until = 1_640_995_200_000, 1_656_633_600_000  # 2022-01-01 → 2022-07-01
    rules = BacktestRules(fill="next_open", sizing="equity_pct", fee_bps=0.0)
    request = BacktestRequest(SMA_CROSS, ("BTC/USDT",), rules, since, until)
    run = Backtester(candles, EXCHANGE, ScannerConfig()).run(request)
    assert run.result.trades and all(since <= t.entry_time < until for t in run.result.trades)
    assert int(run.result.times[0]) == since and int(run.result.times[-1]) == until - HOUR_MS
    everything = Backtester(candles, EXCHANGE, ScannerConfig()).run(BacktestRequest(SMA_CROSS, ("BTC/USDT",), rules))
    inside = [t for t in everything.result.trades if since < t.entry_time and t.exit_time < until - HOUR_MS]
    # indicators are warm at `since`: the trades inside the range are those of the whole history
    assert [(t.entry_time, t.exit_time) for t in inside] == [
        (t.entry_time, t.exit_time) for t in run.result.trades if not t.open and t.entry_time > since
    ]


def test_the_levels_fill_trades_exactly_the_setups_the_scanner_opens(candles: MemoryCandles) -> None:
    """Live, cron and backtest cannot disagree: a scanner's lookback and a backtest over the same bars walk the
    same setups; the backtest's trades are those that triggered, at their entry and exit prices."""
    config = StrategyConfig(
        name="pullback", when=["rsi(14) < 45", "close > ema(50)"],
        levels=LevelsConfig(entry="close", stop="close - 2 * atr(14)", targets=["2R"]), expires="6 bars",
        universe=UniverseConfig(symbols=["ETH/USDT"]),
    )  # fmt: skip
    strategy = compile_strategy(config)
    scanner_config = ScannerConfig(history_bars=3000)
    rows = candles.series[EXCHANGE, "ETH/USDT", "1h"]
    times = sorted(rows)
    end = times[-1] + HOUR_MS
    limit = bars_to_read(strategy, scanner_config)
    window = times[-limit:]
    first = strategy.warmup_bars + 2  # the backtest reads its warm-up before `since`: the same window
    lookback = limit - 1 - first
    records = MemorySetups()
    universe = UniverseProvider(candles, EXCHANGE, {"pullback": config.universe}, [])
    scanner = Scanner(candles, records, records, [strategy], scanner_config, EXCHANGE, FrozenClock(end), None, universe)
    report = scanner.scan("cron", lookback_bars=lookback)
    rules = BacktestRules(fill="levels", sizing="fixed", size_quote=100.0, max_positions=1, fee_bps=0.0)
    run = Backtester(candles, EXCHANGE, scanner_config).run(
        BacktestRequest(config, ("ETH/USDT",), rules, window[first])
    )
    triggered = sorted((s for s in records.setups.values() if s.triggered_ms is not None), key=lambda s: s.bar_time)
    assert report.new_setups and len(triggered) >= 5
    assert [(t.entry_price, t.exit_price) for t in run.result.trades] == [
        (s.entry, s.exit_price if s.exit_price is not None else pytest.approx(t.exit_price))
        for s, t in zip(triggered, run.result.trades, strict=True)
    ]
    assert [t.reason for t in run.result.trades] == [
        {"closed_target": "target", "closed_stop": "stop"}.get(s.state, "end") for s in triggered
    ]


def test_a_symbol_without_history_is_an_error_and_a_timeframe_is_derived(candles: MemoryCandles) -> None:
    four_hour = StrategyConfig(name="h4", timeframe="4h", when=["close > ema(20) @1d"])
    rules = BacktestRules(fill="levels", sizing="risk")
    run = Backtester(candles, EXCHANGE, ScannerConfig()).run(
        BacktestRequest(four_hour, ("BTC/USDT", "NOPE/USDT"), rules)
    )
    assert run.errors == ("NOPE/USDT: LookupError: no 4h candles stored on binance",)
    assert "BTC/USDT 4h derived from 1h" in run.notes and "BTC/USDT 1d derived from 1h" in run.notes
    assert run.result.trades


def test_fills_and_sizings_a_strategy_cannot_use_are_refused_with_one_line(candles: MemoryCandles) -> None:
    backtester = Backtester(candles, EXCHANGE, ScannerConfig())
    with pytest.raises(BacktestError, match=r'has no levels .* use fill = "next_open"'):
        backtester.run(BacktestRequest(SMA_CROSS, ("BTC/USDT",), BacktestRules(fill="levels")))
    with pytest.raises(BacktestError, match="no stop to size by risk"):
        backtester.run(BacktestRequest(SMA_CROSS, ("BTC/USDT",), BacktestRules(fill="next_open", sizing="risk")))
    broken = StrategyConfig(name="broken", when=["emma(3) > 1"])
    with pytest.raises(BacktestError, match="emma"):
        backtester.run(BacktestRequest(broken, ("BTC/USDT",), BacktestRules()))
