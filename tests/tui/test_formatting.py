from __future__ import annotations

import math

import pytest

from cryptoterm.tui.formatting import (
    DASH,
    fmt_abbrev,
    fmt_age,
    fmt_bar_time,
    fmt_bps,
    fmt_clock,
    fmt_pct,
    fmt_price,
    fmt_rate,
    price_decimals,
)


@pytest.mark.parametrize(
    ("price", "text"),
    [
        (61234.5, "61,234.50"),
        (2650.0, "2,650.00"),
        (155.123456, "155.1235"),
        (0.5712345, "0.571234"),
        (0.0000123456, "0.0000123456"),
        (0.0, "0.00"),
    ],
)
def test_price_uses_magnitude_aware_decimals(price: float, text: str) -> None:
    assert fmt_price(price) == text


def test_price_decimals_grow_as_prices_shrink() -> None:
    decimals = [price_decimals(p) for p in (50_000, 50, 0.5, 0.005, 0.00005)]
    assert decimals == sorted(decimals)
    assert decimals[0] == 2


@pytest.mark.parametrize(
    ("value", "text"),
    [(1_234_567, "1.23M"), (12_345_678, "12.3M"), (999, "999"), (1_500, "1.50K"), (2.5e9, "2.50B"), (3.2, "3.20")],
)
def test_abbrev(value: float, text: str) -> None:
    assert fmt_abbrev(value) == text


def test_missing_values_show_a_dash() -> None:
    nan = float("nan")
    for fn in (fmt_price, fmt_abbrev, fmt_pct, fmt_bps, fmt_rate, fmt_age):
        assert fn(nan) == DASH
    assert fmt_price(math.inf) == DASH


def test_percent_and_bps() -> None:
    assert fmt_pct(1.254) == "+1.25%"
    assert fmt_pct(-0.5) == "-0.50%"
    assert fmt_bps(2.04) == "2.0"


def test_age_units() -> None:
    assert fmt_age(850) == "850ms"
    assert fmt_age(4_200) == "4.2s"
    assert fmt_age(192_000) == "3m12s"
    assert fmt_age(7_500_000) == "2h05m"
    assert fmt_age(-1) == DASH


def test_clock_and_bar_labels_are_utc() -> None:
    ts = 1_723_161_905_000  # 2024-08-09 00:05:05 UTC
    assert fmt_clock(ts) == "2024-08-09 00:05:05"
    assert fmt_bar_time(ts, 60_000) == "00:05"
    assert fmt_bar_time(ts, 86_400_000) == "08-09"
