"""Heavy batch work split into independent tasks: screens over large universes, parameter sweeps,
walk-forward windows. Services hand a pure, picklable function and its tasks to a `ComputeExecutor`; wiring
decides where they run (this process, a local process pool, a Dask cluster), and the results are the same.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Called with (tasks done, tasks in all) as results come back (from the thread that called `map`).
TaskProgress = Callable[[int, int], None]


class ComputeCancelled(Exception):
    """`map` stopped because its cancel event was set; finished results are discarded."""


class ComputeExecutor(Protocol):
    """Runs `fn` over `tasks`, returning the results in task order.

    `fn` must be a module-level function and each task picklable (they may cross a process or a network).
    Blocking: call it from a worker thread, never on the event loop. `cancel` is checked as results arrive;
    tasks not yet started are abandoned and `ComputeCancelled` is raised.
    """

    @property
    def name(self) -> str:
        """Where tasks run, for logs and the health screen ("inline", "2 local processes", "dask tcp://…")."""
        ...

    def map(
        self,
        fn: Callable[[T], R],
        tasks: Sequence[T],
        *,
        progress: TaskProgress | None = None,
        cancel: threading.Event | None = None,
    ) -> list[R]: ...

    def close(self) -> None: ...


class InlineExecutor:
    """Runs every task in the calling thread: tests, small jobs, and the reference the others must equal."""

    name = "inline"

    def map(
        self,
        fn: Callable[[T], R],
        tasks: Sequence[T],
        *,
        progress: TaskProgress | None = None,
        cancel: threading.Event | None = None,
    ) -> list[R]:
        out: list[R] = []
        for task in tasks:
            if cancel is not None and cancel.is_set():
                raise ComputeCancelled()
            out.append(fn(task))
            if progress is not None:
                progress(len(out), len(tasks))
        return out

    def close(self) -> None:
        return None
