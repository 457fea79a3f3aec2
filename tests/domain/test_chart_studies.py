"""Chart studies: terms of the strategy language parsed to what a chart can draw, and their values equal to the
domain kernels and to `ta` on real Binance 1h klines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import ta

from cryptoterm.domain.chart_studies import StudyError, compute_study, parse_studies, parse_study, study_label

RTOL = 1e-9


@pytest.fixture(scope="module")
def close(shared_data: Path) -> np.ndarray:
    frame = pd.read_csv(shared_data / "klines" / "1h" / "BTCUSDT-1h.csv.gz")
    return frame["close"].to_numpy(np.float64)[-3000:]


@pytest.mark.parametrize(
    ("text", "canonical", "panel"),
    [
        ("ema(21)", "ema(21)", "price"),
        ("sma( 50 )", "sma(50)", "price"),
        ("bb(20, 2)", "bb(20, 2)", "price"),
        ("bb", "bb(20, 2)", "price"),
        ("bollinger(10, 1.5)", "bb(10, 1.5)", "price"),
        ("volume", "volume", "volume"),
        ("rsi", "rsi(14)", "rsi"),
        ("rsi(7)", "rsi(7)", "rsi"),
        ("macd", "macd(12, 26, 9)", "macd"),
        ("macd(5, 35, 5)", "macd(5, 35, 5)", "macd"),
    ],
)
def test_terms_parse_to_their_canonical_study(text: str, canonical: str, panel: str) -> None:
    study = parse_study(text)
    assert (study.text, study.panel) == (canonical, panel)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("foo(3)", "not a chart study"),
        ("atr(14)", "not a chart study"),
        ("ema", "needs its period"),
        ("ema(0)", "whole number from 1 to 1000"),
        ("ema(2.5)", "whole number from 1 to 1000"),
        ("rsi(close, 14)", "at most 1 parameters"),
        ("macd(26, 12, 9)", "fast period must be shorter"),
        ("bb(20, 0)", "deviations"),
        ("ema(21", "not a study"),
        ("close > ema(21)", "not a chart study"),
    ],
)
def test_bad_terms_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(StudyError, match=says):
        parse_study(text)


def test_a_list_names_the_bad_entry_and_refuses_duplicates() -> None:
    with pytest.raises(StudyError, match=r"studies\[1\]: 'rsi\(x\)'"):
        parse_studies(["ema(21)", "rsi(x)"])
    with pytest.raises(StudyError, match=r"studies\[1\]: 'bb' is listed twice"):
        parse_studies(["bb(20, 2)", "bb"])


def test_values_equal_ta(close: np.ndarray) -> None:
    series = pd.Series(close)
    ema = compute_study(parse_study("ema(21)"), close)
    np.testing.assert_allclose(ema[0].values, ta.trend.ema_indicator(series, 21), rtol=RTOL)
    sma = compute_study(parse_study("sma(50)"), close)
    np.testing.assert_allclose(sma[0].values, ta.trend.sma_indicator(series, 50), rtol=RTOL)
    upper, mid, lower = compute_study(parse_study("bb(20, 2)"), close)
    bands = ta.volatility.BollingerBands(series, 20, 2)
    np.testing.assert_allclose(upper.values, bands.bollinger_hband(), rtol=RTOL)
    np.testing.assert_allclose(mid.values, bands.bollinger_mavg(), rtol=RTOL)
    np.testing.assert_allclose(lower.values, bands.bollinger_lband(), rtol=RTOL)
    rsi = compute_study(parse_study("rsi(14)"), close)
    np.testing.assert_allclose(rsi[0].values[14:], ta.momentum.rsi(series, 14)[14:], rtol=1e-7)
    line, signal, hist = compute_study(parse_study("macd"), close)
    macd = ta.trend.MACD(series, 26, 12, 9)
    np.testing.assert_allclose(line.values, macd.macd(), rtol=RTOL)
    np.testing.assert_allclose(signal.values, macd.macd_signal(), rtol=RTOL)
    np.testing.assert_allclose(hist.values, macd.macd_diff(), rtol=RTOL)
    assert hist.style == "bars" and (upper.label, line.label) == ("BB 20,2 upper", "MACD 12/26/9")


def test_too_few_bars_draw_nothing_rather_than_nan_lines() -> None:
    assert compute_study(parse_study("ema(50)"), np.arange(10.0)) == ()
    assert compute_study(parse_study("macd"), np.arange(20.0)) == ()
    assert study_label(parse_study("volume")) == "Vol"


def test_warmup_settles_each_kind() -> None:
    warmups = [parse_study(t).warmup for t in ("ema(21)", "sma(50)", "bb(20, 2)", "rsi(14)", "macd", "volume")]
    assert warmups == [63, 50, 20, 84, 105, 0]
