"""Leases held by a worker: the current token per run, and the thread that renews them.

A worker renews every lease it holds (runs and queued tasks) every third of the lease
time. A renewal refused with `LeaseLostError` marks the handle lost: the run's next
effect stops it, and its writes would be refused anyway (fencing). Each renewal also
picks up a pending cancellation request.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from .errors import LeaseLostError, StoreError
from .store.base import Lease, Store, Task

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class LeaseHandle:
    """The live lease of one run being executed; updated in place by `LeaseKeeper`."""

    lease: Lease
    lost: bool = False
    cancel_requested: bool = False
    #: Set when the worker shuts down, to cut inline sleeps short.
    stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def run_id(self) -> str:
        return self.lease.run_id

    def sleep(self, seconds: float) -> None:
        """Sleep inline (short retry backoff or timer), waking early on shutdown."""
        self.stopping.wait(seconds)


@dataclass(slots=True)
class TaskHandle:
    """A queued activity task being executed; its lease is renewed like a run's."""

    task: Task
    lost: bool = False


class LeaseKeeper:
    """Background thread renewing the leases of everything a worker executes."""

    def __init__(self, store: Store, lease_seconds: float) -> None:
        self._store = store
        self._lease_seconds = lease_seconds
        self._runs: dict[str, LeaseHandle] = {}
        self._tasks: dict[int, TaskHandle] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="continuum-lease", daemon=True)

    def start(self) -> None:
        """Start renewing in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop renewing (the leases then expire unless released)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def hold_run(self, handle: LeaseHandle) -> None:
        """Renew this run's lease until `drop_run`."""
        with self._lock:
            self._runs[handle.run_id] = handle

    def drop_run(self, handle: LeaseHandle) -> None:
        """Stop renewing this run's lease."""
        with self._lock:
            if self._runs.get(handle.run_id) is handle:
                del self._runs[handle.run_id]

    def hold_task(self, handle: TaskHandle) -> None:
        """Renew this task's lease until `drop_task`."""
        with self._lock:
            self._tasks[handle.task.task_id] = handle

    def drop_task(self, handle: TaskHandle) -> None:
        """Stop renewing this task's lease."""
        with self._lock:
            self._tasks.pop(handle.task.task_id, None)

    def held_runs(self) -> list[LeaseHandle]:
        """The run leases currently renewed."""
        with self._lock:
            return list(self._runs.values())

    def _loop(self) -> None:
        interval = max(self._lease_seconds / 3.0, 0.05)
        while not self._stop.wait(interval):
            try:
                self.renew_all()
            except Exception:  # the renewing thread must never die silently
                logger.exception("lease renewal round failed")

    def renew_all(self) -> None:
        """Renew every held lease once (also called directly by tests)."""
        for handle in self.held_runs():
            self._renew_run(handle)
        with self._lock:
            tasks = list(self._tasks.values())
        for task_handle in tasks:
            try:
                self._store.heartbeat_task(task_handle.task, self._lease_seconds)
            except LeaseLostError:
                task_handle.lost = True
            except StoreError as err:
                logger.warning("could not renew task %s: %s", task_handle.task.task_id, err)

    def _renew_run(self, handle: LeaseHandle) -> None:
        if handle.lost:
            return
        started = time.monotonic()
        try:
            handle.lease = self._store.renew_lease(handle.lease, self._lease_seconds)
            run = self._store.get_run(handle.run_id)
        except LeaseLostError:
            with self._lock:
                still_held = self._runs.get(handle.run_id) is handle
            if still_held:  # else the run just suspended or finished: nothing was lost
                logger.warning("lease of run %s lost: another worker owns it now", handle.run_id)
                handle.lost = True
            return
        except StoreError as err:
            # Transient: the next round tries again; the lease is still valid for a while.
            logger.warning("could not renew lease of run %s: %s", handle.run_id, err)
            return
        if run is not None and run.cancel_requested:
            handle.cancel_requested = True
        logger.debug("renewed %s in %.3fs", handle.run_id, time.monotonic() - started)
