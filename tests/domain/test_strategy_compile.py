"""Compiling strategy configs: the documented example, canonical forms, warm-up, and load-time errors."""

from __future__ import annotations

import tomllib

import msgspec
import pytest

from cryptoterm.config.schema import LevelsConfig, StrategyConfig
from cryptoterm.domain.strategy import StrategyError, compile_strategy, parse_expires
from cryptoterm.domain.strategy.nodes import AtTimeframe, Call, Compare, Number, Offset, SeriesRef

EXAMPLE = """
[[strategy]]
name = "rsi-pullback"
timeframe = "1h"
direction = "long"
universe = { top = 30, quote = "USDT", exclude = ["stablecoins", "leveraged"], min_quote_volume = 5e6 }
when = ["rsi(14) < 30", "close > ema(200) @4h", "regime in (bull, range)", "volume > 2 * sma(volume, 20)"]
levels = { entry = "close", stop = "close - 1.5 * atr(14)", targets = ["2R", "3R"] }
expires = "12 bars"
"""


def example() -> StrategyConfig:
    raw = tomllib.loads(EXAMPLE)["strategy"][0]
    return msgspec.convert({**raw, "source": "strategies.toml"}, StrategyConfig)


def with_(cfg: StrategyConfig, **changes: object) -> StrategyConfig:
    return msgspec.structs.replace(cfg, **changes)


def error_of(cfg: StrategyConfig) -> str:
    with pytest.raises(StrategyError) as info:
        compile_strategy(cfg)
    return str(info.value)


def test_the_documented_example_compiles() -> None:
    compiled = compile_strategy(example())
    assert compiled.name == "rsi-pullback"
    assert compiled.timeframe == "1h" and compiled.direction == "long"
    assert compiled.timeframes_needed == frozenset({"1h", "4h"})
    assert compiled.expires_bars == 12
    assert compiled.uses_regime
    assert [t.text for t in compiled.terms] == example().when
    assert compiled.targets == (2.0, 3.0)
    # ema(200) on 4h needs 1 + 3·200 4h bars to settle (×4 in 1h bars), plus one 4h bar of alignment.
    assert compiled.warmup_bars == (1 + 3 * 200) * 4 + 4


def test_defaults_and_sources_are_filled_in() -> None:
    compiled = compile_strategy(with_(example(), when=["rsi < 30", "close > ema(close, 200)@4h", "prev(close, 2) > 1"]))
    rsi, ema, prev = (t.node for t in compiled.terms)
    assert rsi == Compare("<", Call("rsi", (SeriesRef("close"), Number(14))), Number(30))
    assert ema == Compare(">", SeriesRef("close"), AtTimeframe(Call("ema", (SeriesRef("close"), Number(200))), "4h"))
    assert prev == Compare(">", Offset(SeriesRef("close"), 2), Number(1))


def test_aliases_and_multi_output_names() -> None:
    compiled = compile_strategy(
        with_(
            example(),
            when=["close > bb.upper(20, 2)", "close > bollinger.upper", "stoch < 20", "adx.plus_di > adx.minus_di"],
        )
    )
    assert compiled.terms[0].node == compiled.terms[1].node
    assert compiled.terms[2].node == Compare("<", Call("stoch.k", (Number(14), Number(3))), Number(20))


def test_a_suffix_equal_to_the_strategy_timeframe_is_a_no_op() -> None:
    compiled = compile_strategy(with_(example(), when=["close > ema(20)@1h"]))
    assert compiled.timeframes_needed == frozenset({"1h"})
    assert compiled.terms[0].node == Compare(">", SeriesRef("close"), Call("ema", (SeriesRef("close"), Number(20))))


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (
            ["rsi(14) < 30", "close > emma(200) @4h"],
            'strategies.toml: strategy "rsi-pullback", when[1]: unknown indicator "emma" (did you mean "ema"?)',
        ),
        (["clsoe > 3"], 'when[0]: unknown name "clsoe" (did you mean "close"?)'),
        (["macd_hist(12, 26, 9) > 0"], 'unknown indicator "macd_hist" (did you mean "macd.hist"?)'),
        (["ema(1, 2, 3) > 0"], "ema takes at most 1 number argument(s) (ema(period) or ema(source, period)), got 3"),
        (["ema() > 0"], "ema needs its period"),
        (["ema(2.5) > 0"], "ema: period must be a whole number ≥ 1, got 2.5"),
        (["ema(close, close) > 0"], 'ema: period must be a constant number, got "close"'),
        (["atr(close, 14) > 0"], "atr reads the bar itself and takes no source series"),
        (["hammer(3)"], "hammer takes at most 0 number argument(s)"),
        (["close(3) > 1"], '"close" is a price series, not a function'),
        (["crosses_above(close) "], "crosses_above takes 2 arguments"),
        (["close > ema(200)@3h"], 'unknown timeframe "@3h"; timeframes are 1m, 5m, 15m, 1h, 4h, 1d'),
        (["close > ema(200)@4hr"], 'unknown timeframe "@4hr" (did you mean "4h"?)'),
        (["close > ema(200)@15m"], '"@15m" must be a multiple of the timeframe it is used on (1h)'),
        (["regime == bul"], 'unknown regime "bul" (did you mean "bull"?)'),
        (["(regime == bull)@4h"], "regime is only known on the strategy's own timeframe (1h)"),
        (["rsi(14)"], '"rsi(14)" is a number, not a condition'),
        (["rsi(14) < 30 and 5"], '"5" is a number, but "and" needs a condition'),
        (["hammer + 1 > 2"], '"hammer" is a condition, but "+" needs a number'),
        (["close[9000] > 1"], "offset [9000] is too far back"),
        (["rsi(14 < 30"], 'when[0]: syntax error at column 12: expected "," or ")"'),
        ([], "when: no conditions (when, any and not are all empty)"),
    ],
)
def test_condition_errors_name_file_strategy_and_term(when: list[str], message: str) -> None:
    assert message in error_of(with_(example(), when=when))


def test_errors_in_any_and_not_sections_are_located() -> None:
    assert 'any[1]: unknown name "hamer" (did you mean "hammer"?)' in error_of(with_(example(), any=["doji", "hamer"]))
    assert "not[0]: unknown indicator" in error_of(with_(example(), not_=["rsii(3) > 2"]))


def test_a_strategy_without_a_source_file_still_names_the_strategy() -> None:
    message = error_of(with_(example(), source="", when=["emma(3) > 1"]))
    assert message.startswith('strategy "rsi-pullback", when[0]: unknown indicator "emma"')


@pytest.mark.parametrize(
    ("levels", "message"),
    [
        (LevelsConfig(stop="close >"), "levels.stop: syntax error at column 8"),
        (LevelsConfig(stop="close > 3"), 'levels.stop: "close > 3" is a condition, but a price level is needed'),
        (LevelsConfig(entry="emma(3)"), 'levels.entry: unknown indicator "emma"'),
        (LevelsConfig(targets=["2X"]), 'levels.targets[0]: "2X" is not a target; write an R multiple ("2R")'),
        (LevelsConfig(targets=["2R", "0R"]), 'levels.targets[1]: "0R": R multiple must be above 0'),
        (LevelsConfig(targets=["highest(hihg, 20)"]), 'levels.targets[0]: unknown name "hihg"'),
        (LevelsConfig(entry_zone="ema(0)"), "levels.entry_zone: ema: period must be a whole number ≥ 1"),
    ],
)
def test_levels_errors(levels: LevelsConfig, message: str) -> None:
    assert message in error_of(with_(example(), levels=levels))


def test_expression_targets_and_entry_zone_compile() -> None:
    compiled = compile_strategy(
        with_(example(), levels=LevelsConfig(targets=["1.5R", "highest(high, 50)"], entry_zone="ema(20)"))
    )
    assert compiled.targets[0] == 1.5
    assert compiled.targets[1] == Call("highest", (SeriesRef("high"), Number(50)))
    assert compiled.entry_zone == Call("ema", (SeriesRef("close"), Number(20)))


@pytest.mark.parametrize(
    ("text", "timeframe", "bars"),
    [
        ("12 bars", "1h", 12),
        ("1 bar", "4h", 1),
        ("3 candles", "1d", 3),
        ("2d", "1h", 48),
        ("48 hours", "4h", 12),
        ("90m", "1h", 2),
        ("1 day", "15m", 96),
    ],
)
def test_expires(text: str, timeframe: str, bars: int) -> None:
    assert parse_expires(text, timeframe) == bars


@pytest.mark.parametrize("text", ["12 bras", "soon", "0 bars", "-3 bars", "12"])
def test_bad_expires_is_a_compile_error(text: str) -> None:
    message = error_of(with_(example(), expires=text))
    assert 'strategy "rsi-pullback", expires:' in message


def test_direction_and_timeframe_are_checked_for_non_config_callers() -> None:
    assert 'strategy "rsi-pullback", direction: "sideways" must be "long" or "short"' in error_of(
        with_(example(), direction="sideways")
    )
    assert 'timeframe: "3h" is not a timeframe' in error_of(with_(example(), timeframe="3h"))
