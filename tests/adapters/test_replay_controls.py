"""Steering a replay while it runs: the pacer's arithmetic on a virtual clock (speed changes and pauses re-anchor
at the message the replay stands at, so nothing jumps; a seek forward plays unpaced up to its target), and the
real stream over a real Binance recording (a seek back starts over after a `Rewound` marker; a finished replay
held open for seeking ends when closed)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from cryptoterm.adapters.replay import ReplayStream, read_recording
from cryptoterm.adapters.replay_pacing import ReplayPacer
from cryptoterm.domain.market import MarketEvent, Rewound, Trade
from tests.waiting import eventually

SPOT = "ws/hftbacktest_binance-spot_btcusdt_2024-08-08.jsonl.gz"
S = 1_000_000_000  # ns a second
T0 = 1_723_161_600 * S


def test_speed_and_pause_move_the_anchor_to_where_the_replay_stands() -> None:
    now = [100.0]
    pacer = ReplayPacer(1.0, clock=lambda: now[0])
    assert pacer.delay(T0) == 0.0  # the first message anchors the pace
    pacer.played(T0)
    assert pacer.delay(T0 + 4 * S) == pytest.approx(4.0)
    now[0] += 2.0
    pacer.played(T0 + 2 * S)
    pacer.set_speed(2.0)  # from here on, twice as fast: 2 s of recording left take 1 s
    assert pacer.delay(T0 + 4 * S) == pytest.approx(1.0)
    pacer.pause()
    assert pacer.holding and pacer.progress().paused
    now[0] += 30.0  # a long pause
    pacer.resume()
    assert not pacer.holding and pacer.delay(T0 + 2 * S) == 0.0  # no catch-up burst after the pause
    assert pacer.delay(T0 + 4 * S) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="speed"):
        pacer.set_speed(-1)


def test_a_seek_forward_plays_unpaced_to_its_target_then_keeps_the_pace() -> None:
    now = [0.0]
    pacer = ReplayPacer(1.0, clock=lambda: now[0])
    pacer.delay(T0)
    pacer.played(T0)
    pacer.end_ns = T0 + 600 * S
    pacer.seek((T0 + 300 * S) // 1_000_000)
    assert pacer.fast and pacer.progress().seeking_to_ms == (T0 + 300 * S) // 1_000_000
    assert pacer.delay(T0 + 100 * S) == 0.0 and pacer.delay(T0 + 299 * S) == 0.0
    assert pacer.delay(T0 + 300 * S) == 0.0 and not pacer.fast  # arrived: the pace starts again here
    assert pacer.delay(T0 + 305 * S) == pytest.approx(5.0)
    pacer.played(T0 + 305 * S)
    pacer.seek(T0 // 1_000_000 + 1000)  # before the position: the stream must start over
    assert pacer.rewind_to_ns == T0 + 1000 * 1_000_000 and pacer.take_rewind() == T0 + 1000 * 1_000_000
    assert pacer.rewind_to_ns == 0 and pacer.position_ns == T0 and pacer.fast


async def test_a_seek_back_starts_the_recording_over_after_a_rewound_marker(shared_data: Path) -> None:
    stream = ReplayStream(shared_data / SPOT, speed=0, hold_at_end=True, max_batch=512)
    control = stream.control
    events: list[MarketEvent] = []
    sought = False
    async with asyncio.timeout(120):  # a hang guard, not a deadline
        async for batch in stream.batches():
            events.extend(batch)
            progress = control.progress()
            if not sought and progress.position_ms - progress.start_ms > 120_000:
                control.seek(progress.start_ms + 10_000)
                sought = True
            elif sought and any(type(e) is Rewound for e in batch):
                break
    (marker,) = [e for e in events if type(e) is Rewound]
    start_ms = control.progress().start_ms
    assert marker == Rewound(stream.name, start_ms + 10_000)
    before = [e for e in events if type(e) is Trade]
    assert before and before[-1].ts - start_ms > 120_000
    async with asyncio.timeout(120):
        async for batch in stream.batches():
            trades = [e for e in batch if type(e) is Trade]
            if trades:
                break
    assert trades[0].ts < before[-1].ts  # the replay went back in time
    await stream.close()


async def test_a_finished_replay_held_for_seeking_ends_when_closed(shared_data: Path) -> None:
    stream = ReplayStream(shared_data / SPOT, speed=0, hold_at_end=True)
    batches = 0

    async def consume() -> None:
        nonlocal batches
        async for _batch in stream.batches():
            batches += 1

    task = asyncio.create_task(consume())
    await eventually(lambda: stream.control.progress().finished, "the replay played to its end")
    assert not task.done()  # held open: a seek back could still replay it
    await stream.close()
    async with asyncio.timeout(60):  # a hang guard: before the fix it waited an hour
        await task
    assert batches > 0 and stream.health()[0].state == "closed"


async def test_at_speed_0_the_position_follows_every_batch_to_the_last_message(shared_data: Path) -> None:
    """Unpaced, the stream skips the pacer between suspensions: the position must still move with each batch."""
    *_, last = read_recording(shared_data / SPOT)
    stream = ReplayStream(shared_data / SPOT, speed=0, max_batch=512)
    positions: list[int] = []
    async with asyncio.timeout(120):  # a hang guard, not a deadline
        async for _batch in stream.batches():
            positions.append(stream.control.progress().position_ms)
    assert len(positions) > 10 and positions == sorted(positions) and len(set(positions)) > 10
    assert positions[-1] == last.recv_ns // 1_000_000
