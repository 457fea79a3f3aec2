"""Reporting worker failures. `Worker.StateChanged` does not bubble, so every node that starts workers
(the app, and any screen with its own jobs) passes its events here: failures go to `logging` at ERROR, which
the log bridge shows in the log pane and raises as a notification."""

from __future__ import annotations

import logging

from textual.worker import Worker, WorkerState

log = logging.getLogger("cryptoterm.tui.workers")


def report_worker_state(worker: Worker[object], state: WorkerState, *, owner: str) -> None:
    """Log a failed worker with its traceback, and a cancelled-free unexpected stop of a long-running one."""
    label = worker.name or worker.group
    if state == WorkerState.ERROR:
        error = worker.error
        log.error("%s: %s failed: %s", owner, label, error, exc_info=error)
    elif state == WorkerState.SUCCESS and worker.group in LONG_RUNNING_GROUPS:
        log.warning("%s: %s stopped", owner, label)


#: Worker groups that are meant to run until the app exits; finishing early is worth a warning.
LONG_RUNNING_GROUPS = frozenset({"feed"})
