"""A screen cut into independent tasks that carry their own data, for executors that run them anywhere.

A task is a block of symbols against another block (or against itself): the columns of both blocks, the pairs
between them as (y, x) indices into those columns, and the parameters. Blocks keep a task's data small — two
blocks of √chunk symbols, not one column per pair — so a process pool or a Dask cluster ships about 2·√P columns
for P pairs instead of the whole universe to every task, and the universe matrix is never pickled whole.
`screen_task` is the module-level function an executor maps; its result names universe columns again, so
`combine_chunks` reads it as if the screen had run in one process.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from cryptoterm.domain.pairs.arrays import FloatArray, IntArray
from cryptoterm.domain.pairs.results import ChunkStatistics, ScreenParams
from cryptoterm.domain.pairs.screen import DEFAULT_CHUNK_PAIRS, screen_chunk


@dataclass(frozen=True, slots=True)
class ScreenTask:
    """`log_closes` holds universe columns `columns` (bars × len(columns)); `pairs` index into them."""

    log_closes: FloatArray
    pairs: IntArray
    columns: IntArray
    params: ScreenParams

    @property
    def pair_count(self) -> int:
        return int(self.pairs.shape[0])


#: Memory a task may use at its peak, in bytes (see `auto_chunk_pairs`).
TASK_MEMORY = 128 * 2**20
#: float64 arrays of pairs × bars a chunk holds at its peak (measured: `screen.DEFAULT_CHUNK_PAIRS`).
_ARRAYS_PER_PAIR = 14


def auto_chunk_pairs(n_bars: int, memory: int = TASK_MEMORY) -> int:
    """Pairs a task can hold within `memory` at `n_bars` bars, between 16 and 4,096.

    Bigger tasks amortise the per-call cost of the batched kernels (the Kalman filter's bar loop most of all);
    the bound keeps a worker's peak near `memory` however long the window.
    """
    fitting = memory // max(1, n_bars * 8 * _ARRAYS_PER_PAIR)
    return int(min(4096, max(16, fitting)))


def block_pairs(symbols: Sequence[str], chunk_pairs: int = DEFAULT_CHUNK_PAIRS) -> list[IntArray]:
    """Every unordered pair once as (y, x) universe columns, y the symbol that sorts first, grouped by blocks.

    Symbols are sorted and cut into blocks of ⌊√chunk_pairs⌋; each group is the pairs within one block or
    between two blocks, so a group has at most `chunk_pairs` pairs and touches at most two blocks of columns.
    """
    if chunk_pairs < 1:
        raise ValueError(f"chunk_pairs must be at least 1, got {chunk_pairs!r}")
    order = sorted(range(len(symbols)), key=lambda column: symbols[column])
    size = max(1, math.isqrt(chunk_pairs))
    blocks = [order[start : start + size] for start in range(0, len(order), size)]
    groups: list[IntArray] = []
    for first, left in enumerate(blocks):
        for right in blocks[first:]:
            if left is right:
                pairs = [(left[a], left[b]) for a in range(len(left)) for b in range(a + 1, len(left))]
            else:
                pairs = [(a, b) for a in left for b in right]
            if pairs:
                groups.append(np.array(pairs, dtype=np.int64).reshape(-1, 2))
    return groups


def plan_screen_tasks(
    log_closes: FloatArray,
    symbols: Sequence[str],
    params: ScreenParams,
    chunk_pairs: int = DEFAULT_CHUNK_PAIRS,
) -> list[ScreenTask]:
    """The tasks that screen every pair of `symbols` (the columns of `log_closes`, bars × symbols)."""
    matrix = np.asarray(log_closes, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[1] != len(symbols):
        raise ValueError(f"log_closes must be bars × {len(symbols)} symbols, got shape {matrix.shape}")
    tasks = []
    for group in block_pairs(symbols, chunk_pairs):
        columns = np.unique(group)
        local = np.searchsorted(columns, group)
        tasks.append(ScreenTask(np.ascontiguousarray(matrix[:, columns]), local, columns, params))
    return tasks


def screen_task(task: ScreenTask) -> ChunkStatistics:
    """Screen one task; the result's `pairs` are universe columns (what `combine_chunks` expects)."""
    stats = screen_chunk(task.log_closes, task.pairs, task.params)
    return replace(stats, pairs=task.columns[task.pairs])
