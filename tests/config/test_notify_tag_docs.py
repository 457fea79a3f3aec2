"""The example config documents the notification tag syntax the apprise adapter actually parses (`URL#event,…`)."""

from __future__ import annotations

import re
from pathlib import Path

from cryptoterm.domain.redaction import split_tags

ROOT = Path(__file__).resolve().parents[2]


def test_the_example_configs_tag_example_parses_into_the_documented_events() -> None:
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    assert "?tag=" not in text
    notify = text[text.index("[notify]") :]
    example = re.search(r'"(tgram://[^"]+#[^"]+)"', notify)
    assert example is not None, "the [notify] comment shows a tagged URL"
    bare, tags = split_tags(example.group(1))
    assert tags == {"triggered", "closed"} and "#" not in bare


def test_the_readme_uses_the_same_syntax() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "#triggered,closed" in readme and "?tag=" not in readme
