"""Missing bars in a candle series: where they are, how many, and which side of the data they fall on.

A missing bar is an open time on the timeframe's grid with no candle. Where the missing bars sit matters to
what they mean: before the first bar the market simply did not exist yet (or was not asked for), after the
last bar the data is not there *yet*, and between two bars the exchange was down or our copy has a hole.
Telling an exchange outage from a hole needs the exchange's word (a backfill that comes back empty) or
agreement across symbols (an outage hits every market at once); `common_gaps` gives the latter.

All inputs are epoch-millisecond open times; the functions are vectorised with numpy and never look at a
clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt


class Gap(NamedTuple):
    """A run of `missing` consecutive missing bars: open times `start_ms`, … , `end_ms - timeframe`.

    `end_ms` is exclusive (it is the open time of the next bar that exists, or the range's end), so
    `(end_ms - start_ms) // timeframe_ms == missing` and a gap can be handed to a fetch as [start, end).
    """

    start_ms: int
    end_ms: int
    missing: int


class MissingBars(NamedTuple):
    """Missing bars of a series over a requested range, split by where they fall."""

    leading: Gap | None
    interior: tuple[Gap, ...]
    trailing: Gap | None

    @property
    def total(self) -> int:
        """All missing bars in the range."""
        edge = (self.leading.missing if self.leading else 0) + (self.trailing.missing if self.trailing else 0)
        return edge + sum(g.missing for g in self.interior)

    def all(self) -> list[Gap]:
        """Every gap, in time order."""
        gaps = [self.leading] if self.leading else []
        gaps.extend(self.interior)
        if self.trailing:
            gaps.append(self.trailing)
        return gaps


def _times(open_times: Sequence[int] | npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Sorted unique int64 open times (duplicates and disorder are quality problems, not gaps)."""
    return np.unique(np.asarray(open_times, dtype=np.int64))


def _check_timeframe(timeframe_ms: int) -> None:
    if timeframe_ms <= 0:
        raise ValueError(f"timeframe_ms must be positive, got {timeframe_ms}")


def ceil_to_grid(ts_ms: int, timeframe_ms: int) -> int:
    """The first grid open time at or after `ts_ms`."""
    return -((-ts_ms) // timeframe_ms) * timeframe_ms


def find_gaps(
    open_times: Sequence[int] | npt.NDArray[np.int64],
    timeframe_ms: int,
    start_ms: int | None = None,
    end_ms: int | None = None,
) -> list[Gap]:
    """Runs of missing bars in `open_times` (any order; duplicates ignored).

    Without bounds only gaps between the first and last bar are found. `start_ms` / `end_ms` (exclusive)
    extend the search to a requested range, so missing bars before the first / after the last bar count
    too; the range is snapped to the grid (start rounded up, end rounded up) and bars outside it ignored.
    An empty series over a non-empty range is one gap covering the whole range.
    """
    _check_timeframe(timeframe_ms)
    times = _times(open_times)
    if start_ms is not None:
        start_ms = ceil_to_grid(start_ms, timeframe_ms)
        times = times[times >= start_ms]
    if end_ms is not None:
        end_ms = ceil_to_grid(end_ms, timeframe_ms)
        times = times[times < end_ms]
    if times.size == 0:
        if start_ms is not None and end_ms is not None and end_ms > start_ms:
            return [Gap(start_ms, end_ms, (end_ms - start_ms) // timeframe_ms)]
        return []
    bounded = times
    if start_ms is not None and times[0] > start_ms:
        # A virtual bar one step before the range start makes a leading gap look like an interior one.
        bounded = np.concatenate(([start_ms - timeframe_ms], bounded))
    if end_ms is not None and times[-1] + timeframe_ms < end_ms:
        bounded = np.concatenate((bounded, [end_ms]))
    steps = np.diff(bounded)
    where = np.nonzero(steps > timeframe_ms)[0]
    gaps: list[Gap] = []
    for index in where.tolist():
        first_missing = int(bounded[index]) + timeframe_ms
        next_present = int(bounded[index + 1])
        # Off-grid neighbours (a misaligned bar) still yield whole missing bars only.
        missing = (next_present - first_missing + timeframe_ms - 1) // timeframe_ms
        if missing > 0:
            gaps.append(Gap(first_missing, next_present, missing))
    return gaps


def missing_bars(
    open_times: Sequence[int] | npt.NDArray[np.int64], timeframe_ms: int, start_ms: int, end_ms: int
) -> MissingBars:
    """Missing bars over [start_ms, end_ms), split into before-the-first, between, and after-the-last bar."""
    _check_timeframe(timeframe_ms)
    gaps = find_gaps(open_times, timeframe_ms, start_ms, end_ms)
    times = _times(open_times)
    start = ceil_to_grid(start_ms, timeframe_ms)
    end = ceil_to_grid(end_ms, timeframe_ms)
    times = times[(times >= start) & (times < end)]
    if times.size == 0:
        return MissingBars(gaps[0] if gaps else None, (), None)
    first, last = int(times[0]), int(times[-1])
    leading = next((g for g in gaps if g.end_ms <= first), None)
    trailing = next((g for g in gaps if g.start_ms > last), None)
    interior = tuple(g for g in gaps if g is not leading and g is not trailing)
    return MissingBars(leading, interior, trailing)


def count_missing(gaps: Iterable[Gap]) -> int:
    """Total missing bars across `gaps`."""
    return sum(g.missing for g in gaps)


def gap_bars(gap: Gap, timeframe_ms: int) -> npt.NDArray[np.int64]:
    """The open times of every bar missing in `gap`."""
    return np.arange(gap.start_ms, gap.end_ms, timeframe_ms, dtype=np.int64)


def common_gaps(gap_lists: Sequence[Sequence[Gap]], timeframe_ms: int, min_share: float = 1.0) -> list[Gap]:
    """Missing bars shared by at least `min_share` of the series (1.0 = all): the signature of an outage.

    A hole in one symbol's copy is local; an exchange outage removes the same bars from every market.
    """
    _check_timeframe(timeframe_ms)
    if not gap_lists:
        return []
    if not 0.0 < min_share <= 1.0:
        raise ValueError(f"min_share must be in (0, 1], got {min_share}")
    arrays = [np.concatenate([gap_bars(g, timeframe_ms) for g in gaps]) for gaps in gap_lists if gaps]
    if not arrays:
        return []
    bars, counts = np.unique(np.concatenate(arrays), return_counts=True)
    needed = int(np.ceil(min_share * len(gap_lists) - 1e-9))
    shared = bars[counts >= needed]
    if shared.size == 0:
        return []
    return _runs(shared, timeframe_ms)


def overlaps(gap: Gap, others: Iterable[Gap]) -> bool:
    """Does `gap` share at least one missing bar with any of `others`?"""
    return any(gap.start_ms < o.end_ms and o.start_ms < gap.end_ms for o in others)


def _runs(bars: npt.NDArray[np.int64], timeframe_ms: int) -> list[Gap]:
    """Consecutive grid open times grouped into gaps."""
    breaks = np.nonzero(np.diff(bars) != timeframe_ms)[0]
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [bars.size - 1]))
    return [
        Gap(int(bars[s]), int(bars[e]) + timeframe_ms, int(e - s + 1))
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True)
    ]
