"""Module-level task functions for the executor tests (a worker process imports them by name)."""

from __future__ import annotations

import os


def square(value: int) -> int:
    return value * value


def fail_on_three(value: int) -> int:
    if value == 3:
        raise ValueError("task 3 refused")
    return value


def worker_pid(_: int) -> int:
    return os.getpid()


def blas_threads(_: int) -> int:
    from threadpoolctl import threadpool_info

    return max((pool["num_threads"] for pool in threadpool_info()), default=1)
