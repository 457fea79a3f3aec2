"""Full-book arithmetic: tick inferred from the book, grouping that never improves a price, cumulative depth and
the depth chart's profile, on the real BTCUSDT snapshot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cryptoterm.domain.book_depth import (
    cumulative,
    decimals_of,
    depth_profile,
    group_levels,
    imbalance,
    infer_tick,
    next_multiple,
)

BIDS = [(100.07, 1.0), (100.03, 2.0), (99.98, 1.5), (99.91, 0.5)]
ASKS = [(100.09, 1.0), (100.14, 3.0), (100.21, 1.0)]


def test_grouping_floors_bids_and_ceils_asks_so_the_spread_only_widens() -> None:
    assert group_levels(BIDS, 0.1, bids=True) == [(100.0, 3.0), (99.9, 2.0)]
    assert group_levels(ASKS, 0.1, bids=False) == [(100.1, 1.0), (100.2, 3.0), (100.3, 1.0)]
    assert group_levels(BIDS, 0.0, bids=True) == BIDS
    # a price exactly on a bucket stays in it (no float drift into the next one)
    assert group_levels([(0.3, 1.0)], 0.1, bids=True) == [(0.3, 1.0)]
    assert group_levels([(0.3, 1.0)], 0.1, bids=False) == [(0.3, 1.0)]


def test_tick_cumulative_profile_and_imbalance() -> None:
    assert infer_tick([p for p, _ in BIDS + ASKS]) == 0.02  # the smallest gap 0.02, snapped
    assert infer_tick([61837.63, 61837.64, 61837.66]) == 0.01
    assert infer_tick([1.0]) == 0.0
    assert decimals_of(0.01) == 2 and decimals_of(5.0) == 0 and decimals_of(0.00001) == 5
    rows = cumulative(BIDS)
    assert [r.cumulative for r in rows] == [1.0, 3.0, 4.5, 5.0]
    assert rows[1].cumulative_notional == pytest.approx(100.07 + 200.06)
    profile = depth_profile(BIDS, ASKS, 4, 0.2)  # mid 100.08: columns at 99.88, 99.98 | 100.18, 100.28
    assert profile == [5.0, 4.5, 4.0, 5.0]
    assert imbalance(BIDS, ASKS) == pytest.approx(5.0 / 10.0)
    assert next_multiple(1, 1) == 2 and next_multiple(1, -1) == 1 and next_multiple(10000, 1) == 10000


def test_on_the_real_snapshot(shared_data: Path) -> None:
    raw = json.loads(
        (shared_data / "orderbook/hftbacktest_binance-spot_BTCUSDT_depth-snapshot_2024-08-08.json").read_text()
    )
    bids = [(float(p), float(q)) for p, q in raw["bids"]]
    asks = [(float(p), float(q)) for p, q in raw["asks"]]
    assert infer_tick([p for p, _ in bids[:200] + asks[:200]]) == 0.01
    grouped = group_levels(bids, 10.0, bids=True)
    assert sum(q for _, q in grouped) == pytest.approx(sum(q for _, q in bids))
    assert all(g[0] <= bids[0][0] for g in grouped) and grouped[0][0] == 61830.0
    asks_grouped = group_levels(asks, 10.0, bids=False)
    assert asks_grouped[0][0] == 61840.0 > grouped[0][0]
    profile = depth_profile(bids, asks, 40, 50.0)
    assert profile[:20] == sorted(profile[:20], reverse=True) and profile[20:] == sorted(profile[20:])
