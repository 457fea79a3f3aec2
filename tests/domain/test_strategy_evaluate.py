"""Evaluating compiled strategies: shapes, warm-up, crossings, offsets, three-valued logic, sections, regime,
and the live/backtest promise (the last bar of a truncated history equals that bar of the full run)."""

from __future__ import annotations

from pathlib import Path

import msgspec
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cryptoterm.config.schema import LevelsConfig, StrategyConfig
from cryptoterm.domain import indicators as ind
from cryptoterm.domain import regime
from cryptoterm.domain.strategy import FUNCTIONS, Evaluator, compile_strategy, resample_ohlcv
from cryptoterm.domain.timeframes import HOUR_MS

START = 1_700_000_000_000 - 1_700_000_000_000 % (24 * HOUR_MS)


def frame(close: list[float] | np.ndarray, open_: list[float] | np.ndarray | None = None) -> pd.DataFrame:
    close = np.asarray(close, dtype=np.float64)
    open_ = close if open_ is None else np.asarray(open_, dtype=np.float64)
    index = pd.Index(START + HOUR_MS * np.arange(close.size), name="open_time")
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.fmax(open_, close) + 1.0,
            "low": np.fmin(open_, close) - 1.0,
            "close": close,
            "volume": np.full(close.size, 10.0),
        },
        index=index,
    )


def strategy(*when: str, any_: tuple[str, ...] = (), not_: tuple[str, ...] = (), **kw: object) -> StrategyConfig:
    return StrategyConfig(
        name="t",
        timeframe="1h",
        when=list(when),
        any=list(any_),
        not_=list(not_),
        levels=LevelsConfig(entry="close", stop="low", targets=["2R"]),
        **kw,  # type: ignore[arg-type]
    )


def passed(cfg: StrategyConfig, data: pd.DataFrame) -> list[np.ndarray]:
    return [t.passed for t in compile_strategy(cfg).evaluate({"1h": data}).terms]


def test_shapes_and_types() -> None:
    data = frame(np.linspace(100, 120, 50))
    result = compile_strategy(strategy("close > sma(5)", "rsi(14) < 90")).evaluate({"1h": data})
    assert result.signal.shape == (50,) and result.signal.dtype == np.bool_
    np.testing.assert_array_equal(result.open_time, data.index.to_numpy())
    assert [t.text for t in result.terms] == ["close > sma(5)", "rsi(14) < 90"]
    for term in result.terms:
        assert term.passed.shape == (50,) and term.passed.dtype == np.bool_
        assert all(v.shape == (50,) and v.dtype == np.float64 for v in term.values.values())
    assert set(result.terms[0].values) == {"close", "sma(5)"}
    np.testing.assert_array_equal(result.signal, result.terms[0].passed & result.terms[1].passed)


def test_warm_up_never_passes_even_when_negated() -> None:
    data = frame(np.linspace(100, 120, 30))
    result = compile_strategy(strategy("close > sma(10)", not_=("close < sma(10)",))).evaluate({"1h": data})
    assert not result.terms[0].passed[:9].any() and result.terms[0].passed[9:].all()
    assert not result.terms[1].passed[:9].any() and result.terms[1].passed[9:].all()
    assert not result.signal[:9].any() and result.signal[9:].all()


def test_crosses_above_and_below() -> None:
    data = frame([1, 2, 3, 2, 1, 2, 2, 3])
    up, down = passed(strategy("close crosses_above 2", "crosses_below(close, 2)"), data)
    np.testing.assert_array_equal(up, [0, 0, 1, 0, 0, 0, 0, 1])
    np.testing.assert_array_equal(down, [0, 0, 0, 0, 1, 0, 0, 0])


def test_offsets_and_prev_look_back_without_wrapping() -> None:
    data = frame([5, 1, 7, 3, 9, 2])
    result = compile_strategy(strategy("close > close[1]", "prev(close, 2) < 8")).evaluate({"1h": data})
    np.testing.assert_array_equal(result.terms[0].passed, [0, 0, 1, 0, 1, 0])
    np.testing.assert_array_equal(result.terms[0].values["close[1]"][1:], [5, 1, 7, 3, 9])
    assert np.isnan(result.terms[0].values["close[1]"][0])
    np.testing.assert_array_equal(result.terms[1].passed, [0, 0, 1, 1, 1, 1])


def test_breakout_over_the_previous_highest_high() -> None:
    close = [10, 11, 10.5, 10.8, 13, 12]
    data = frame(close)  # high = close + 1
    (hit,) = passed(strategy("close > highest(high, 3)[1]"), data)
    # bar 4: close 13 > max(high[1..3]) = 12 → breakout; bar 5: 12 > max(11.5, 11.8, 14) no.
    np.testing.assert_array_equal(hit, [0, 0, 0, 0, 1, 0])


def test_patterns_evaluate_on_the_bar() -> None:
    data = frame(close=[9, 10.5, 10.0], open_=[10, 8.8, 10.5])
    (engulf,) = passed(strategy("bullish_engulfing"), data)
    np.testing.assert_array_equal(engulf, [False, True, False])


def test_sections_combine_when_and_any_or_not_negated() -> None:
    data = frame([1, 2, 3, 4, 5, 6])
    cfg = strategy("close > 1", any_=("close == 3", "close == 5", "close == 6"), not_=("close == 6",))
    result = compile_strategy(cfg).evaluate({"1h": data})
    np.testing.assert_array_equal(result.signal, [0, 0, 1, 0, 1, 0])
    assert [t.section for t in result.terms] == ["when", "any", "any", "any", "not"]
    np.testing.assert_array_equal(result.terms[-1].passed, [1, 1, 1, 1, 1, 0])


def test_regime_terms_need_labels_and_unknown_never_passes() -> None:
    data = frame([1.0, 2.0, 3.0, 4.0])
    compiled = compile_strategy(strategy("regime in (bull, range)", not_=("regime == bear",)))
    with pytest.raises(ValueError, match="no regime labels were given"):
        compiled.evaluate({"1h": data})
    labels = np.array(["unknown", "bull", "bear", "range"])
    result = compiled.evaluate({"1h": data}, regime=labels)
    np.testing.assert_array_equal(result.terms[0].passed, [0, 1, 0, 1])
    np.testing.assert_array_equal(result.terms[1].passed, [0, 1, 0, 1])
    np.testing.assert_array_equal(result.signal, [0, 1, 0, 1])
    with pytest.raises(ValueError, match="3 regime labels for 4 bars"):
        compiled.evaluate({"1h": data}, regime=labels[:3])


def test_missing_base_frame_is_a_clear_error() -> None:
    compiled = compile_strategy(strategy("close > 1"))
    with pytest.raises(ValueError, match="no 1h frame given"):
        compiled.evaluate({"4h": frame([1.0])})


values_with_gaps = arrays(np.float64, 40, elements=st.one_of(st.just(np.nan), st.floats(0.0, 10.0, allow_nan=False)))


@settings(max_examples=80, deadline=None)
@given(values_with_gaps, values_with_gaps)
def test_three_valued_logic_laws(a: np.ndarray, b: np.ndarray) -> None:
    data = frame(close=a, open_=b)
    x, y, not_x, both, either, not_both, de_morgan, le = passed(
        strategy(
            "close > 5",
            "open > 5",
            "not close > 5",
            "close > 5 and open > 5",
            "close > 5 or open > 5",
            "not (close > 5 and open > 5)",
            "not close > 5 or not open > 5",
            "close <= 5",
        ),
        data,
    )
    known_x = ~np.isnan(a)
    np.testing.assert_array_equal(x, known_x & (a > 5))
    np.testing.assert_array_equal(not_x, known_x & ~x)  # not x == ~x wherever x is known
    np.testing.assert_array_equal(not_x, le)
    np.testing.assert_array_equal(both, x & y)
    np.testing.assert_array_equal(either, x | y)
    np.testing.assert_array_equal(not_both, de_morgan)


def test_not_section_equals_negated_when_term() -> None:
    data = frame(np.sin(np.linspace(0, 12, 200)) * 10 + 50)
    a = compile_strategy(strategy("close > 1", not_=("rsi(14) > 60",))).evaluate({"1h": data})
    b = compile_strategy(strategy("close > 1", "not rsi(14) > 60")).evaluate({"1h": data})
    np.testing.assert_array_equal(a.signal, b.signal)
    assert 0 < a.signal.sum() < 200


@pytest.fixture(scope="module")
def btc(shared_data: Path) -> pd.DataFrame:
    return pd.read_csv(shared_data / "klines" / "1h" / "BTCUSDT-1h.csv.gz", index_col="open_time")


EXAMPLE = StrategyConfig(
    name="rsi-pullback",
    timeframe="1h",
    when=["rsi(14) < 30", "close > ema(200) @4h", "regime in (bull, range)", "volume > 2 * sma(volume, 20)"],
    levels=LevelsConfig(entry="close", stop="close - 1.5 * atr(14)", targets=["2R", "3R"]),
)


def btc_regime(base: pd.DataFrame) -> np.ndarray:
    four = resample_ohlcv(base, "4h", source_timeframe="1h")
    return regime.align(regime.classify(four), four.index, "4h", base.index, "1h")


def test_documented_example_on_real_btc(btc: pd.DataFrame) -> None:
    compiled = compile_strategy(EXAMPLE)
    result = compiled.evaluate({"1h": btc}, regime=btc_regime(btc))
    hits = np.flatnonzero(result.signal)
    assert 5 <= hits.size <= 500
    rsi_values = result.terms[0].values["rsi(14)"]
    assert (rsi_values[hits] < 30).all()
    ema4h = result.terms[1].values["ema(200)@4h"]
    assert (btc["close"].to_numpy()[hits] > ema4h[hits]).all()
    assert not result.signal[: compiled.warmup_bars // 4].any()


def test_last_bar_of_a_truncated_history_equals_the_full_run(btc: pd.DataFrame) -> None:
    """What a live scan saw at bar k (history ending at k) is what the backtest array says at k."""
    compiled = compile_strategy(
        msgspec.structs.replace(EXAMPLE, when=[*EXAMPLE.when[:2], "macd.hist > 0 or close > bb.upper@1d"])
    )
    full = compiled.evaluate({"1h": btc}, regime=btc_regime(btc))
    full_terms = np.array([t.passed for t in full.terms])
    rng = np.random.default_rng(7)
    cuts = [*rng.integers(3000, len(btc), 12), *np.flatnonzero(full.signal)[:4] + 1]
    for k in cuts:
        part = btc.iloc[:k]
        live = compiled.evaluate({"1h": part}, regime=btc_regime(part))
        assert live.signal[-1] == full.signal[k - 1]
        np.testing.assert_array_equal([t.passed[-1] for t in live.terms], full_terms[:, k - 1])


def test_a_shared_evaluator_gives_the_same_results_as_separate_ones() -> None:
    data = frame(np.sin(np.linspace(0, 20, 300)) * 10 + 50)
    first = compile_strategy(strategy("rsi(14) < 40", "close > ema(20)@4h"))
    second = compile_strategy(strategy("rsi(14) < 40 or close crosses_above sma(10)"))
    shared = Evaluator({"1h": data}, "1h")
    for compiled in (first, second):
        alone = compiled.evaluate({"1h": data})
        together = compiled.evaluate({"1h": data}, evaluator=shared)
        np.testing.assert_array_equal(alone.signal, together.signal)
        assert 0 < together.signal.sum() < 300
    # rsi(14) was computed once for both strategies: the second reads the first's array.
    assert (
        second.evaluate({}, evaluator=shared).terms[0].values["rsi(14)"]
        is (first.evaluate({}, evaluator=shared).terms[0].values["rsi(14)"])
    )
    with pytest.raises(ValueError, match="evaluator is for 4h bars"):
        first.evaluate({}, evaluator=Evaluator({"4h": data}, "4h"))


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_evaluates_over_the_whole_series(name: str) -> None:
    data = frame(np.sin(np.linspace(0, 30, 400)) * 10 + 50 + np.linspace(0, 5, 400), open_=None)
    data["open"] = data["close"].shift(1).fillna(50.0)
    spec = FUNCTIONS[name]
    required = ", ".join("10" for p in spec.params if p.default is None)
    call = f"{name}({required})" if required else name
    text = call if spec.kind == "boolean" else f"{call} > -1e18"
    result = compile_strategy(strategy(text)).evaluate({"1h": data})
    assert result.terms[0].passed.shape == (400,)
    if spec.kind == "number":
        values = result.terms[0].values
        series = values[next(iter(values))]
        assert series.shape == (400,) and np.isfinite(series[-100:]).all()
        assert result.terms[0].passed[-100:].all()


def test_language_values_equal_the_kernels() -> None:
    data = frame(np.sin(np.linspace(0, 30, 400)) * 10 + 50)
    close = data["close"].to_numpy()
    result = compile_strategy(strategy("macd.hist(12, 26, 9) > 0", "bb.lower(20, 2.5) < close")).evaluate({"1h": data})
    np.testing.assert_array_equal(result.terms[0].values["macd.hist(12, 26, 9)"], ind.macd(close, 12, 26, 9).hist)
    np.testing.assert_array_equal(result.terms[1].values["bb.lower(20, 2.5)"], ind.bollinger(close, 20, 2.5).lower)
