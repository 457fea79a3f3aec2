"""The bounded hand-off between a stream's readers and its consumer: coalescing, the bound, the consumer's end."""

from __future__ import annotations

import asyncio

import pytest

from cryptoterm.adapters.event_queue import EventQueue
from cryptoterm.domain.market import BookTop, DepthSnapshot, Reconnected, TickerStats, Trade

T0 = 1_723_161_600_000


def top(symbol: str, bid: float) -> BookTop:
    return BookTop(symbol, T0, bid, 1.0, bid + 0.1, 1.0)


def trade(i: int) -> Trade:
    return Trade("BTC/USDT", T0 + i, 100.0, 1.0, "buy", i)


async def test_snapshots_are_coalesced_in_place_and_kept_events_stay_in_order() -> None:
    queue = EventQueue(max_events=100)
    queue.put([top("BTC/USDT", 1.0), trade(1), top("ETH/USDT", 5.0)])
    queue.put([trade(2), top("BTC/USDT", 2.0), TickerStats("BTC/USDT", T0, 1, 1, 1, 1, 1, 1)])
    queue.put([DepthSnapshot("BTC/USDT", T0, 1, (), ()), DepthSnapshot("BTC/USDT", T0, 2, (), ())])
    batch = await queue.get()
    assert batch is not None
    assert [type(e).__name__ for e in batch] == ["BookTop", "Trade", "BookTop", "Trade", "TickerStats", "DepthSnapshot"]
    assert batch[0] == top("BTC/USDT", 2.0) and batch[5].last_update_id == 2  # type: ignore[union-attr]
    assert queue.coalesced == 2 and len(queue) == 0


async def test_a_gap_marker_ends_the_coalescing_window() -> None:
    queue = EventQueue()
    marker = Reconnected("s", ("BTC/USDT",), T0, T0 + 1)
    queue.put([top("BTC/USDT", 1.0), marker, top("BTC/USDT", 2.0)])
    assert await queue.get() == [top("BTC/USDT", 1.0), marker, top("BTC/USDT", 2.0)]


async def test_readers_wait_at_the_bound_and_resume_when_the_consumer_reads() -> None:
    queue = EventQueue(max_events=3)
    queue.put([trade(1), trade(2), trade(3)])
    queue.put([top("BTC/USDT", 1.0)] * 50)  # snapshots never fill it
    assert queue.full and len(queue) == 4
    reader = asyncio.create_task(queue.wait_for_room())
    await asyncio.sleep(0)
    assert not reader.done() and queue.waits == 1
    assert len(await queue.get() or []) == 4
    await asyncio.wait_for(reader, 10)
    assert not queue.full


async def test_close_drains_then_ends() -> None:
    queue = EventQueue()
    queue.put([trade(1)])
    queue.close()
    queue.put([trade(2)])  # ignored once closed
    assert await queue.get() == [trade(1)]
    assert await queue.get() is None


@pytest.mark.parametrize("ending", ["error", "cancel"])
async def test_a_consumer_that_dies_is_reported(ending: str) -> None:
    gone: list[str] = []
    queue = EventQueue(on_consumer_gone=gone.append)

    async def consumer() -> None:
        await queue.get()
        if ending == "error":
            raise ValueError("bug")
        await asyncio.Event().wait()

    task = asyncio.create_task(consumer())
    queue.put([trade(1)])
    await asyncio.sleep(0)
    if ending == "cancel":
        task.cancel()
    with pytest.raises((ValueError, asyncio.CancelledError)):
        await task
    await asyncio.sleep(0)  # done callbacks run on the next loop turn
    assert gone == (["its consumer failed: ValueError: bug"] if ending == "error" else ["its consumer was cancelled"])
