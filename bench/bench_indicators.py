"""Indicator kernels against `ta` on 100k bars, and a strategy scan over 40 symbols × 3 timeframes × 6 strategies.

Bars are real Binance 1h klines from ../shared/data (several symbols chained end to end, each rescaled to
continue the previous close, to reach 100k bars); without the data, a seeded random walk of the same length.
The scan evaluates every strategy over each symbol's whole history (1h as loaded, 4h and 1d resampled inside the
timed region) and reads levels where the last bar fired, as the scanner does; a second figure uses only the
last 1,000 base bars per symbol, which is closer to a live scan's window.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path

import msgspec
import numpy as np
import pandas as pd
import ta

from cryptoterm.config.schema import LevelsConfig, StrategyConfig
from cryptoterm.domain import indicators as ind
from cryptoterm.domain import regime
from cryptoterm.domain.strategy import CompiledStrategy, Evaluator, LevelsError, compile_strategy, resample_ohlcv

SHARED = Path(os.environ.get("CRYPTOTERM_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
BARS = 100_000
TIMEFRAMES = ("1h", "4h", "1d")
LIVE_WINDOW = 1_000

STRATEGIES = (
    StrategyConfig(
        name="rsi-pullback",
        when=["rsi(14) < 30", "close > ema(200) @1d", "regime in (bull, range)", "volume > 2 * sma(volume, 20)"],
        levels=LevelsConfig(entry="close", stop="close - 1.5 * atr(14)", targets=["2R", "3R"]),
    ),
    StrategyConfig(
        name="ema-cross",
        when=["ema(9) crosses_above ema(21)", "close > vwap(14)"],
        levels=LevelsConfig(stop="lowest(low, 10)", targets=["2R"]),
    ),
    StrategyConfig(
        name="breakout",
        when=["close > highest(high, 20)[1]", "volume > 1.5 * sma(volume, 20)", "adx(14) > 20"],
        levels=LevelsConfig(stop="close - 2 * atr(14)", targets=["1R", "2R", "3R"]),
    ),
    StrategyConfig(
        name="macd-momentum",
        when=["macd.hist(12, 26, 9) crosses_above 0", "rsi(14) > 50", "close > ema(50) @1d"],
        levels=LevelsConfig(stop="close - 1.5 * atr(14)", targets=["2R"]),
    ),
    StrategyConfig(
        name="squeeze-break",
        when=["bb.width(20, 2) < 1.2 * lowest(bb.width(20, 2), 100)[1]", "close > bb.upper(20, 2)"],
        levels=LevelsConfig(stop="bb.mid(20, 2)", targets=["2R"]),
    ),
    StrategyConfig(
        name="reversal",
        direction="short",
        when=["stoch.k(14, 3) > 80", "regime != bull"],
        any=["shooting_star", "bearish_engulfing", "adx.minus_di(14) crosses_above adx.plus_di(14)"],
        not_=["close > highest(high, 50)[1]"],
        levels=LevelsConfig(stop="high + atr(14)", targets=["2R"]),
    ),
)


def _best(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return min(times)


def _hourly_files() -> list[Path]:
    folder = SHARED / "klines" / "1h"
    return sorted(folder.glob("*-1h.csv.gz")) if folder.is_dir() else []


def _long_series(files: list[Path]) -> tuple[pd.DataFrame, str]:
    if files:
        parts, last = [], None
        for file in files:
            frame = pd.read_csv(file)[["open", "high", "low", "close", "volume"]]
            if last is not None:
                frame[["open", "high", "low", "close"]] *= last / frame["open"].iloc[0]
            parts.append(frame)
            last = float(frame["close"].iloc[-1])
            if sum(len(p) for p in parts) >= BARS:
                break
        return pd.concat(parts, ignore_index=True).iloc[:BARS], f"real 1h klines, {len(parts)} symbols chained"
    rng = np.random.default_rng(7)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, BARS)))
    spread = np.abs(rng.normal(0, 0.005, BARS)) * close
    frame = pd.DataFrame(
        {"open": np.r_[close[0], close[:-1]], "high": close + spread, "low": close - spread, "close": close}
    )
    frame["volume"] = rng.uniform(1, 100, BARS)
    return frame, "synthetic random walk (shared data not found)"


def _indicator_rows(frame: pd.DataFrame, source: str) -> list[tuple[str, str, str]]:
    h, lo, c, v = (frame[k] for k in ("high", "low", "close", "volume"))
    ha, la, ca, va = (s.to_numpy(np.float64) for s in (h, lo, c, v))
    cases: list[tuple[str, Callable[[], object], Callable[[], object], int]] = [
        ("sma(20)", lambda: ind.sma(ca, 20), lambda: ta.trend.sma_indicator(c, 20), 3),
        ("ema(200)", lambda: ind.ema(ca, 200), lambda: ta.trend.ema_indicator(c, 200), 3),
        ("rsi(14)", lambda: ind.rsi(ca, 14), lambda: ta.momentum.rsi(c, 14), 3),
        ("macd(12,26,9)", lambda: ind.macd(ca), lambda: ta.trend.MACD(c).macd_diff(), 3),
        ("bollinger(20,2)", lambda: ind.bollinger(ca), lambda: ta.volatility.BollingerBands(c).bollinger_wband(), 3),
        ("atr(14)", lambda: ind.atr(ha, la, ca, 14), lambda: ta.volatility.average_true_range(h, lo, c, 14), 1),
        ("adx(14) +di -di", lambda: ind.adx(ha, la, ca, 14), lambda: _ta_adx(h, lo, c), 1),
        (
            "stoch(14,3)",
            lambda: ind.stochastic(ha, la, ca),
            lambda: ta.momentum.StochasticOscillator(h, lo, c).stoch_signal(),
            3,
        ),
        ("vwap(14)", lambda: ind.vwap(ha, la, ca, va), lambda: ta.volume.volume_weighted_average_price(h, lo, c, v), 3),
        ("obv", lambda: ind.obv(ca, va), lambda: ta.volume.on_balance_volume(c, v), 3),
    ]
    rows = []
    for name, ours, reference, ref_repeat in cases:
        ours_s = _best(ours, 5)
        ref_s = _best(reference, ref_repeat)
        rows.append(
            (
                f"{name}, {len(frame) // 1000}k bars",
                f"{ours_s * 1e3:.2f} ms (ta {ref_s * 1e3:.1f} ms)",
                f"{ref_s / ours_s:.1f}× ta; {source}",
            )
        )
    return rows


def _ta_adx(high: pd.Series, low: pd.Series, close: pd.Series) -> object:
    indicator = ta.trend.ADXIndicator(high, low, close, 14)
    return indicator.adx(), indicator.adx_pos(), indicator.adx_neg()


def _compiled() -> dict[str, list[CompiledStrategy]]:
    return {
        tf: [compile_strategy(msgspec.structs.replace(cfg, timeframe=tf)) for cfg in STRATEGIES] for tf in TIMEFRAMES
    }


def _scan(
    symbols: dict[str, pd.DataFrame], btc: pd.DataFrame, compiled: dict[str, list[CompiledStrategy]]
) -> tuple[int, int, int]:
    """One scan; returns (evaluations, hits over all bars, hits on the last bar)."""
    btc_4h = resample_ohlcv(btc, "4h", source_timeframe="1h")
    labels = regime.classify(btc_4h)
    evaluations = hits = last_hits = 0
    for base in symbols.values():
        frames = {"1h": base}
        for tf in TIMEFRAMES[1:]:
            frames[tf] = resample_ohlcv(base, tf, source_timeframe="1h")
        for tf in TIMEFRAMES:
            index = frames[tf].index.to_numpy()
            aligned = regime.align(labels, btc_4h.index.to_numpy(), "4h", index, tf)
            evaluator = Evaluator(frames, tf, aligned)  # shared by every strategy on this symbol and timeframe
            for strategy in compiled[tf]:
                result = strategy.evaluate(frames, evaluator=evaluator)
                evaluations += 1
                hits += int(result.signal.sum())
                if result.signal.size and result.signal[-1]:
                    last_hits += 1
                    with contextlib.suppress(LevelsError):
                        strategy.levels_at(frames, -1, evaluator=evaluator)
    return evaluations, hits, last_hits


def _scan_rows(files: list[Path]) -> list[tuple[str, str, str]]:
    if not files:
        return [("scan 40 symbols × 3 tf × 6 strategies", "-", "skipped: ../shared/data/klines/1h not found")]
    symbols = {f.name.split("-")[0]: pd.read_csv(f, index_col="open_time") for f in files}
    btc = symbols["BTCUSDT"]
    compiled = _compiled()
    rows = []
    started, cpu_started = time.perf_counter(), time.process_time()
    evaluations, hits, _ = _scan(symbols, btc, compiled)
    full_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
    full_s = min(full_s, _best(lambda: _scan(symbols, btc, compiled), 2))
    bars = sum(len(f) for f in symbols.values())
    rows.append(
        (
            f"scan {len(symbols)} symbols × 3 tf × {len(STRATEGIES)} strategies, full history",
            f"{full_s:.2f} s",
            f"{evaluations} evaluations over {bars:,} 1h bars (+4h, 1d resampled); {hits:,} signals; "
            f"CPU {cpu_s:.2f} s (wall time varies with machine load); target < 1 s",
        )
    )
    window_1h = {name: frame.iloc[-LIVE_WINDOW:] for name, frame in symbols.items()}
    live_s = _best(lambda: _scan(window_1h, btc.iloc[-LIVE_WINDOW:], compiled), 3)
    rows.append(
        (
            f"scan {len(symbols)} × 3 × {len(STRATEGIES)}, last {LIVE_WINDOW} 1h bars",
            f"{live_s * 1e3:.0f} ms",
            "the window a live scan reads (1d terms then have ~40 daily bars)",
        )
    )
    return rows


def run() -> list[tuple[str, str, str]]:
    files = _hourly_files()
    frame, source = _long_series(files)
    return _indicator_rows(frame, source) + _scan_rows(files)


if __name__ == "__main__":
    for row in run():
        print(*row, sep="  |  ")
