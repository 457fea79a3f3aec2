"""Alert rules: the `when` grammar, every field checked with the rule and the field named, templates."""

from __future__ import annotations

from typing import Any

import pytest

from cryptoterm.domain.alerts import (
    AlertRule,
    AlertRuleError,
    ChangeTrigger,
    ConditionTrigger,
    PriceTrigger,
    QualityTrigger,
    RuleFields,
    StallTrigger,
    VolumeSpikeTrigger,
    ZScoreTrigger,
    build_rule,
    parse_duration,
    render,
    rule_fields,
)


def rule(when: str, **fields: Any) -> AlertRule:
    return build_rule(RuleFields(name="r", when=when, symbol=str(fields.pop("symbol", "ETH/USDT")), **fields))


@pytest.mark.parametrize(
    ("when", "trigger"),
    [
        ("price crosses_below 2675", PriceTrigger("crosses_below", 2675.0)),
        ("price  >  70000", PriceTrigger("above", 70000.0)),
        ("price < 1.5e3", PriceTrigger("below", 1500.0)),
        ("price crosses 61700", PriceTrigger("crosses", 61700.0)),
        ("change 1h above 5%", ChangeTrigger(3_600_000, "above", 5.0)),
        ("change 15m below -3%", ChangeTrigger(900_000, "below", -3.0)),
        ("change 4h beyond 8%", ChangeTrigger(14_400_000, "beyond", 8.0)),
        ("volume spike 3x", VolumeSpikeTrigger(3.0, 20)),
        ("volume spike 4.5x over 50 bars", VolumeSpikeTrigger(4.5, 50)),
        ("zscore(btc/usdt) beyond 2", ZScoreTrigger("BTC/USDT", "beyond", 2.0)),
        ("zscore(BTC/USDT) below -2.5", ZScoreTrigger("BTC/USDT", "below", -2.5)),
        ("stream stalled", StallTrigger()),
        ("quality below 80", QualityTrigger(80.0)),
        ("rsi(14) @4h < 25", ConditionTrigger("rsi(14) @4h < 25")),
        ("volume > 2 * sma(volume, 20)", ConditionTrigger("volume > 2 * sma(volume, 20)")),
    ],
)
def test_the_grammar(when: str, trigger: object) -> None:
    assert rule(when).trigger == trigger


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"when": "price crosses_belw 2675"},
            'alert "r", when: "price crosses_belw 2675": unknown comparison "crosses_belw"'
            ' (did you mean "crosses_below"?)',
        ),
        ({"when": "price above abc"}, "'abc' is not a number"),
        ({"when": "price above -1"}, "a price level must be above 0"),
        ({"when": "change 1x above 5%"}, 'window "1x" is not a duration'),
        ({"when": "change 1h above 5"}, 'needs a percent sign, e.g. "5%"'),
        ({"when": "change 30s above 5%"}, "whole number of minutes"),
        ({"when": "volume spike 1x"}, "the spike factor is above 1"),
        ({"when": "zscore(ETH/USDT) beyond 2"}, "a pair needs two different symbols"),
        ({"when": "quality below 200"}, "a quality score is from 0 to 100"),
        ({"when": "stream stuck"}, 'written "stream stalled"'),
        ({"when": "rsi(14) @4h < emma(3)"}, 'alert "r", when: unknown indicator "emma" (did you mean "ema"?)'),
        ({"when": ""}, "the condition is empty"),
        ({"when": "price above 1", "symbol": ""}, 'alert "r", symbol: a price alert needs a symbol'),
        ({"when": "price above 1", "symbol": "ETHUSDT"}, 'symbol: "ETHUSDT" is not a symbol'),
        (
            {"when": "price above 1", "cooldown": "10 minutes"},
            'alert "r", cooldown: cooldown "10 minutes" is not a duration',
        ),
        ({"when": "price above 1", "cooldown": "31d"}, "longer than 30 days"),
        ({"when": "price above 1", "expires": "tomorrow"}, 'alert "r", expires: "tomorrow" is not a date'),
        ({"when": "price above 1", "tags": ("tele gram",)}, 'alert "r", tags: "tele gram" is not a tag'),
        ({"when": "price above 1", "message": "{nme} fired"}, 'alert "r", message: unknown placeholder "{nme}"'),
        ({"when": "price above 1", "message": "{price:.2f}"}, "takes no format"),
        ({"when": "price above 1", "timeframe": "2h"}, 'alert "r", timeframe: "2h" is not one of'),
    ],
)
def test_mistakes_name_the_rule_and_the_field(fields: dict[str, object], message: str) -> None:
    with pytest.raises(AlertRuleError) as raised:
        rule(**fields)
    assert message in str(raised.value)


def test_a_bad_name_is_refused() -> None:
    with pytest.raises(AlertRuleError, match="is not a name"):
        build_rule(RuleFields(name=" ", when="price above 1", symbol="BTC/USDT"))


def test_data_events_need_no_symbol_and_others_default_their_timeframe() -> None:
    assert build_rule(RuleFields(name="q", when="quality below 80")).symbol == ""
    assert rule("rsi(14) @4h < 25").timeframe == "4h"
    assert rule("rsi(14) < 25").timeframe == "1h"
    assert rule("volume spike 3x", timeframe="5m").timeframe == "5m"
    assert rule("price above 1").timeframe == ""


def test_durations_and_expiry() -> None:
    assert parse_duration("10m") == 600_000
    assert parse_duration("0") == 0
    assert parse_duration("2d") == 172_800_000
    built = rule("price above 1", cooldown="90s", expires="2024-08-09T00:00")
    assert built.cooldown_ms == 90_000
    assert built.expires_ms == 1_723_161_600_000
    assert built.expired(1_723_161_600_000) and not built.expired(1_723_161_599_999)


def test_fields_round_trip() -> None:
    built = rule("price crosses_below 2675", cooldown="10m", once=True, expires="2024-12-31", tags=("telegram",))
    again = build_rule(rule_fields(built))
    assert again == built


def test_templates_fill_the_values_that_fired() -> None:
    text = render("{name}: {symbol} at {price} ({when}) {unknown_is_blank}", {"name": "a", "symbol": "B", "price": "1"})
    assert text == "a: B at 1 () "
    assert "{" not in render("", {"name": "a"})  # the standard line when a rule has no template
