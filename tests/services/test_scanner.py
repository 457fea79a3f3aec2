"""Scanner over a temporary store seeded with real Binance 1h candles and real compiled strategies."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import ta

from cryptoterm.adapters.clock import FrozenClock
from cryptoterm.adapters.store.setups_repo import SetupsRepo
from cryptoterm.adapters.store.sqlite_store import SqliteStore
from cryptoterm.config.schema import LevelsConfig, ScannerConfig, StrategyConfig, UniverseConfig
from cryptoterm.domain.strategy import compile_strategy
from cryptoterm.domain.timeframes import HOUR_MS
from cryptoterm.services.notifications import NotificationOutbox
from cryptoterm.services.scanner import Scanner
from cryptoterm.services.universe_provider import UniverseProvider
from tests.services.test_scanner_data import EXCHANGE, candles_of, seed

BASES = ["BTC", "ETH", "SOL", "XRP", "DOGE", "ADA"]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore(tmp_path / "scan.db", batch_ms=0) as s:
        yield s


def strategy(name: str = "always", when: tuple[str, ...] = ("close > 0",), **kw: object) -> StrategyConfig:
    args: dict[str, object] = {
        "name": name,
        "timeframe": "1h",
        "when": list(when),
        "levels": LevelsConfig(entry="close", stop="close - 1.5 * atr(14)", targets=["2R", "3R"]),
        "expires": "6 bars",
        **kw,
    }
    return StrategyConfig(**args)  # type: ignore[arg-type]


def make_scanner(
    store: SqliteStore,
    configs: list[StrategyConfig],
    now_ms: int,
    *,
    default: list[str] | None = None,
    outbox: NotificationOutbox | None = None,
) -> Scanner:
    universe = UniverseProvider(
        store, EXCHANGE, {c.name: c.universe for c in configs}, default or [f"{b}/USDT" for b in BASES]
    )
    repo = SetupsRepo(store)
    return Scanner(
        store,
        repo,
        repo,
        [compile_strategy(c) for c in configs],
        ScannerConfig(history_bars=300, account_equity=20_000, risk_per_trade_pct=0.5),
        EXCHANGE,
        FrozenClock(now_ms),
        outbox,
        universe,
    )


def test_scan_creates_sized_setups_on_the_last_closed_bar(store: SqliteStore, shared_data: Path) -> None:
    frames = seed(store, shared_data, ["BTC", "ETH"], bars=400)
    last = int(frames["BTC/USDT"].index[-1])
    outbox = NotificationOutbox(None)
    cfg = strategy(universe=UniverseConfig(symbols=["BTC/USDT", "ETH/USDT", "NOPE/USDT"]))
    scanner = make_scanner(store, [cfg], last + HOUR_MS + 5_000, outbox=outbox)
    report = scanner.scan("test")

    assert [s.symbol for s in report.new_setups] == ["BTC/USDT", "ETH/USDT"]
    assert report.hits == 2 and report.symbols == 3 and report.strategies == 1
    assert [(e.symbol, e.error.split(":")[0]) for e in report.errors] == [("NOPE/USDT", "LookupError")]
    btc = report.new_setups[0]
    frame = frames["BTC/USDT"]
    atr = ta.volatility.AverageTrueRange(frame["high"], frame["low"], frame["close"], 14).average_true_range()
    assert btc.bar_time == last
    assert btc.entry == frame["close"].iloc[-1]
    # Wilder ATR converges after a few hundred bars; ta and the project's kernel agree to well under 0.1 %.
    assert btc.stop == pytest.approx(btc.entry - 1.5 * atr.iloc[-1], rel=1e-3)
    assert btc.targets == pytest.approx(
        (btc.entry + 2 * (btc.entry - btc.stop), btc.entry + 3 * (btc.entry - btc.stop))
    )
    assert btc.rr == pytest.approx(2.0)
    assert btc.risk == pytest.approx(100.0)
    assert btc.size == pytest.approx(100.0 / (btc.entry - btc.stop))
    assert btc.expires_ms == last + 7 * HOUR_MS
    assert btc.conditions[0].text == "close > 0" and btc.conditions[0].passed

    (run,) = scanner.runs.scan_runs()
    assert (run.id, run.origin, run.hits, run.new_setups, run.symbols) == (report.run_id, "test", 2, 2, 3)
    assert run.errors == [e.as_dict() for e in report.errors]
    assert run.duration_ms == report.duration_ms == 0  # frozen clock
    assert outbox.pending() == 3
    asyncio.run(outbox.drain())
    assert [m.event for m, _ok in outbox.sent] == ["new", "new", "error"]
    assert outbox.sent[0][0].title == "▲ LONG BTC/USDT — always"
    assert "NOPE/USDT" in outbox.sent[2][0].body


def test_second_scan_does_not_duplicate_open_setups(store: SqliteStore, shared_data: Path) -> None:
    frames = seed(store, shared_data, ["BTC", "ETH"], bars=300)
    now = int(frames["BTC/USDT"].index[-1]) + HOUR_MS
    scanner = make_scanner(store, [strategy()], now, default=["BTC/USDT", "ETH/USDT"])
    first = scanner.scan("a")
    second = scanner.scan("b")
    assert len(first.new_setups) == 2
    assert second.new_setups == () and second.hits == 2
    assert sorted(second.duplicates) == ["always BTC/USDT long", "always ETH/USDT long"]
    assert len(scanner.setups.open_setups()) == 2
    # A short strategy on the same symbols is a different key.
    short = strategy("always-short", direction="short", levels=LevelsConfig(stop="close + 1.5 * atr(14)"))
    third = make_scanner(store, [short], now, default=["BTC/USDT"]).scan("c")
    assert [s.direction for s in third.new_setups] == ["short"]


def test_forming_bar_is_never_scanned(store: SqliteStore, shared_data: Path) -> None:
    frames = seed(store, shared_data, ["BTC"], bars=300)
    index = frames["BTC/USDT"].index
    # The clock sits inside the newest stored bar's hour: that bar has not closed yet.
    scanner = make_scanner(store, [strategy()], int(index[-1]) + HOUR_MS // 2, default=["BTC/USDT"])
    (setup,) = scanner.scan().new_setups
    assert setup.bar_time == int(index[-2])
    assert setup.entry == frames["BTC/USDT"]["close"].iloc[-2]


def test_signal_matches_an_independent_rsi(store: SqliteStore, shared_data: Path) -> None:
    """Which symbols fire `rsi(14) < 50` on the last bar agrees with the `ta` library's RSI."""
    bases = ["BTC", "ETH", "SOL", "XRP", "DOGE", "ADA", "LINK", "DOT", "LTC", "BNB", "AVAX", "ATOM"]
    frames = seed(store, shared_data, bases, bars=600)
    now = int(frames["BTC/USDT"].index[-1]) + HOUR_MS
    scanner = make_scanner(store, [strategy("rsi", when=("rsi(14) < 50",))], now, default=list(frames))
    report = scanner.scan()
    expected = set()
    for symbol, frame in frames.items():
        tail = frame.tail(300)  # what the scanner reads (history_bars)
        rsi = ta.momentum.RSIIndicator(tail["close"], 14).rsi().iloc[-1]
        assert not np.isclose(rsi, 50.0, atol=0.05), f"{symbol} too close to the threshold to compare"
        if rsi < 50:
            expected.add(symbol)
    assert {s.symbol for s in report.new_setups} == expected
    assert report.errors == ()
    assert 0 < len(expected) < len(frames)


def test_dynamic_universe_top_n_by_stored_quote_volume(store: SqliteStore, shared_data: Path) -> None:
    frames = seed(store, shared_data, BASES, bars=200)
    volume = {s: float((f["close"] * f["volume"]).tail(24).sum()) for s, f in frames.items()}
    top3 = sorted(volume, key=lambda s: -volume[s])[:3]
    cfg = strategy(universe=UniverseConfig(top=3, exclude=["stablecoins", "leveraged", top3[0]]))
    now = int(frames["BTC/USDT"].index[-1]) + HOUR_MS
    scanner = make_scanner(store, [cfg], now)
    report = scanner.scan()
    fourth = sorted(volume, key=lambda s: -volume[s])[3]
    assert {s.symbol for s in report.new_setups} == {*top3[1:], fourth}


def test_one_bad_symbol_never_fails_the_scan(store: SqliteStore, shared_data: Path) -> None:
    seed(store, shared_data, ["BTC"], bars=300)
    seed(store, shared_data, ["ETH"], bars=5)  # too short: the ATR stop is not known yet
    now = int(read_last(store, "BTC/USDT")) + HOUR_MS
    scanner = make_scanner(store, [strategy()], now, default=["ETH/USDT", "BTC/USDT"])
    report = scanner.scan()
    assert [s.symbol for s in report.new_setups] == ["BTC/USDT"]
    assert len(report.errors) == 1 and report.errors[0].symbol == "ETH/USDT"
    assert "LevelsError" in report.errors[0].error and "not known" in report.errors[0].error
    assert not report.ok


def read_last(store: SqliteStore, symbol: str) -> int:
    bounds = store.candle_bounds(EXCHANGE, symbol, "1h")
    assert bounds is not None
    return bounds[1]


def test_regime_filter_uses_the_reference_symbol(store: SqliteStore, shared_data: Path) -> None:
    from cryptoterm.domain import regime

    frames = seed(store, shared_data, ["BTC", "ETH"], bars=2800)
    btc = frames["BTC/USDT"]
    now = int(btc.index[-1]) + HOUR_MS
    four_hour = btc.groupby((btc.index // (4 * HOUR_MS)) * (4 * HOUR_MS)).agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    )
    four_hour = four_hour[four_hour.index + 4 * HOUR_MS <= now]
    store.write_candles(EXCHANGE, "BTC/USDT", "4h", candles_of(four_hour))
    label = str(regime.classify(four_hour.tail(600))[-1])
    assert label in regime.LABELS
    other = next(x for x in regime.LABELS if x != label)
    hit = strategy("in-regime", when=(f"regime in ({label})",))
    miss = strategy("other-regime", when=(f"regime in ({other})",))
    report = make_scanner(store, [hit, miss], now, default=["ETH/USDT"]).scan()
    assert [s.strategy for s in report.new_setups] == ["in-regime"]
    assert report.regime == label  # what the status bar shows


def test_concurrent_scans_are_serialised(store: SqliteStore, shared_data: Path) -> None:
    frames = seed(store, shared_data, ["BTC", "ETH", "SOL"], bars=300)
    now = int(frames["BTC/USDT"].index[-1]) + HOUR_MS
    scanner = make_scanner(store, [strategy()], now, default=list(frames))
    results = []
    threads = [threading.Thread(target=lambda: results.append(scanner.scan("t"))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(r.new_setups) for r in results) == [0, 0, 3]
    assert len(scanner.runs.scan_runs()) == 3


async def test_dynamic_universe_from_exchange_tickers(store: SqliteStore) -> None:
    """Live universes rank the history source's 24 h tickers (here the seeded simulated market's)."""
    from cryptoterm.adapters.sim import SimulatedMarket
    from cryptoterm.config.schema import DemoConfig

    sim = SimulatedMarket(DemoConfig(symbols=8, history_days=2), 1_700_000_000_000)
    tickers = await sim.fetch_tickers()
    ranked = sorted(tickers, key=lambda t: -t.quote_volume_24h)
    excluded = ranked[0].symbol
    universe = UniverseProvider(
        store,
        "sim",
        {"s": UniverseConfig(top=3, exclude=["stablecoins", "leveraged", excluded])},
        [],
        history=sim,
    )
    await universe.refresh()
    assert universe.symbols_for("s") == [t.symbol for t in ranked[1:4]]
    assert universe.symbols_for("unknown") == []  # no list, no top, empty default
