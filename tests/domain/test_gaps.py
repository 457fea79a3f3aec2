"""Gap finding on the real 1h files (5 real outages, 12 bars) and properties on synthetic grids."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cryptoterm.domain.gaps import (
    Gap,
    ceil_to_grid,
    common_gaps,
    count_missing,
    find_gaps,
    gap_bars,
    missing_bars,
    overlaps,
)

HOUR = 3_600_000


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


#: SOURCES.md §1: after 2021-04-20 01:00 (2 bars), 2021-04-25 04:00 (3), 2021-08-13 01:00 (4),
#: 2021-09-29 06:00 (2), 2023-03-24 12:00 (1).
REAL_OUTAGES = [
    Gap(ms("2021-04-20 02:00"), ms("2021-04-20 04:00"), 2),
    Gap(ms("2021-04-25 05:00"), ms("2021-04-25 08:00"), 3),
    Gap(ms("2021-08-13 02:00"), ms("2021-08-13 06:00"), 4),
    Gap(ms("2021-09-29 07:00"), ms("2021-09-29 09:00"), 2),
    Gap(ms("2023-03-24 13:00"), ms("2023-03-24 14:00"), 1),
]


def read_open_times(path: Path) -> np.ndarray:
    with gzip.open(path, "rt") as fh:
        next(fh)
        return np.array([int(line.split(",", 1)[0]) for line in fh], dtype=np.int64)


def test_real_btc_1h_outages_found_exactly(shared_data: Path) -> None:
    times = read_open_times(shared_data / "klines/1h/BTCUSDT-1h.csv.gz")
    gaps = find_gaps(times, HOUR)
    assert gaps == REAL_OUTAGES
    assert count_missing(gaps) == 12


def test_real_outages_are_common_to_every_symbol(shared_data: Path) -> None:
    lists = [
        find_gaps(read_open_times(shared_data / f"klines/1h/{s}USDT-1h.csv.gz"), HOUR) for s in ("BTC", "ETH", "SOL")
    ]
    assert common_gaps(lists, HOUR) == REAL_OUTAGES


def test_a_local_hole_is_not_common() -> None:
    full = np.arange(0, 100 * HOUR, HOUR, dtype=np.int64)
    with_outage = np.delete(full, [10, 11])
    with_outage_and_hole = np.delete(full, [10, 11, 50])
    lists = [find_gaps(with_outage, HOUR), find_gaps(with_outage_and_hole, HOUR)]
    assert common_gaps(lists, HOUR) == [Gap(10 * HOUR, 12 * HOUR, 2)]
    assert common_gaps(lists, HOUR, min_share=0.5) == [Gap(10 * HOUR, 12 * HOUR, 2), Gap(50 * HOUR, 51 * HOUR, 1)]


def test_no_gaps_in_a_complete_series() -> None:
    assert find_gaps(np.arange(0, 50 * HOUR, HOUR), HOUR) == []
    assert find_gaps([], HOUR) == []


def test_bounds_add_leading_and_trailing_gaps() -> None:
    times = [5 * HOUR, 6 * HOUR, 8 * HOUR]
    gaps = find_gaps(times, HOUR, start_ms=2 * HOUR, end_ms=11 * HOUR)
    assert gaps == [Gap(2 * HOUR, 5 * HOUR, 3), Gap(7 * HOUR, 8 * HOUR, 1), Gap(9 * HOUR, 11 * HOUR, 2)]
    split = missing_bars(times, HOUR, 2 * HOUR, 11 * HOUR)
    assert split.leading == Gap(2 * HOUR, 5 * HOUR, 3)
    assert split.interior == (Gap(7 * HOUR, 8 * HOUR, 1),)
    assert split.trailing == Gap(9 * HOUR, 11 * HOUR, 2)
    assert split.total == 6
    assert split.all() == gaps


def test_empty_series_over_a_range_is_one_gap() -> None:
    assert find_gaps([], HOUR, 0, 4 * HOUR) == [Gap(0, 4 * HOUR, 4)]
    split = missing_bars([], HOUR, 0, 4 * HOUR)
    assert split.leading == Gap(0, 4 * HOUR, 4)
    assert split.interior == ()
    assert split.trailing is None


def test_bounds_snap_to_grid_and_ignore_outside_bars() -> None:
    times = [0, HOUR, 2 * HOUR, 5 * HOUR, 9 * HOUR]
    # start 30 min past the hour snaps up to 1h; end 4h30 covers the bar opening at 4h.
    assert find_gaps(times, HOUR, start_ms=HOUR // 2, end_ms=4 * HOUR + HOUR // 2) == [Gap(3 * HOUR, 5 * HOUR, 2)]
    assert ceil_to_grid(HOUR + 1, HOUR) == 2 * HOUR
    assert ceil_to_grid(2 * HOUR, HOUR) == 2 * HOUR


def test_duplicates_and_disorder_are_not_gaps() -> None:
    assert find_gaps([2 * HOUR, 0, HOUR, HOUR, 4 * HOUR], HOUR) == [Gap(3 * HOUR, 4 * HOUR, 1)]


def test_gap_bars_and_overlaps() -> None:
    gap = Gap(2 * HOUR, 5 * HOUR, 3)
    assert gap_bars(gap, HOUR).tolist() == [2 * HOUR, 3 * HOUR, 4 * HOUR]
    assert overlaps(gap, [Gap(4 * HOUR, 6 * HOUR, 2)])
    assert not overlaps(gap, [Gap(5 * HOUR, 6 * HOUR, 1)])


def test_bad_timeframe_is_rejected() -> None:
    with pytest.raises(ValueError, match="timeframe_ms"):
        find_gaps([0], 0)


@given(
    n=st.integers(min_value=2, max_value=400),
    removed=st.sets(st.integers(min_value=1, max_value=398), max_size=60),
)
def test_gaps_recover_exactly_the_removed_bars(n: int, removed: set[int]) -> None:
    step = 60_000
    full = np.arange(n, dtype=np.int64) * step
    drop = sorted(i for i in removed if i < n - 1)
    kept = np.delete(full, drop)
    gaps = find_gaps(kept, step)
    recovered = sorted(int(t) for g in gaps for t in gap_bars(g, step))
    assert recovered == [int(full[i]) for i in drop]
    assert all((g.end_ms - g.start_ms) // step == g.missing for g in gaps)
    # Bounded search over the full range recovers the same plus nothing else.
    bounded = find_gaps(kept, step, 0, n * step)
    assert count_missing(bounded) == len(drop)
