"""Data-quality checks on the real 1h/1d files and on corrupted in-memory copies of them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cryptoterm.domain.gaps import Gap, common_gaps, find_gaps
from cryptoterm.domain.quality import assess_quality, robust_spikes

HOUR = 3_600_000


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


REAL_OUTAGES = (
    Gap(ms("2021-04-20 02:00"), ms("2021-04-20 04:00"), 2),
    Gap(ms("2021-04-25 05:00"), ms("2021-04-25 08:00"), 3),
    Gap(ms("2021-08-13 02:00"), ms("2021-08-13 06:00"), 4),
    Gap(ms("2021-09-29 07:00"), ms("2021-09-29 09:00"), 2),
    Gap(ms("2023-03-24 13:00"), ms("2023-03-24 14:00"), 1),
)


@pytest.fixture(scope="module")
def btc(shared_data: Path) -> pd.DataFrame:
    return pd.read_csv(shared_data / "klines/1h/BTCUSDT-1h.csv.gz")


def test_real_file_outages_and_high_score(btc: pd.DataFrame) -> None:
    report = assess_quality(btc, "1h", symbol="BTC/USDT", known_outages=REAL_OUTAGES)
    assert report.rows == 19600
    assert report.expected_bars == 19612
    assert report.outages == REAL_OUTAGES
    assert report.outage_bars == 12
    assert report.holes == ()
    assert (report.duplicates, report.out_of_order, report.ohlc_violations, report.invalid_bars) == (0, 0, 0, 0)
    assert report.spikes <= 5
    assert report.score >= 90.0
    assert any("exchange outage" in issue for issue in report.issues)


def test_outages_recognised_across_symbols(shared_data: Path, btc: pd.DataFrame) -> None:
    others = [pd.read_csv(shared_data / f"klines/1h/{s}USDT-1h.csv.gz") for s in ("ETH", "SOL")]
    shared = common_gaps([find_gaps(f["open_time"].to_numpy(), HOUR) for f in [btc, *others]], HOUR)
    unexplained = assess_quality(btc, "1h")
    explained = assess_quality(btc, "1h", known_outages=shared)
    assert unexplained.holes == REAL_OUTAGES
    assert unexplained.outages == ()
    assert explained.outages == REAL_OUTAGES
    assert explained.score > unexplained.score


def test_real_daily_file_is_clean(shared_data: Path) -> None:
    report = assess_quality(pd.read_csv(shared_data / "klines/1d/ETHUSDT-1d.csv.gz"), "1d")
    assert report.missing_bars == 0
    assert report.ohlc_violations == 0
    assert report.score >= 95.0


def test_dropped_rows_become_a_hole(btc: pd.DataFrame) -> None:
    clean = assess_quality(btc, "1h", known_outages=REAL_OUTAGES)
    corrupted = btc.drop(index=range(10_000, 10_048)).reset_index(drop=True)
    report = assess_quality(corrupted, "1h", known_outages=REAL_OUTAGES)
    first_missing = int(btc["open_time"].iloc[10_000])
    assert report.holes == (Gap(first_missing, first_missing + 48 * HOUR, 48),)
    assert report.outages == REAL_OUTAGES
    assert report.score < clean.score


def test_duplicates_and_disorder(btc: pd.DataFrame) -> None:
    dup = pd.concat([btc, btc.iloc[500:510]]).reset_index(drop=True)
    report = assess_quality(dup, "1h", known_outages=REAL_OUTAGES)
    assert report.duplicates == 10
    assert report.out_of_order == 1  # the appended block jumps back in time once
    assert report.holes == ()  # duplicates are not gaps

    swapped = btc.copy()
    swapped.iloc[[100, 101]] = swapped.iloc[[101, 100]].to_numpy()
    report = assess_quality(swapped, "1h", known_outages=REAL_OUTAGES)
    assert report.out_of_order == 1
    assert report.duplicates == 0


def test_ohlc_violations_and_invalid_values(btc: pd.DataFrame) -> None:
    bad = btc.copy()
    bad.loc[200, "high"] = bad.loc[200, "open"] - 1.0  # high below the body
    bad.loc[300, "low"] = bad.loc[300, "close"] + 1.0  # low above the body
    bad.loc[400, "close"] = np.nan
    bad.loc[401, "volume"] = -5.0
    report = assess_quality(bad, "1h", known_outages=REAL_OUTAGES)
    assert report.ohlc_violations == 2
    assert report.invalid_bars == 2
    clean = assess_quality(btc, "1h", known_outages=REAL_OUTAGES)
    assert report.score < clean.score


def test_bad_tick_is_a_spike_but_a_crash_is_not(btc: pd.DataFrame) -> None:
    clean = assess_quality(btc, "1h", known_outages=REAL_OUTAGES)
    bad = btc.copy()
    bad.loc[5000, "close"] *= 1.5
    report = assess_quality(bad, "1h", known_outages=REAL_OUTAGES)
    tick_time = int(btc["open_time"].iloc[5000])
    assert tick_time in report.spike_times
    assert tick_time not in clean.spike_times
    assert report.spikes == clean.spikes + 1

    crash = btc.copy()
    crash.loc[5000:, ["open", "high", "low", "close"]] *= 0.5  # a level shift that stays
    crashed = assess_quality(crash, "1h", known_outages=REAL_OUTAGES)
    assert tick_time not in crashed.spike_times


def test_robust_spikes_on_a_seeded_random_walk() -> None:
    rng = np.random.default_rng(3)
    close = 100 * np.exp(np.cumsum(rng.standard_t(df=3, size=5000) * 0.002))
    assert not robust_spikes(close, 8.0).any()
    close[2500] *= 1.2
    mask = robust_spikes(close, 8.0)
    assert np.flatnonzero(mask).tolist() == [2500]


def test_staleness_against_now(btc: pd.DataFrame) -> None:
    last_close = int(btc["open_time"].iloc[-1]) + HOUR
    fresh = assess_quality(btc, "1h", now_ms=last_close + 30 * 60_000)
    stale = assess_quality(btc, "1h", now_ms=last_close + 3 * HOUR)
    assert not fresh.stale
    assert stale.stale
    assert stale.last_bar_age_ms == 3 * HOUR
    assert stale.score == pytest.approx(fresh.score - 25.0)
    assert not assess_quality(btc, "1h").stale  # no now, no judgement


def test_score_formula_on_a_small_frame() -> None:
    times = np.arange(0, 100 * HOUR, HOUR)
    frame = pd.DataFrame(
        {"open_time": times, "open": 10.0, "high": 11.0, "low": 9.0, "close": 10.0, "volume": 1.0}
    ).drop(index=[40, 41])
    report = assess_quality(frame, "1h")
    # 2 holes over 100 expected bars: 100 - 400 * 2 / 100.
    assert report.holes == (Gap(40 * HOUR, 42 * HOUR, 2),)
    assert report.score == pytest.approx(92.0)


def test_empty_and_malformed_frames() -> None:
    empty = pd.DataFrame({"open_time": [], "open": [], "high": [], "low": [], "close": []})
    report = assess_quality(empty, "1h")
    assert report.score == 0.0
    assert report.issues == ("no candles",)
    with pytest.raises(ValueError, match="close"):
        assess_quality(pd.DataFrame({"open_time": [0], "open": [1.0], "high": [1.0], "low": [1.0]}), "1h")
    with pytest.raises(ValueError, match="unknown timeframe"):
        assess_quality(empty, "9q")


def test_open_time_index_is_accepted(btc: pd.DataFrame) -> None:
    indexed = btc.set_index("open_time")
    assert assess_quality(indexed, "1h").holes == REAL_OUTAGES
