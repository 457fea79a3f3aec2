"""Seek targets written as clock times, dates, steps or shares, clamped to the recording; speed steps."""

from __future__ import annotations

import pytest

from cryptoterm.domain.replay_seek import SPEEDS, SeekError, parse_seek, step_speed

START = 1_723_161_253_000  # 2024-08-08 23:54:13 UTC
END = 1_723_161_904_000  # 2024-08-09 00:05:04 UTC
POS = START + 60_000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("23:57", 1_723_161_420_000),
        ("23:57:30", 1_723_161_450_000),
        ("00:02", 1_723_161_720_000),  # after midnight: the day within the recording
        ("2024-08-09 00:01", 1_723_161_660_000),
        ("+30s", POS + 30_000),
        ("-5m", START),  # clamped to the start
        ("+2h", END),  # clamped to the end
        ("50%", START + (END - START) // 2),
        ("0%", START),
    ],
)
def test_each_form(text: str, expected: int) -> None:
    assert parse_seek(text, START, END, POS) == expected


@pytest.mark.parametrize("text", ["", "soon", "25:00", "150%", "+x"])
def test_bad_text_is_one_line_naming_the_forms(text: str) -> None:
    with pytest.raises(SeekError, match="23:57"):
        parse_seek(text, START, END, POS)


def test_a_share_needs_the_end_and_speeds_step_and_clamp() -> None:
    with pytest.raises(SeekError, match="not known"):
        parse_seek("50%", START, 0, POS)
    assert parse_seek("+90s", START, 0, POS) == POS + 90_000
    assert step_speed(1.0, 1) == 2.0 and step_speed(1.0, -1) == 0.5
    assert step_speed(100.0, 1) == 0.0 and step_speed(0.0, 1) == 0.0  # 0 = as fast as possible, the top
    assert step_speed(0.25, -1) == 0.25 and step_speed(3.0, 1) == 5.0
    assert SPEEDS[-1] == 0.0
