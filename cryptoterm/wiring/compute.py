"""The compute executor a command or screen runs its batch work on, from `[compute]` and the flags.

A scheduler address (the flag, else `[compute] scheduler`) means a Dask cluster; otherwise local workers:
`workers` processes (0 = one per core), and 1 means the calling process itself — a pool of one only adds
pickling. Building may connect to a scheduler, so the TUI builds in a worker thread; an executor that cannot
start is a `StartupError` with one line.
"""

from __future__ import annotations

from cryptoterm.config.schema import ComputeConfig
from cryptoterm.ports.compute import ComputeExecutor, InlineExecutor
from cryptoterm.wiring.errors import StartupError


def build_executor(
    config: ComputeConfig, *, workers: int | None = None, scheduler: str | None = None
) -> ComputeExecutor:
    """The executor for `config`, with `workers` / `scheduler` (flags) overriding its keys when given."""
    address = (config.scheduler if scheduler is None else scheduler).strip()
    if address:
        from cryptoterm.adapters.compute import ComputeSetupError
        from cryptoterm.adapters.compute.dask_cluster import DaskCluster

        try:
            return DaskCluster(address)
        except ComputeSetupError as exc:
            raise StartupError(str(exc)) from None
    count = config.workers if workers is None else workers
    if count < 0:
        raise StartupError(f"--workers must be 0 (one per core) or more, got {count}")
    if count == 1:
        return InlineExecutor()
    from cryptoterm.adapters.compute.process_pool import LocalProcessPool

    return LocalProcessPool(count)
