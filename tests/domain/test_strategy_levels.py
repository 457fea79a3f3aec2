"""Setup levels from strategy configs: R-multiple targets, expression targets, and bad levels per bar."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cryptoterm.config.schema import LevelsConfig, StrategyConfig
from cryptoterm.domain.indicators import atr
from cryptoterm.domain.strategy import LevelsError, compile_strategy
from cryptoterm.domain.timeframes import HOUR_MS


def frame(size: int = 60) -> pd.DataFrame:
    t = np.arange(size, dtype=np.float64)
    close = 100 + 5 * np.sin(t / 5) + t * 0.1
    return pd.DataFrame(
        {"open": close - 0.3, "high": close + 1.0, "low": close - 1.2, "close": close, "volume": np.ones(size)},
        index=pd.Index(1_704_067_200_000 + HOUR_MS * np.arange(size), name="open_time"),
    )


def strategy(direction: str, levels: LevelsConfig) -> StrategyConfig:
    return StrategyConfig(name="lv", timeframe="1h", direction=direction, when=["close > 0"], levels=levels)  # type: ignore[arg-type]


def test_long_r_targets_from_an_atr_stop() -> None:
    data = frame()
    compiled = compile_strategy(strategy("long", LevelsConfig(stop="close - 1.5 * atr(14)", targets=["2R", "3R"])))
    levels = compiled.levels_at({"1h": data}, -1)
    close = data["close"].iloc[-1]
    stop = close - 1.5 * atr(data["high"].to_numpy(), data["low"].to_numpy(), data["close"].to_numpy(), 14)[-1]
    assert levels.entry == close
    assert levels.stop == pytest.approx(stop, rel=1e-12)
    risk = close - stop
    assert levels.targets == pytest.approx((close + 2 * risk, close + 3 * risk), rel=1e-12)
    assert levels.entry_zone is None


def test_short_targets_are_mirrored() -> None:
    data = frame()
    compiled = compile_strategy(strategy("short", LevelsConfig(stop="high + 1", targets=["1R", "2.5R"])))
    levels = compiled.levels_at({"1h": data}, 30)
    entry, stop = data["close"].iloc[30], data["high"].iloc[30] + 1
    assert (levels.entry, levels.stop) == (entry, stop)
    assert levels.targets == pytest.approx((entry - (stop - entry), entry - 2.5 * (stop - entry)))
    assert all(t < levels.entry for t in levels.targets)


def test_stop_on_the_wrong_side_is_rejected() -> None:
    data = frame()
    long_wrong = compile_strategy(strategy("long", LevelsConfig(stop="close + 1")))
    with pytest.raises(LevelsError, match=r'strategy "lv": stop [\d.]+ is not below entry [\d.]+ for a long'):
        long_wrong.levels_at({"1h": data}, -1)
    short_wrong = compile_strategy(strategy("short", LevelsConfig(stop="low")))
    with pytest.raises(LevelsError, match=r"is not above entry .* for a short"):
        short_wrong.levels_at({"1h": data}, -1)


def test_expression_target_on_the_wrong_side_is_rejected() -> None:
    data = frame()
    compiled = compile_strategy(strategy("long", LevelsConfig(stop="low", targets=["2R", "low - 5"])))
    with pytest.raises(LevelsError, match=r"target 2 \([\d.]+\) is not above entry"):
        compiled.levels_at({"1h": data}, -1)


def test_levels_during_warm_up_or_out_of_range_are_errors() -> None:
    data = frame()
    compiled = compile_strategy(strategy("long", LevelsConfig(stop="close - atr(14)")))
    with pytest.raises(LevelsError, match="levels are not known at bar 5"):
        compiled.levels_at({"1h": data}, 5)
    with pytest.raises(LevelsError, match="outside the 60 bars"):
        compiled.levels_at({"1h": data}, 60)


def test_level_series_agree_with_levels_at_every_bar() -> None:
    data = frame()
    compiled = compile_strategy(
        strategy(
            "long",
            LevelsConfig(stop="lowest(low, 5)", targets=["2R", "highest(high, 20) + 10"], entry_zone="ema(5)"),
        )
    )
    series = compiled.levels_series({"1h": data})
    assert series.entry_zone is not None
    for i in range(20, 60, 7):
        levels = compiled.levels_at({"1h": data}, i)
        assert levels.stop == series.stop[i]
        assert levels.targets == (series.targets[0][i], series.targets[1][i])
        assert levels.entry_zone == series.entry_zone[i]
    np.testing.assert_allclose(series.targets[0], series.entry + 2 * (series.entry - series.stop))
