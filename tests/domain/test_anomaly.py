"""Anomaly events on the 40 real Binance 1h series: the crashes every symbol shared are one market event each,
a coin's own pump is that coin's event; baselines never see the bar they judge or anything after it, and the live
check of one bar equals the batch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cryptoterm.domain.anomaly import (
    AnomalyEvent,
    AnomalyParams,
    SymbolMetrics,
    attention,
    find_anomalies,
    last_zscore,
    measure,
    trailing_zscores,
)

HOUR = 3_600_000


def ms(text: str) -> int:
    return int(pd.Timestamp(text).value // 1_000_000)


def metrics_of(frame: pd.DataFrame, symbol: str, window: int = 200) -> SymbolMetrics:
    return measure(
        symbol,
        frame["open_time"].to_numpy(),
        frame["high"].to_numpy(),
        frame["low"].to_numpy(),
        frame["close"].to_numpy(),
        frame["volume"].to_numpy(),
        window,
    )


@pytest.fixture(scope="module")
def klines(shared_data: Path) -> dict[str, pd.DataFrame]:
    files = sorted((shared_data / "klines" / "1h").glob("*USDT-1h.csv.gz"))
    return {path.name.split("-")[0]: pd.read_csv(path) for path in files}


@pytest.fixture(scope="module")
def events(klines: dict[str, pd.DataFrame]) -> list[AnomalyEvent]:
    return find_anomalies([metrics_of(f, s) for s, f in klines.items()], AnomalyParams())


def test_a_crash_the_whole_market_shared_is_one_market_event(events: list[AnomalyEvent]) -> None:
    for moment, members in (("2021-05-19 12:00", 40), ("2022-05-11 12:00", 39)):
        returns = [e for e in events if e.ts == ms(moment) and e.kind == "return" and e.direction < 0]
        assert len(returns) == 1, returns
        [event] = returns
        assert (event.scope, event.symbol, event.direction) == ("market", "", -1)
        assert len(event.members) >= members - 4
        assert event.value < -0.1
    luna_up = [e for e in events if e.ts == ms("2022-05-11 12:00") and e.kind == "return" and e.direction > 0]
    assert [(e.scope, e.symbol) for e in luna_up] == [("symbol", "TRXUSDT")]  # it rose alone
    may_19 = next(e for e in events if e.ts == ms("2021-05-19 12:00") and e.kind == "return")
    assert may_19.severity == "critical"


def test_a_coins_own_pump_is_its_own_event(events: list[AnomalyEvent]) -> None:
    mine = [e for e in events if e.ts == ms("2022-12-27 16:00") and e.kind == "return"]
    assert [(e.scope, e.symbol, e.direction) for e in mine] == [("symbol", "CFXUSDT", 1)]
    assert mine[0].value > 0.15 and mine[0].severity == "critical"


def test_market_events_replace_symbol_events_not_add_to_them(events: list[AnomalyEvent]) -> None:
    by_bar: dict[tuple[int, str, int], set[str]] = {}
    for e in events:
        by_bar.setdefault((e.ts, e.kind, e.direction), set()).add(e.scope)
    assert all(scopes in ({"market"}, {"symbol"}) for scopes in by_bar.values())
    market = [e for e in events if e.scope == "market"]
    assert len(market) > 10 and len(market) < len(events) / 5


def test_no_lookahead_the_history_after_a_bar_changes_nothing_before_it(klines: dict[str, pd.DataFrame]) -> None:
    picked = {s: klines[s] for s in ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT", "ADAUSDT")}
    cut = ms("2022-05-11 12:00")
    full = find_anomalies([metrics_of(f, s) for s, f in picked.items()], AnomalyParams(min_symbols=3))
    early = find_anomalies(
        [metrics_of(f[f["open_time"] <= cut], s) for s, f in picked.items()], AnomalyParams(min_symbols=3)
    )
    assert [e for e in full if e.ts <= cut] == early
    assert any(e.ts == cut for e in early)


def test_the_live_check_of_one_bar_equals_the_batch(klines: dict[str, pd.DataFrame]) -> None:
    close = np.log(klines["ETHUSDT"]["close"].to_numpy())
    returns = np.concatenate([[np.nan], np.diff(close)])
    batch = trailing_zscores(returns, 200)
    for i in (450, 9_000, len(returns) - 1):
        assert last_zscore(returns[: i + 1], 200) == pytest.approx(batch[i], nan_ok=True)
    one_bar = returns.copy()
    one_bar[5_000] = 0.5  # a 65 % hour: the baseline of that bar must not contain it
    z = trailing_zscores(one_bar, 200)
    assert z[5_000] > 50 and abs(z[5_001] - batch[5_001]) < 2.0


def test_attention_fades() -> None:
    z = {"return": np.array([0.0, 9.0, 0.0, 0.0]), "volume": np.array([0, 0, 0, -20.0]), "volatility": np.zeros(4)}
    assert attention(z, decay=0.5) == pytest.approx(9.0 * 0.5**2)  # two bars ago; falling volume is no surge
    assert attention({"return": np.array([]), "volume": np.array([]), "volatility": np.array([])}) == 0.0
