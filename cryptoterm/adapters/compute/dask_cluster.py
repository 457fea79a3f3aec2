"""Batch tasks on a Dask distributed cluster: the same tasks and results as the local pool, on many machines.

`dask.distributed` is an optional extra (`pip install 'cryptoterm[cluster]'`), imported only when a scheduler is
configured, so a plain install neither needs it nor pays for importing it. The client connects when the executor
is built, so a wrong address is one line at the start of a command, not a failure after the data is read.

Like the local pool, tasks are submitted a few per worker thread at a time: the scheduler holds what is running
and a little more, and a cancel releases what was queued. Tasks are submitted with `pure=False` (two equal tasks
are still two runs: the results are small and hashing price matrices would cost more than it saves).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from cryptoterm.adapters.compute import ComputeSetupError
from cryptoterm.ports.compute import ComputeCancelled, TaskProgress

T = TypeVar("T")
R = TypeVar("R")

#: Tasks in flight per worker thread of the cluster.
_IN_FLIGHT_PER_THREAD = 2
#: How long connecting to the scheduler may take, in seconds.
CONNECT_TIMEOUT_S = 10.0
MISSING_EXTRA = "Dask is not installed: install the cluster extra with pip install 'cryptoterm[cluster]'"


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ComputeSetupError(MISSING_EXTRA) from None
    return distributed


class DaskCluster:
    """`ComputeExecutor` on a Dask scheduler (`tcp://host:8786`), or on a `Client` the caller already has."""

    def __init__(self, address: str = "", *, client: Any = None, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
        self._distributed = _distributed()
        self._owns_client = client is None
        if client is None:
            if not address:
                raise ComputeSetupError("a Dask scheduler address is needed, e.g. tcp://host:8786")
            try:
                client = self._distributed.Client(address, timeout=timeout_s, set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise ComputeSetupError(f"cannot reach the Dask scheduler at {address}: {reason}") from None
        self._client = client
        self.address = address or str(getattr(client.scheduler, "address", ""))

    @property
    def name(self) -> str:
        return f"dask {self.address}"

    def _window(self) -> int:
        threads = sum(self._client.nthreads().values()) or 1
        return threads * _IN_FLIGHT_PER_THREAD

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
        results: list[Any] = [None] * total
        pending: dict[Any, int] = {}
        arrivals = self._distributed.as_completed(loop=self._client.loop, with_results=False)
        submitted = 0
        done = 0

        def submit_next() -> None:
            nonlocal submitted
            future = self._client.submit(fn, tasks[submitted], pure=False)
            pending[future] = submitted
            arrivals.add(future)
            submitted += 1

        try:
            if cancel is not None and cancel.is_set():
                raise ComputeCancelled()
            while submitted < min(total, self._window()):
                submit_next()
            for future in arrivals:
                results[pending.pop(future)] = future.result()
                done += 1
                if progress is not None:
                    progress(done, total)
                if cancel is not None and cancel.is_set() and done < total:
                    raise ComputeCancelled()
                if submitted < total:
                    submit_next()
        finally:
            if pending:
                self._client.cancel(list(pending))
        return results

    def close(self) -> None:
        if self._owns_client:
            self._client.close()
