"""The local process pool and the Dask executor return what the inline reference executor returns, in task
order, with progress per result, cancel between results and task errors passed through."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from cryptoterm.adapters.compute import ComputeSetupError
from cryptoterm.adapters.compute.dask_cluster import MISSING_EXTRA, DaskCluster
from cryptoterm.adapters.compute.process_pool import LocalProcessPool
from cryptoterm.config.schema import ComputeConfig
from cryptoterm.domain.pairs import ScreenParams, combine_chunks, plan_screen_tasks, screen_task
from cryptoterm.ports.compute import ComputeCancelled, ComputeExecutor, InlineExecutor
from cryptoterm.wiring.compute import build_executor
from cryptoterm.wiring.errors import StartupError
from tests.adapters import compute_tasks
from tests.domain.test_pairs_alignment import real_log_closes


@pytest.fixture(scope="module")
def pool() -> Iterator[LocalProcessPool]:
    executor = LocalProcessPool(2)
    yield executor
    executor.close()


@pytest.fixture(scope="module")
def dask_executor() -> Iterator[DaskCluster]:
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None, silence_logs=40
    )
    client = distributed.Client(cluster, set_as_default=False)
    executor = DaskCluster(client=client)
    yield executor
    executor.close()
    client.close()
    cluster.close()


def _executors(pool: LocalProcessPool, dask_executor: DaskCluster) -> list[ComputeExecutor]:
    return [pool, dask_executor]


def test_results_in_task_order_with_progress(pool: LocalProcessPool, dask_executor: DaskCluster) -> None:
    tasks = list(range(23))
    expected = InlineExecutor().map(compute_tasks.square, tasks)
    for executor in _executors(pool, dask_executor):
        seen: list[tuple[int, int]] = []
        assert (
            executor.map(compute_tasks.square, tasks, progress=lambda d, t, seen=seen: seen.append((d, t))) == expected
        )
        assert seen == [(done, 23) for done in range(1, 24)], executor.name
        assert executor.map(compute_tasks.square, []) == []


def test_a_task_error_reaches_the_caller(pool: LocalProcessPool, dask_executor: DaskCluster) -> None:
    for executor in _executors(pool, dask_executor):
        with pytest.raises(ValueError, match="task 3 refused"):
            executor.map(compute_tasks.fail_on_three, list(range(6)))
        assert executor.map(compute_tasks.square, [4]) == [16]  # still usable afterwards


def test_cancel_stops_between_results(pool: LocalProcessPool, dask_executor: DaskCluster) -> None:
    for executor in _executors(pool, dask_executor):
        cancel = threading.Event()
        seen: list[int] = []

        def stop_after_first(done: int, total: int, seen: list[int] = seen, cancel: threading.Event = cancel) -> None:
            seen.append(done)
            cancel.set()

        with pytest.raises(ComputeCancelled):
            executor.map(compute_tasks.square, list(range(200)), progress=stop_after_first, cancel=cancel)
        assert 1 <= len(seen) < 200, executor.name
        already = threading.Event()
        already.set()
        with pytest.raises(ComputeCancelled):
            executor.map(compute_tasks.square, [1, 2], cancel=already)


def test_pool_workers_are_separate_single_threaded_processes(pool: LocalProcessPool) -> None:
    pids = set(pool.map(compute_tasks.worker_pid, list(range(40))))
    assert pids and os.getpid() not in pids
    assert len(pids) <= 2
    assert set(pool.map(compute_tasks.blas_threads, list(range(8)))) == {1}
    assert pool.name == "2 local processes"


@pytest.mark.shared
def test_a_screen_is_the_same_inline_in_a_pool_and_on_dask(
    shared_data: Path, pool: LocalProcessPool, dask_executor: DaskCluster
) -> None:
    aligned = real_log_closes(shared_data, 300, ("BTCUSDT", "ETHUSDT", "LTCUSDT", "BCHUSDT", "XMRUSDT"))
    params = ScreenParams()
    tasks = plan_screen_tasks(aligned.log_close, aligned.symbols, params, chunk_pairs=4)
    assert len(tasks) > 2
    reference = combine_chunks(aligned.symbols, InlineExecutor().map(screen_task, tasks), params)
    assert len(reference) == 10
    for executor in _executors(pool, dask_executor):
        parts = executor.map(screen_task, tasks)
        assert combine_chunks(aligned.symbols, parts, params) == reference, executor.name
        for mine, theirs in zip(parts, InlineExecutor().map(screen_task, tasks), strict=True):
            np.testing.assert_array_equal(mine.pairs, theirs.pairs)


def test_a_missing_dask_is_one_line_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ComputeSetupError) as caught:
        DaskCluster("tcp://127.0.0.1:8786")
    assert str(caught.value) == MISSING_EXTRA
    assert "cryptoterm[cluster]" in MISSING_EXTRA
    with pytest.raises(StartupError, match=r"cryptoterm\[cluster\]"):
        build_executor(ComputeConfig(scheduler="tcp://127.0.0.1:8786"))


def test_an_unreachable_scheduler_is_one_line_naming_it() -> None:
    pytest.importorskip("distributed")
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ComputeSetupError) as caught:
        DaskCluster(f"tcp://127.0.0.1:{port}", timeout_s=2.0)
    message = str(caught.value)
    assert message.startswith(f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}")
    assert "\n" not in message


def test_wiring_picks_the_executor_from_config_and_flags() -> None:
    assert isinstance(build_executor(ComputeConfig(workers=1)), InlineExecutor)
    local = build_executor(ComputeConfig(workers=0), workers=3)
    assert isinstance(local, LocalProcessPool) and local.workers == 3
    assert isinstance(build_executor(ComputeConfig(workers=4), workers=1), InlineExecutor)
    default = build_executor(ComputeConfig())
    assert isinstance(default, LocalProcessPool) and default.workers >= 1
    with pytest.raises(StartupError, match="--workers must be 0"):
        build_executor(ComputeConfig(), workers=-2)


def test_a_pool_starts_under_a_captured_stderr_as_the_tui_has(tmp_path: Path) -> None:
    """Textual replaces sys.stderr with a capture whose fileno() is -1; the first pool of such a process must
    still start (multiprocessing's resource tracker hands its child the stderr descriptor). A fresh process, so
    the tracker is not already running."""
    script = tmp_path / "captured.py"
    script.write_text(
        "import sys\n"
        "class Capture:\n"
        "    def write(self, text): return len(text)\n"
        "    def flush(self): pass\n"
        "    def fileno(self): return -1\n"
        "if __name__ == '__main__':\n"
        "    sys.stderr = Capture()\n"
        "    from cryptoterm.adapters.compute.process_pool import LocalProcessPool\n"
        "    from tests.adapters import compute_tasks\n"
        "    pool = LocalProcessPool(2)\n"
        "    try:\n"
        "        print(pool.map(compute_tasks.square, [1, 2, 3]))\n"
        "    finally:\n"
        "        pool.close()\n"
        "    print(type(sys.stderr).__name__)\n"
    )
    import subprocess

    from tests.conftest import PROJECT_ROOT

    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=PROJECT_ROOT, check=False,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[1, 4, 9]", "Capture"]
