"""A local process pool for independent batch tasks (pair screens, sweeps), one worker per core by default.

Processes, not threads: the kernels are numpy code that holds the GIL between calls, and a screen's thousands of
small array operations would serialise on it. Workers start with the "forkserver" method where the platform has
it ("spawn" elsewhere), never "fork": the TUI and the engine run threads (the store writer, the event loop), and a
forked child of a threaded process can inherit a lock held by a thread that does not exist in it.

Each worker limits BLAS to one thread in its initializer: N workers each running a BLAS pool of N threads would
put N² threads on N cores, and the small matrix products of a chunk run fastest single-threaded anyway.

Tasks are submitted a few per worker at a time rather than all at once, so the parent never holds every pickled
task in the pool's queue (a screen's tasks carry price matrices) and a cancel abandons little queued work.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from cryptoterm.ports.compute import ComputeCancelled, TaskProgress

T = TypeVar("T")
R = TypeVar("R")

#: Tasks in flight per worker: one running, one queued so a worker never waits on the parent.
_IN_FLIGHT_PER_WORKER = 2
#: How often a waiting `map` looks at its cancel event, in seconds (a UI cancel is seen within this).
_CANCEL_POLL_S = 0.1
#: Kept referenced for the worker's lifetime: dropping a `threadpool_limits` object does not restore the limit,
#: but keeping it makes the intent plain.
_BLAS_LIMIT: object | None = None


def _single_threaded_blas() -> None:
    """Worker initializer: BLAS and OpenMP pools of one thread (see the module docstring)."""
    global _BLAS_LIMIT
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = "1"
    import numpy  # noqa: F401  (loads the BLAS library threadpoolctl limits)
    from threadpoolctl import threadpool_limits

    _BLAS_LIMIT = threadpool_limits(limits=1)


def default_workers() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _start_method() -> str:
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def _start_helpers_with_real_stderr(method: str) -> None:
    """Start multiprocessing's resource tracker (and the forkserver) while `sys.stderr` is the real one.

    The tracker hands its child the parent's stderr descriptor. Under the TUI, Textual replaces `sys.stderr` with a
    capture whose `fileno()` is -1, and starting the tracker then fails ("bad value(s) in fds_to_keep") the first
    time a pool starts. Both helpers are started once per process, so this only matters for the first pool.
    """
    try:
        usable = sys.stderr is not None and sys.stderr.fileno() >= 0
    except (AttributeError, OSError, ValueError):
        usable = False
    if usable:
        return
    from multiprocessing import forkserver, resource_tracker

    replaced = sys.stderr
    real = sys.__stderr__
    devnull = None
    if real is None:
        devnull = open(os.devnull, "w")  # noqa: SIM115  (closed below, after the helpers started)
        real = devnull
    sys.stderr = real
    try:
        resource_tracker.ensure_running()
        if method == "forkserver":
            forkserver.ensure_running()
    finally:
        sys.stderr = replaced
        if devnull is not None:
            devnull.close()


class LocalProcessPool:
    """`ComputeExecutor` over local worker processes; the pool starts on the first `map` and lives until `close`."""

    def __init__(self, workers: int = 0) -> None:
        if workers < 0:
            raise ValueError(f"workers must be 0 (one per core) or more, got {workers!r}")
        self.workers = workers or default_workers()
        self._pool: cf.ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return f"{self.workers} local process{'es' if self.workers != 1 else ''}"

    def _executor(self) -> cf.ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                method = _start_method()
                _start_helpers_with_real_stderr(method)
                self._pool = cf.ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=multiprocessing.get_context(method),
                    initializer=_single_threaded_blas,
                )
            return self._pool

    def map(
        self,
        fn: Callable[[T], R],
        tasks: Sequence[T],
        *,
        progress: TaskProgress | None = None,
        cancel: threading.Event | None = None,
    ) -> list[R]:
        total = len(tasks)
        if total == 0:
            return []
        pool = self._executor()
        results: list[Any] = [None] * total
        pending: dict[cf.Future[R], int] = {}
        submitted = 0
        done = 0
        window = self.workers * _IN_FLIGHT_PER_WORKER
        try:
            while done < total:
                if cancel is not None and cancel.is_set():
                    raise ComputeCancelled()
                while submitted < total and len(pending) < window:
                    pending[pool.submit(fn, tasks[submitted])] = submitted
                    submitted += 1
                finished, _ = cf.wait(pending, timeout=_CANCEL_POLL_S, return_when=cf.FIRST_COMPLETED)
                for future in finished:
                    results[pending.pop(future)] = future.result()
                    done += 1
                    if progress is not None:
                        progress(done, total)
        except BrokenProcessPool as exc:
            self._discard_pool()
            raise RuntimeError(f"a worker process died ({exc}); the pool restarts on the next run") from None
        finally:
            for future in pending:
                future.cancel()
        return results

    def _discard_pool(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Stop the workers (tasks still running are waited for; queued ones are dropped)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
