"""What the journal teaches: per strategy and per tag, how often it wins and what a trade is worth.

Over the entries of a group that have an outcome of `win`, `loss` or `breakeven` (the decided ones; `open` and
unset entries are counted but not judged):

* win rate = wins / decided;
* expectancy = the mean R of the decided entries that have an R (profit / risk: what a trade is worth in units
  of the risk taken), and the mean profit of those that have a profit, in the quote asset;
* R distribution = how many decided entries fall in each R bucket (`R_BUCKETS`: left-closed, [a, b));
* average hold = the mean of close − open over the decided entries that have both.

An entry with several tags counts once in each of its tags; untagged entries form `(untagged)`, entries without a
strategy `(manual)`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from cryptoterm.domain.journal.entries import JournalEntry

GroupBy = Literal["strategy", "tag"]
DECIDED: Final = frozenset({"win", "loss", "breakeven"})
#: R bucket edges: below -2, [-2, -1), [-1, 0), [0, 1), [1, 2), [2, 3), 3 and above.
R_EDGES: Final = (-2.0, -1.0, 0.0, 1.0, 2.0, 3.0)
R_BUCKETS: Final = ("< -2R", "-2R..-1R", "-1R..0R", "0R..1R", "1R..2R", "2R..3R", ">= 3R")
UNTAGGED: Final = "(untagged)"
MANUAL: Final = "(manual)"


@dataclass(frozen=True, slots=True)
class GroupStats:
    """The statistics of one strategy or tag (module docstring); None where nothing could be measured."""

    key: str
    entries: int
    decided: int
    wins: int
    losses: int
    breakeven: int
    win_rate: float | None
    expectancy_r: float | None
    expectancy_pnl: float | None
    total_pnl: float
    r_counts: tuple[int, ...]
    avg_hold_ms: float | None


def r_bucket(r: float) -> int:
    """The index in `R_BUCKETS` of an R multiple."""
    for index, edge in enumerate(R_EDGES):
        if r < edge:
            return index
    return len(R_EDGES)


def group_stats(key: str, entries: Sequence[JournalEntry]) -> GroupStats:
    decided = [e for e in entries if e.outcome in DECIDED]
    wins = sum(e.outcome == "win" for e in decided)
    losses = sum(e.outcome == "loss" for e in decided)
    rs = [e.r_multiple for e in decided if e.r_multiple is not None and math.isfinite(e.r_multiple)]
    pnls = [e.pnl for e in decided if e.pnl is not None and math.isfinite(e.pnl)]
    holds = [e.hold_ms for e in decided if e.hold_ms is not None]
    counts = [0] * len(R_BUCKETS)
    for r in rs:
        counts[r_bucket(r)] += 1
    return GroupStats(
        key=key,
        entries=len(entries),
        decided=len(decided),
        wins=wins,
        losses=losses,
        breakeven=len(decided) - wins - losses,
        win_rate=wins / len(decided) if decided else None,
        expectancy_r=sum(rs) / len(rs) if rs else None,
        expectancy_pnl=sum(pnls) / len(pnls) if pnls else None,
        total_pnl=sum(pnls),
        r_counts=tuple(counts),
        avg_hold_ms=sum(holds) / len(holds) if holds else None,
    )


def journal_stats(entries: Iterable[JournalEntry], by: GroupBy) -> list[GroupStats]:
    """One `GroupStats` per strategy (or tag), sorted by key, the catch-all group last."""
    keys: Callable[[JournalEntry], tuple[str, ...]]
    if by == "strategy":
        keys = lambda e: (e.strategy or MANUAL,)  # noqa: E731
        rest = MANUAL
    else:
        keys = lambda e: e.tags or (UNTAGGED,)  # noqa: E731
        rest = UNTAGGED
    groups: dict[str, list[JournalEntry]] = {}
    for entry in entries:
        for key in keys(entry):
            groups.setdefault(key, []).append(entry)
    order = sorted(groups, key=lambda k: (k == rest, k))
    return [group_stats(key, groups[key]) for key in order]
