"""Market regime labels: shape and warm-up, no lookahead, alignment, and sanity on real BTC 2021-2023."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cryptoterm.domain import regime
from cryptoterm.domain.strategy import resample_ohlcv
from cryptoterm.domain.timeframes import HOUR_MS


@pytest.fixture(scope="module")
def btc_4h(shared_data: Path) -> pd.DataFrame:
    hourly = pd.read_csv(shared_data / "klines" / "1h" / "BTCUSDT-1h.csv.gz", index_col="open_time")
    return resample_ohlcv(hourly, "4h", source_timeframe="1h")


@pytest.fixture(scope="module")
def labels(btc_4h: pd.DataFrame) -> pd.Series:
    return pd.Series(regime.classify(btc_4h), index=pd.to_datetime(btc_4h.index, unit="ms"))


def share(labels: pd.Series, start: str, end: str) -> pd.Series:
    return labels[start:end].value_counts(normalize=True)


def test_labels_cover_every_bar_with_known_values(labels: pd.Series) -> None:
    assert set(labels.unique()) == {"bull", "bear", "range", "high-vol", "unknown"}
    assert (labels.iloc[:50] == "unknown").all()
    assert (labels.iloc[200:] != "unknown").all()


def test_high_volatility_is_the_top_decile_roughly(labels: pd.Series) -> None:
    known = labels[labels != "unknown"]
    assert 0.04 < (known == "high-vol").mean() < 0.2


def test_mid_2022_crash_is_bear_and_early_2023_recovery_is_bull(labels: pd.Series) -> None:
    crash = share(labels, "2022-04-01", "2022-06-30")  # LUNA and 3AC: BTC 46k → 19k
    assert crash.get("bear", 0) > 2 * crash.get("bull", 0)
    recovery = share(labels, "2023-01-01", "2023-03-31")  # BTC 16.5k → 28k
    assert recovery.get("bull", 0) > recovery.get("bear", 0)
    year_2022 = share(labels, "2022-01-01", "2022-12-31")  # after the Nov-2021 top
    assert year_2022.get("bear", 0) > year_2022.get("bull", 0)


def test_classification_uses_no_future_bars(btc_4h: pd.DataFrame, labels: pd.Series) -> None:
    for cut in (600, 1500, 3333, 4500):
        truncated = regime.classify(btc_4h.iloc[:cut])
        np.testing.assert_array_equal(truncated, labels.to_numpy()[:cut])


def test_thresholds_move_labels_the_expected_way(btc_4h: pd.DataFrame) -> None:
    strict = regime.classify(btc_4h, adx_trend=40.0)
    loose = regime.classify(btc_4h, adx_trend=10.0)
    assert (strict == "range").sum() > (loose == "range").sum()
    calm = regime.classify(btc_4h, high_vol_percentile=99.0)
    assert (calm == "high-vol").sum() < (regime.classify(btc_4h) == "high-vol").sum()
    with pytest.raises(ValueError, match="high_vol_percentile"):
        regime.classify(btc_4h, high_vol_percentile=0.0)


def test_align_maps_closed_regime_bars_onto_base_bars() -> None:
    day0 = 1_704_067_200_000
    regime_index = day0 + 4 * HOUR_MS * np.arange(3)
    base_index = day0 + HOUR_MS * np.arange(12)
    aligned = regime.align(np.array(["bull", "bear", "range"]), regime_index, "4h", base_index, "1h")
    expected = ["unknown"] * 3 + ["bull"] * 4 + ["bear"] * 4 + ["range"]
    assert aligned.tolist() == expected
    with pytest.raises(ValueError, match="2 regime labels for 3 regime bars"):
        regime.align(np.array(["bull", "bear"]), regime_index, "4h", base_index, "1h")
