"""The worker: claims due runs and queued activity tasks and executes them on threads.

One claim loop asks the store for as much work as there are free executor threads
(runs first, then tasks of the queues it serves), hands each item to a thread, and
otherwise blocks in `Store.wait_for_work` (LISTEN/NOTIFY on Postgres) for at most
``poll_interval`` seconds (default 5) — the slow fallback poll that also finds due
timers. An idle worker therefore makes two claim queries per poll interval, plus a look
at the schedules every 10 s (`continuum.runtime.schedules.ScheduleRunner`): about 0.5
query per second. A notification about runs leads to a claim of runs only, one about
a queued task to a claim of tasks only.

Co-located mode: a worker running in the application's process executes the runs its
bound client starts (`Worker.client`, `Worker.execute_new`) without any claim: the
start inserts them already leased to it.

Threads, not processes: a workflow spends its time waiting on Postgres or on
activities' I/O, and one process per worker keeps leases, the pool and the registry in
one place. Run several worker processes (or hosts) for CPU-bound activities.

`stop()` (SIGTERM/SIGINT in the CLI) stops claiming, lets running items finish for
``drain_timeout`` seconds, then releases the leases of runs still executing so another
worker takes them over at once instead of after lease expiry.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Collection
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .activity_context import ActivityInfo, invoke
from .effects._activities import error_type_name, import_function
from .effects._dispatch import SHORT_WAIT_SECONDS, utc_now
from .engine import Outcome, execute_run
from .errors import LeaseLostError, PayloadError, StoreError
from .journal import user_value
from .lease import LeaseHandle, LeaseKeeper, TaskHandle
from .registry import Registry
from .retention import PruneTicker, RetentionRegistrar
from .retry import Retry
from .schedules import ScheduleRunner
from .store.base import Lease, NewRun, RunRecord, Store, Task

if TYPE_CHECKING:
    from .client import Client

logger = logging.getLogger(__name__)


#: Both kinds of work a claim looks for.
_EVERYTHING = frozenset(("runs", "tasks"))


def default_owner() -> str:
    """``host/pid/random``: unique per worker process, readable in ``runs show``."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    """How a worker behaves; every field has a production default."""

    #: Task queues whose queued activities this worker executes.
    queues: tuple[str, ...] = ("default",)
    #: Executor threads (runs and tasks executed at the same time).
    concurrency: int = 8
    #: Lease length; renewed every third of it. A dead worker's runs resume after it.
    lease_seconds: float = 30.0
    #: Longest sleep between claims when no notification arrives. LISTEN/NOTIFY wakes
    #: a worker within milliseconds; this poll only catches lost notifications and
    #: timers nobody announced, so it can be slow (an idle worker: ~0.5 query/s).
    poll_interval: float = 5.0
    #: How long `stop()` waits for running items before releasing their leases.
    drain_timeout: float = 10.0
    #: Retry backoff and timers up to this long are slept inline instead of suspending.
    short_wait: float = SHORT_WAIT_SECONDS
    #: Lease owner name; defaults to `default_owner()`. A given name gets a random
    #: suffix: fencing after a server crash relies on owners unique per process.
    owner: str | None = None
    #: Start the runs of due schedules (checked at most once per second).
    schedules: bool = True
    #: Delete expired runs in the background (`continuum prune` does it on demand).
    prune: bool = False
    #: With ``prune``: seconds between two batches, and correlation groups per batch.
    prune_interval: float = 60.0
    prune_batch: int = 100


@dataclass(slots=True)
class WorkerStats:
    """Counters for logs and tests."""

    runs_executed: int = 0
    tasks_executed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


class Worker:
    """Executes runs and queued tasks from one store (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        registry: Registry,
        options: WorkerOptions | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.registry = registry
        self.options = options or WorkerOptions()
        given = self.options.owner
        self.owner = f"{given}/{uuid.uuid4().hex[:6]}" if given else default_owner()
        self.stats = WorkerStats()
        self._clock = clock
        self._keeper = LeaseKeeper(store, self.options.lease_seconds)
        self._pool = ThreadPoolExecutor(
            max_workers=self.options.concurrency, thread_name_prefix="continuum-exec"
        )
        self._busy = 0
        self._lock = threading.Lock()
        self._slot_free = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._handles: dict[str, LeaseHandle] = {}
        # A store whose wait skips `finished` notifications and never misses one that
        # arrived since the last wait (Postgres) lets the loop wait right after a claim
        # instead of claiming again; with any other store it claims until nothing is due.
        self._claimable_wait: Callable[[float], frozenset[str] | None] | None = getattr(
            store, "wait_for_claimable", None
        )
        # What the next claim looks for: "runs", "tasks" (both unless the last wait was
        # ended by notifications that concern one kind only).
        self._wanted: frozenset[str] = _EVERYTHING
        #: Items still executing when the drain gave up (their threads are abandoned).
        self.abandoned = 0
        # Housekeeping (schedules, retention, pruning): see continuum.runtime.schedules
        # and continuum.runtime.retention.
        self._schedules = ScheduleRunner(store, clock=clock) if self.options.schedules else None
        self._retention = RetentionRegistrar(store, registry)
        self._pruner = (
            PruneTicker(store, self.options.prune_interval, self.options.prune_batch)
            if self.options.prune
            else None
        )

    # --- lifecycle ------------------------------------------------------------------------
    def run(self) -> None:
        """Claim and execute until `stop()` is called (blocks the calling thread)."""
        self._keeper.start()
        logger.info(
            "worker %s started: %d workflow(s), queues %s, concurrency %d",
            self.owner,
            len(self.registry.current),
            ",".join(self.options.queues) or "-",
            self.options.concurrency,
        )
        try:
            while not self._stop.is_set():
                self._tick()
        finally:
            self._drain()

    def start(self) -> Worker:
        """Run the claim loop on a background thread; returns self."""
        self._thread = threading.Thread(target=self.run, name="continuum-worker", daemon=True)
        self._thread.start()
        return self

    def stop(self, *, wait: bool = True) -> None:
        """Stop claiming, drain running items, release what is still running."""
        self._stop.set()
        self._slot_free.set()
        # The claim loop may be in a (long) fallback-poll wait: end it now.
        wake = getattr(self.store, "wake_waiters", None)
        if wake is not None:
            wake()
        if wait and self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def __enter__(self) -> Worker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- co-located mode ------------------------------------------------------------------
    def client(self) -> Client:
        """A `Client` bound to this worker (co-located mode, see `execute_new`).

        It shares the worker's store; closing it leaves the store open.
        """
        from .client import Client

        return Client(worker=self)

    def execute_new(self, new: NewRun) -> tuple[RunRecord, Future[Outcome | None] | None] | None:
        """Start ``new`` leased to this worker and execute it here, skipping the claim.

        The run is inserted already running, pinned to this registry's current version
        and leased to this worker, in one statement (`Store.create_run_leased`), and
        goes straight to a free executor thread: no notification, no claim query, no
        history read. It is journaled and fenced like any other run, and the lease is
        renewed as usual; if this process dies, another worker takes the run over when
        the lease expires and resumes it by replay.

        Returns (record, future of the `Outcome`), or (existing record, None) for an
        ``id`` that already exists, or None when this worker cannot take it now (not
        running or stopping, the workflow not in its registry, a delayed start, or no
        free executor thread): the caller then creates the run the ordinary way and
        whichever worker is free claims it.
        """
        version = self.registry.current.get(new.workflow)
        if (
            version is None
            or new.start_at is not None
            or new.adopt_children_of is not None
            or self._stop.is_set()
            or self._thread is None
            or not self._thread.is_alive()
        ):
            return None
        with self._lock:
            # Up to `concurrency` more wait in the executor's queue, leased: a burst of
            # starts costs no claims. Beyond that the run is left to any worker's claim.
            if self._busy >= 2 * self.options.concurrency:
                return None
            self._busy += 1  # the slot is reserved before the run exists
        try:
            record, lease = self.store.create_run_leased(
                new,
                owner=self.owner,
                version_hash=version,
                lease_seconds=self.options.lease_seconds,
            )
        except BaseException:
            self._unreserve()
            raise
        if lease is None:
            self._unreserve()
            return record, None
        # Renewed (and released by a drain) from now on, even while it waits its turn.
        handle = self._hold(record.run_id, LeaseHandle(lease))
        try:
            future: Future[Outcome | None] = self._pool.submit(
                self._execute_run, record, lease, handle
            )
        except RuntimeError:  # the pool shut down meanwhile: let another worker have it
            self._unreserve()
            self._unhold(record.run_id, handle)
            self._release(handle)
            return record, None
        future.add_done_callback(self._done)
        return record, future

    def _unreserve(self) -> None:
        with self._lock:
            self._busy -= 1
        self._slot_free.set()

    # --- the claim loop -------------------------------------------------------------------
    def _free(self) -> int:
        with self._lock:
            return self.options.concurrency - self._busy

    def _tick(self) -> None:
        claimed = 0
        saturated = False
        self._housekeeping()
        try:
            claimed, saturated = self._claim(self._wanted)
        except StoreError as err:
            logger.warning("claim failed: %s; retrying", err)
            self._wanted = _EVERYTHING
            self._stop.wait(min(self.options.poll_interval, 1.0))
            return
        except Exception:
            # Whatever went wrong, the claim loop must outlive it: held leases are
            # renewed by their own thread and the next round simply tries again.
            logger.exception("claim loop error; retrying")
            self._wanted = _EVERYTHING
            self._stop.wait(min(self.options.poll_interval, 1.0))
            return
        if self._stop.is_set():
            return
        if self._free() <= 0:
            self._slot_free.wait(self.options.poll_interval)
            self._slot_free.clear()
            self._wanted = _EVERYTHING  # what arrived meanwhile is not known
        elif claimed == 0 or (self._claimable_wait is not None and not saturated):
            # After a claim that took everything due, a notification since the last wait
            # (a run started meanwhile) makes this return at once, so nothing is missed.
            self._wait_for_claimable()
        else:
            self._wanted = _EVERYTHING  # a claim hit its limit: look again at once

    def _wait_for_claimable(self) -> None:
        """Sleep until work may be due; remember which kinds the wake-up concerns.

        A notification about a new or woken run leaves the task queues alone in the
        next claim, and one about a task the runs (one query instead of two per
        wake-up); the fallback poll (a timeout) and stores that cannot tell claim both.
        """
        if self._claimable_wait is None:
            self.store.wait_for_work(self.options.poll_interval)
            self._wanted = _EVERYTHING
            return
        kinds = self._claimable_wait(self.options.poll_interval)
        self._wanted = _EVERYTHING if kinds is None else kinds

    def _housekeeping(self) -> None:
        """Fire due schedules and prune a batch; failures are logged, never fatal."""
        try:
            if self._schedules is not None:
                self._schedules.tick()
            if self._pruner is not None:
                self._pruner.tick()
        except StoreError as err:
            logger.warning("housekeeping failed: %s; retrying later", err)

    def _claim(self, wanted: frozenset[str] = frozenset(("runs", "tasks"))) -> tuple[int, bool]:
        """Claim runs, then tasks (those ``wanted``); returns (items claimed, whether a
        claim hit its limit)."""
        claimed = 0
        saturated = False
        free = self._free()
        if free > 0 and self.registry.current and "runs" in wanted:
            runs = self.store.claim_runs(
                owner=self.owner,
                current_versions=self.registry.current,
                known_versions=self.registry.known_versions,
                limit=free,
                lease_seconds=self.options.lease_seconds,
            )
            for run, lease in runs:
                if not self._adopt(lease):
                    self._submit(self._execute_run, run, lease)
            claimed += len(runs)
            saturated = len(runs) >= free
        free = self._free()
        if free > 0 and self.options.queues and "tasks" in wanted:
            tasks = self.store.claim_tasks(
                owner=self.owner,
                queues=self.options.queues,
                limit=free,
                lease_seconds=self.options.lease_seconds,
            )
            for task in tasks:
                self._submit(self._execute_task, task)
            claimed += len(tasks)
            saturated = saturated or len(tasks) >= free
        return claimed, saturated

    def _adopt(self, lease: Lease) -> bool:
        """Hand a new claim of a run this worker is still executing to that execution.

        It happens when a server crash lost the commit of the first claim (claims do not
        wait for their flush) or the lease lapsed while the run executed: the execution
        goes on under the new lease instead of a second one starting beside it. A
        handle already lost is winding down: the claim starts a fresh execution.
        """
        with self._lock:
            handle = self._handles.get(lease.run_id)
            if handle is None or handle.lost:
                return False
            handle.lease = lease
            return True

    def _submit(self, fn: Callable[..., Any], *args: Any) -> None:
        with self._lock:
            self._busy += 1
        future: Future[Any] = self._pool.submit(fn, *args)
        future.add_done_callback(self._done)

    def _done(self, future: Future[Any]) -> None:
        with self._lock:
            self._busy -= 1
        self._slot_free.set()
        if future.cancelled():  # still queued when the drain ended: its lease was released
            return
        error = future.exception()
        if error is not None:
            logger.error("executor crashed: %r", error)

    # --- executing ------------------------------------------------------------------------
    def _hold(self, run_id: str, handle: LeaseHandle) -> LeaseHandle:
        """Renew ``handle``'s lease and let a drain release it."""
        self._keeper.hold_run(handle)
        with self._lock:
            self._handles[run_id] = handle
        return handle

    def _unhold(self, run_id: str, handle: LeaseHandle) -> None:
        self._keeper.drop_run(handle)
        with self._lock:
            if self._handles.get(run_id) is handle:
                del self._handles[run_id]

    def _execute_run(
        self, run: RunRecord, lease: Lease, held: LeaseHandle | None = None
    ) -> Outcome | None:
        handle = held or self._hold(run.run_id, LeaseHandle(lease))
        if self._stop.is_set():
            handle.stopping.set()
        try:
            self._retention.ensure(run.version_hash)
            outcome = execute_run(
                self.store,
                run,
                handle,
                self.registry,
                clock=self._clock,
                short_wait=self.options.short_wait,
            )
        except StoreError as err:
            logger.warning("run %s: store error, releasing it: %s", run.run_id, err)
            self._release(handle)
            return None
        except Exception:
            logger.exception("run %s: unexpected error, releasing it", run.run_id)
            self._release(handle)
            return None
        finally:
            self._unhold(run.run_id, handle)
        with self._lock:
            self.stats.runs_executed += 1
            self.stats.outcomes[outcome.status] = self.stats.outcomes.get(outcome.status, 0) + 1
        if outcome.status == "lost":
            logger.warning("run %s: lease lost, another worker continues it", run.run_id)
        logger.debug("run %s -> %s", run.run_id, outcome.status)
        return outcome

    def _release(self, handle: LeaseHandle) -> None:
        # Already lost or unreachable: the lease expires anyway.
        with contextlib.suppress(StoreError):
            self.store.release(handle.lease)

    def _execute_task(self, task: Task) -> None:
        handle = TaskHandle(task)
        self._keeper.hold_task(handle)
        try:
            result, error = run_task(self.store, task, self.options.lease_seconds)
            if handle.lost:
                logger.warning("task %s: lease lost, result dropped", task.task_id)
                return
            self.store.complete_task(task, result=result, error=error)
        except LeaseLostError:
            logger.warning("task %s: lease lost, result dropped", task.task_id)
        except StoreError as err:
            logger.warning("task %s: could not record its outcome: %s", task.task_id, err)
        finally:
            self._keeper.drop_task(handle)
            with self._lock:
                self.stats.tasks_executed += 1

    def _drain(self) -> None:
        """Wait for running items, then release the leases of runs still executing."""
        deadline = time.monotonic() + self.options.drain_timeout
        with self._lock:
            handles = list(self._handles.values())
        for handle in handles:
            handle.stopping.set()  # cut inline sleeps short
        while self._free() < self.options.concurrency and time.monotonic() < deadline:
            self._slot_free.wait(0.05)
            self._slot_free.clear()
        with self._lock:
            leftover = list(self._handles.values())
        for handle in leftover:
            handle.lost = True  # its thread must not write after the release
            self._release(handle)
        self.abandoned = len(leftover) + max(
            0, self.options.concurrency - self._free() - len(leftover)
        )
        self._keeper.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)
        logger.info("worker %s stopped (%d run(s) released)", self.owner, len(leftover))


def run_task(store: Store, task: Task, lease_seconds: float) -> tuple[str | None, str | None]:
    """Execute one queued activity attempt; returns (result JSON, error JSON), one of them None."""
    spec = json.loads(task.args)
    retry = Retry(
        max_attempts=max(task.max_attempts, 1), non_retryable=tuple(spec.get("non_retryable", ()))
    )
    last_renewal = [time.monotonic()]

    def on_beat(_info: ActivityInfo) -> None:
        # Heartbeats also renew the task lease, at most every third of the lease time.
        if time.monotonic() - last_renewal[0] >= lease_seconds / 3:
            last_renewal[0] = time.monotonic()
            store.heartbeat_task(task, lease_seconds)

    info = ActivityInfo(
        run_id=task.run_id,
        activity=task.activity,
        attempt=task.attempt,
        idempotency_key=task.idempotency_key,
        heartbeat_timeout=task.heartbeat_seconds,
        on_beat=on_beat,
    )
    try:
        fn = import_function(task.activity)
        args = user_value(spec.get("args", []))
        kwargs = user_value(spec.get("kwargs", {}))
        value = invoke(fn, tuple(args), dict(kwargs), info, timeout=task.timeout_seconds)
        data = _jsonable_result(value, task.activity)
    except Exception as error:
        retryable = retry.is_retryable(error) and not isinstance(error, PayloadError)
        payload = {"type": error_type_name(error), "message": str(error), "retryable": retryable}
        return None, json.dumps(payload)
    return json.dumps(data), None


def _jsonable_result(value: Any, activity: str) -> Any:
    from .journal import jsonable

    return jsonable(value, what=f"the result of activity {activity}")


def serve(
    store: Store,
    registry: Registry,
    options: WorkerOptions | None = None,
    *,
    stop_when: Callable[[], bool] | None = None,
    check_every: float = 0.1,
) -> Worker:
    """Run a worker until ``stop_when()`` is true (tests, scripts); returns the stopped worker."""
    worker = Worker(store, registry, options).start()
    try:
        while stop_when is None or not stop_when():
            time.sleep(check_every)
    finally:
        worker.stop()
    return worker


__all__: Collection[str] = ["Worker", "WorkerOptions", "default_owner", "run_task", "serve"]
