"""The feed's candle history as columns: every bar read back as it was written, the newest kept, oldest first."""

from __future__ import annotations

import pytest

from cryptoterm.domain.market import Candle
from cryptoterm.services.candle_ring import CandleRing


def _bar(i: int) -> Candle:
    return Candle(1_723_161_600_000 + i * 60_000, 60_000.5 + i, 60_010.25 + i, 59_990.75 + i, 60_001.0 + i,
                  0.125 * i, 7_500.5 * i, 10 + i, closed=i % 5 != 0)  # fmt: skip


def test_bars_come_back_field_for_field_across_the_ring_seam() -> None:
    ring = CandleRing(6)
    assert not ring and ring.newest(3) == []
    with pytest.raises(IndexError):
        ring.last()
    bars = [_bar(i) for i in range(17)]
    ring.extend(bars[:4])
    assert ring.newest(10) == bars[:4] and ring.last() == bars[3]
    ring.extend(bars[4:])
    assert len(ring) == 6 and list(ring) == bars[-6:] and ring.newest(2) == bars[-2:]
    assert ring.last() == bars[-1] and ring.last_open_time() == bars[-1].open_time
    assert ring.newest(0) == [] and ring.newest(-3) == []
    ring.clear()
    assert not ring and list(ring) == []
    ring.append(bars[0])
    assert list(ring) == [bars[0]]
    with pytest.raises(ValueError, match="at least 1"):
        CandleRing(0)
