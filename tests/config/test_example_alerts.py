"""The issue's `[[alert]]` example loads as written; config.example.toml documents every key of an alert rule
and its rules are valid; a bad rule stops the start with one line naming the file, the rule and the field."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import pytest

from cryptoterm.config import load_config
from cryptoterm.config.schema import AlertConfig
from cryptoterm.domain.alerts import PriceTrigger
from cryptoterm.wiring import StartupError
from cryptoterm.wiring.alerts import config_rules

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"

ISSUE_EXAMPLE = """
[[alert]]
name = "eth-dip"
symbol = "ETH/USDT"
when = "price crosses_below 2675"
cooldown = "10m"
tags = ["telegram"]
"""


def test_the_issue_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(ISSUE_EXAMPLE)
    [rule] = config_rules(load_config(str(path)))
    assert (rule.name, rule.symbol, rule.cooldown_ms, rule.tags, rule.origin) == (
        "eth-dip",
        "ETH/USDT",
        600_000,
        ("telegram",),
        "config",
    )
    assert rule.trigger == PriceTrigger("crosses_below", 2675.0)


def test_the_example_documents_every_alert_key_and_its_rules_build() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    notes = " ".join(line.lstrip("# ") for line in text.splitlines() if line.startswith("#"))
    alerts_section = notes[notes.index("Alerts. Each [[alert]]") :]
    missing = [f.encode_name for f in msgspec.structs.fields(AlertConfig) if f"`{f.encode_name}" not in alerts_section]
    assert missing == []
    rules = config_rules(load_config(str(EXAMPLE)))
    assert {rule.name for rule in rules} >= {"eth-dip"}
    assert len(re.findall(r"^\[\[alert\]\]$", text, flags=re.MULTILINE)) == len(rules)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            'name = "a"\nwhen = "price above 1"',
            'config.toml: [[alert]] #1: alert "a", symbol: a price alert needs a symbol',
        ),
        ('name = "a"\nsymbol = "BTC/USDT"\nwhen = "rsi(14) < emma(3)"', 'alert "a", when: unknown indicator "emma"'),
        (
            'name = "a"\nsymbol = "BTC/USDT"\nwhen = "price above 1"\n\n[[alert]]\nname = "a"\nwhen = "stream stalled"',
            'config.toml: [[alert]] #2: alert "a" is defined twice',
        ),
    ],
)
def test_a_bad_rule_stops_the_start_naming_file_rule_and_field(tmp_path: Path, table: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"[[alert]]\n{table}\n")
    with pytest.raises(StartupError) as raised:
        config_rules(load_config(str(path)))
    assert message in str(raised.value)


def test_an_unknown_alert_key_is_a_config_error(tmp_path: Path) -> None:
    from cryptoterm.config import ConfigError

    path = tmp_path / "config.toml"
    path.write_text('[[alert]]\nname = "a"\nwhen = "stream stalled"\ncooldwn = "1m"\n')
    with pytest.raises(ConfigError, match=r"\[\[alert\]\] #1\.cooldwn: unknown key"):
        load_config(str(path))
