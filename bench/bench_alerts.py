"""Alerts and market events: trades/s through the alert engine's price checks, the cost of judging one bar time
for anomalies across the watched symbols, and the spike check and anomaly detector over 40 real 1h series.

Uses the real BTCUSDT spot trades (19,904) and the 40 Binance 1h series of ../shared/data when present, else
seeded synthetic ones. Nothing is stored or sent: the alert store is in memory and there are no channels.
"""

from __future__ import annotations

import csv
import gzip
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cryptoterm.domain.alerts import RuleFields, build_rule
from cryptoterm.domain.anomaly import AnomalyParams, find_anomalies, measure
from cryptoterm.domain.market import Candle, Trade
from cryptoterm.domain.quality import market_moves, robust_spikes
from cryptoterm.services.alert_delivery import AlertDelivery
from cryptoterm.services.alert_engine import AlertEngine
from cryptoterm.services.anomaly_monitor import AnomalyMonitor

SHARED = Path(os.environ.get("CRYPTOTERM_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


class _Store:
    def __init__(self) -> None:
        self.firings: list[object] = []

    def sync_config_rules(self, rules: object, now_ms: int) -> None:
        self.rules_ = list(rules)  # type: ignore[call-overload]

    def rules(self) -> list[object]:
        from cryptoterm.domain.alerts import AlertState
        from cryptoterm.ports.alerts import StoredRule

        return [StoredRule(r, AlertState()) for r in self.rules_]

    def events(self, limit: int = 200, **_: object) -> list[object]:
        return []

    def record_firing(self, firing: object) -> int:
        self.firings.append(firing)
        return len(self.firings)

    def finish_event(self, *args: object) -> None:
        return None


def _trades() -> tuple[list[Trade], str]:
    files = sorted((SHARED / "trades").glob("binance-spot_BTCUSDT_trades_2024-08-0*.csv.gz"))
    if files:
        trades: list[Trade] = []
        for path in files:
            with gzip.open(path, "rt") as handle:
                trades += [
                    Trade("BTC/USDT", int(r["trade_time_ms"]), float(r["price"]), float(r["qty"]), r["taker_side"])  # type: ignore[arg-type]
                    for r in csv.DictReader(handle)
                ]
        return trades, f"{len(trades):,} real BTCUSDT trades"
    rng = np.random.default_rng(1)
    prices = 61_700 * np.exp(np.cumsum(rng.normal(0, 2e-5, 20_000)))
    return [Trade("BTC/USDT", i, float(p), 0.01, "buy") for i, p in enumerate(prices)], "20,000 synthetic trades"


def _price_checks() -> list[tuple[str, str, str]]:
    trades, source = _trades()
    rows = []
    for count in (0, 10, 100):
        rules = [
            build_rule(
                RuleFields(name=f"r{i}", symbol="BTC/USDT", when=f"price crosses {61_600 + i:.0f}"), origin="config"
            )
            for i in range(count)
        ]
        store = _Store()
        engine = AlertEngine(store, AlertDelivery(store, None), _NoBars(), lambda: 0, rules)  # type: ignore[arg-type]
        engine.load()
        started = time.perf_counter()
        for i in range(0, len(trades), 50):
            engine.on_trades(trades[i : i + 50])
        seconds = time.perf_counter() - started
        rows.append(
            (f"alert price checks, {count} rules on the symbol", f"{len(trades) / seconds:,.0f} trades/s", source)
        )
    return rows


class _NoBars:
    def candles(self, symbol: str, timeframe: str, limit: int) -> list[Candle]:
        return []


def _klines() -> dict[str, pd.DataFrame]:
    files = sorted((SHARED / "klines" / "1h").glob("*USDT-1h.csv.gz"))
    if files:
        return {path.name.split("-")[0]: pd.read_csv(path) for path in files}
    rng = np.random.default_rng(2)
    out = {}
    for k in range(40):
        close = 100 * np.exp(np.cumsum(rng.standard_t(3, 19_600) * 0.005))
        out[f"S{k}USDT"] = pd.DataFrame(
            {"open_time": np.arange(19_600) * 3_600_000, "open": close, "high": close * 1.01, "low": close * 0.99,
             "close": close, "volume": rng.uniform(100, 200, 19_600)}
        )  # fmt: skip
    return out


def _batch_figures() -> list[tuple[str, str, str]]:
    klines = _klines()
    bars = sum(len(f) for f in klines.values())
    note = f"{len(klines)} series, {bars:,} 1h bars"
    started = time.perf_counter()
    metrics = [
        measure(
            s, f.open_time.to_numpy(), f.high.to_numpy(), f.low.to_numpy(), f.close.to_numpy(), f.volume.to_numpy(), 200
        )
        for s, f in klines.items()
    ]
    events = find_anomalies(metrics, AnomalyParams())
    detector = time.perf_counter() - started
    started = time.perf_counter()
    market = market_moves({s: (f.open_time.to_numpy(), f.close.to_numpy()) for s, f in klines.items()})
    for f in klines.values():
        robust_spikes(f.close.to_numpy(), 8.0, times=f.open_time.to_numpy(), market=market)
    spikes = time.perf_counter() - started
    return [
        ("anomaly detector, whole history", f"{detector:.2f} s ({len(events):,} events)", note),
        ("spike check with the market's moves", f"{spikes:.2f} s", note),
    ]


def _live_judging() -> list[tuple[str, str, str]]:
    klines = _klines()
    symbols = list(klines)[:20]

    class Feed:
        def __init__(self) -> None:
            self.symbols = [f"{s[:-4]}/USDT" for s in symbols]
            self.bars = {
                f"{s[:-4]}/USDT": [
                    Candle(*row)
                    for row in klines[s][["open_time", "open", "high", "low", "close", "volume"]].itertuples(
                        index=False
                    )
                ][-500:]
                for s in symbols
            }

        def candles(self, symbol: str, timeframe: str, limit: int) -> list[Candle]:
            return self.bars[symbol][-limit:]

    feed = Feed()
    monitor = AnomalyMonitor(feed, None, "bench", "1h", AnomalyParams())
    started = time.perf_counter()
    rounds = 20
    for _ in range(rounds):
        last = feed.bars[feed.symbols[0]][-1].open_time
        monitor._judge(last)
        monitor.wait_idle()
    seconds = (time.perf_counter() - started) / rounds
    monitor.close()
    return [
        ("anomaly judging of one bar time, 20 symbols", f"{seconds * 1000:.0f} ms", "measure + group, 500 bars each")
    ]


def run() -> list[tuple[str, str, str]]:
    return [*_price_checks(), *_live_judging(), *_batch_figures()]
