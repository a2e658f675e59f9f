"""`InMemoryStore`: the `Store` protocol in process memory, for fast unit tests.

It keeps the same rules as Postgres (fencing tokens on every write, FIFO mailboxes,
idempotent starts and signals, lease expiry) so code tested against it behaves the
same in production. One lock serialises everything; a step holds it until it
commits, which makes each step atomic. Nothing survives the process.
"""

from __future__ import annotations

import copy
import itertools
import threading
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from continuum.runtime.errors import LeaseLostError, StoreError
from continuum.runtime.store.base import (
    CONTINUED,
    PENDING,
    RUNNING,
    SUSPENDED,
    TERMINAL,
    Event,
    Lease,
    NewEvent,
    NewRun,
    RunRecord,
    Signal,
    Snapshot,
    Task,
    successor_of,
    waiting_on_child,
    waiting_on_parts,
    waiting_on_signal,
    waiting_on_task,
)

from .jsonb import contains
from .memory_operations import MemoryOperations

__all__ = ["InMemoryStore"]

_TASK_KEYS = frozenset(
    {
        "seq",
        "queue",
        "activity",
        "args",
        "max_attempts",
        "attempt",
        "idempotency_key",
        "timeout_seconds",
        "heartbeat_seconds",
        "available_at",
    }
)


@dataclass(slots=True)
class _Run:
    record: RunRecord
    start_at: datetime
    lease_owner: str | None = None
    lease_token: int = 0
    lease_expires_at: datetime | None = None
    events: list[Event] = field(default_factory=list)
    mailbox: list[Signal] = field(default_factory=list)
    delivery_ids: set[str] = field(default_factory=set)
    snapshot: Snapshot | None = None


class _MemoryStep:
    """Changes staged by one step; applied by `InMemoryStore.step` when it commits."""

    def __init__(self, store: InMemoryStore, run: _Run) -> None:
        self._store = store
        self._run = run
        self.events: list[Event] = []
        self.taken: list[Signal] = []
        self.tasks: list[Task] = []
        self.attributes: dict[str, Any] = {}
        self.snapshot: Snapshot | None = None

    def append(self, event: NewEvent) -> None:
        expected = len(self._run.events) + len(self.events) + 1
        if event.seq != expected:
            raise LeaseLostError(
                "append", "seq_conflict", f"expected seq {expected}, got {event.seq}"
            )
        self.events.append(
            Event(
                self._run.record.run_id,
                event.seq,
                event.kind,
                None if event.command is None else tuple(event.command),
                event.payload,
                self._store.now(),
            )
        )

    def take_signal(self, name: str) -> Signal | None:
        for signal in self._run.mailbox:
            if signal.name == name and signal not in self.taken:
                self.taken.append(signal)
                return signal
        return None

    def enqueue_task(self, task: Mapping[str, Any]) -> int:
        unknown = set(task) - _TASK_KEYS
        if unknown:
            raise StoreError("enqueue_task", "unknown_keys", ", ".join(sorted(unknown)))
        seq = task["seq"]
        run_id = self._run.record.run_id
        if any(t.run_id == run_id and t.seq == seq for t in self._store._tasks.values()) or any(
            t.seq == seq for t in self.tasks
        ):
            raise StoreError("enqueue_task", "duplicate_task", f"run {run_id} seq {seq}")
        task_id = next(self._store._task_ids)
        self.tasks.append(
            Task(
                task_id=task_id,
                run_id=run_id,
                seq=seq,
                queue=task["queue"],
                activity=task["activity"],
                args=task["args"],
                attempt=task.get("attempt", 1),
                max_attempts=task.get("max_attempts", 1),
                status="available",
                result=None,
                error=None,
                idempotency_key=task.get("idempotency_key") or f"{run_id}:{seq}",
                timeout_seconds=task.get("timeout_seconds"),
                heartbeat_seconds=task.get("heartbeat_seconds"),
                available_at=task.get("available_at") or self._store.now(),
            )
        )
        return task_id

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        self.attributes.update(attributes)

    def save_snapshot(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot


class _Watch:
    """`Store.watch_run` in memory: woken by any change (spurious wake-ups are allowed)."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    def wait(self, timeout: float) -> None:
        self._store.wait_for_work(timeout)


class InMemoryStore(MemoryOperations):
    """A complete `Store` in memory (see the module docstring).

    ``clock`` lets tests move time (``store.clock = lambda: ...``) to fire timers and
    expire leases without waiting.
    """

    def __init__(self, *, clock: Callable[[], datetime] | None = None) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()
        self._work = threading.Condition(self._lock)
        self._runs: dict[str, _Run] = {}
        self._tasks: dict[int, Task] = {}
        self._tokens = itertools.count(1)
        self._task_ids = itertools.count(1)
        self._signal_ids = itertools.count(1)
        self._closed = False

    def now(self) -> datetime:
        return self.clock()

    # --- helpers -----------------------------------------------------------------------
    def _notify(self) -> None:
        self._work.notify_all()

    def _update(self, run: _Run, **changes: Any) -> None:
        run.record = replace(run.record, updated_at=self.now(), **changes)

    def _fenced(self, lease: Lease, op: str) -> _Run:
        run = self._runs.get(lease.run_id)
        if run is None:
            raise LeaseLostError(op, "run_not_found", lease.run_id)
        if run.lease_owner != lease.owner or run.lease_token != lease.token:
            raise LeaseLostError(op, "lease_mismatch", f"run {lease.run_id} token {lease.token}")
        if run.record.status in TERMINAL:
            raise LeaseLostError(op, "run_not_active", run.record.status)
        return run

    def _release_lease(self, run: _Run) -> None:
        run.lease_owner = None
        run.lease_expires_at = None

    # --- runs --------------------------------------------------------------------------
    def create_run(self, new: NewRun) -> tuple[RunRecord, bool]:
        with self._lock:
            existing = self._runs.get(new.run_id)
            if existing is not None:
                return existing.record, False
            now = self.now()
            record = RunRecord(
                run_id=new.run_id or str(uuid.uuid4()),
                workflow=new.workflow,
                version_hash=new.version_hash,
                status=PENDING,
                input=new.input,
                result=None,
                error=None,
                namespace=new.namespace,
                attributes=dict(new.attributes),
                parent_id=new.parent_id,
                correlation_id=new.correlation_id or new.run_id,
                created_at=now,
                updated_at=now,
                completed_at=None,
                next_wakeup_at=new.start_at or now,
                waiting_on=None,
                cancel_requested=False,
            )
            self._runs[record.run_id] = _Run(record, start_at=new.start_at or now)
            if new.adopt_children_of is not None:
                for child in self._runs.values():
                    if (
                        child.record.parent_id == new.adopt_children_of
                        and child.record.status not in TERMINAL
                    ):
                        self._update(child, parent_id=record.run_id)
            self._notify()
            return record, True

    def create_run_leased(
        self, new: NewRun, *, owner: str, version_hash: str, lease_seconds: float
    ) -> tuple[RunRecord, Lease | None]:
        if new.start_at is not None or new.adopt_children_of is not None:
            raise StoreError("create_run_leased", "unsupported", "runs now, adopts nothing")
        with self._lock:
            record, created = self.create_run(replace(new, version_hash=version_hash))
            if not created:
                return record, None
            run = self._runs[record.run_id]
            run.lease_owner = owner
            run.lease_token = next(self._tokens)
            run.lease_expires_at = self.now() + timedelta(seconds=lease_seconds)
            self._update(run, status=RUNNING, next_wakeup_at=None)
            lease = Lease(record.run_id, owner, run.lease_token, run.lease_expires_at, True)
            return run.record, lease

    def get_run(self, run_id: str) -> RunRecord | None:
        with self._lock:
            run = self._runs.get(run_id)
            return None if run is None else run.record

    def list_runs(
        self,
        *,
        workflow: str | None = None,
        status: str | None = None,
        namespace: str | None = None,
        attributes: Mapping[str, Any] | None = None,
        limit: int = 100,
    ) -> list[RunRecord]:
        with self._lock:
            records = [run.record for run in self._runs.values()]
        selected = [
            record
            for record in records
            if (workflow is None or record.workflow == workflow)
            and (status is None or record.status == status)
            and (namespace is None or record.namespace == namespace)
            and contains(record.attributes, dict(attributes or {}))
        ]
        selected.sort(key=lambda record: record.created_at, reverse=True)
        return selected[:limit]

    def _due(self, run: _Run, now: datetime) -> bool:
        status = run.record.status
        if status == PENDING:
            return run.start_at <= now and run.lease_owner is None
        if status == SUSPENDED:
            wake = run.record.next_wakeup_at
            return wake is not None and wake <= now
        if status == RUNNING:
            return run.lease_owner is None or (
                run.lease_expires_at is not None and run.lease_expires_at <= now
            )
        return False

    def claim_runs(
        self,
        *,
        owner: str,
        current_versions: Mapping[str, str],
        known_versions: Collection[str],
        limit: int,
        lease_seconds: float,
    ) -> list[tuple[RunRecord, Lease]]:
        with self._lock:
            now = self.now()
            claimed: list[tuple[RunRecord, Lease]] = []
            candidates = sorted(
                (run for run in self._runs.values() if self._due(run, now)),
                key=lambda run: (run.record.next_wakeup_at or now, run.record.created_at),
            )
            for run in candidates:
                if len(claimed) >= limit:
                    break
                record = run.record
                if record.workflow not in current_versions:
                    continue
                # Unpinned runs are pinned here to the current version; pinned ones run
                # only where their exact version is current or known.
                pinned = record.version_hash
                current = current_versions[record.workflow]
                if pinned is not None and pinned != current and pinned not in known_versions:
                    continue
                version = record.version_hash or current_versions[record.workflow]
                run.lease_owner = owner
                run.lease_token = next(self._tokens)
                run.lease_expires_at = now + timedelta(seconds=lease_seconds)
                self._update(
                    run, status=RUNNING, version_hash=version, next_wakeup_at=None, waiting_on=None
                )
                claimed.append(
                    (run.record, Lease(record.run_id, owner, run.lease_token, run.lease_expires_at))
                )
            return claimed

    def renew_lease(self, lease: Lease, lease_seconds: float) -> Lease:
        with self._lock:
            run = self._fenced(lease, "renew_lease")
            run.lease_expires_at = self.now() + timedelta(seconds=lease_seconds)
            return replace(lease, expires_at=run.lease_expires_at)

    def load_events(self, run_id: str, *, after_seq: int = 0) -> list[Event]:
        with self._lock:
            run = self._runs.get(run_id)
            if run is None:
                return []
            return [event for event in run.events if event.seq > after_seq]

    def load_snapshot(self, run_id: str) -> Snapshot | None:
        with self._lock:
            run = self._runs.get(run_id)
            return None if run is None else run.snapshot

    def load_history(self, run_id: str) -> tuple[Snapshot | None, list[Event]]:
        with self._lock:
            run = self._runs.get(run_id)
            if run is None:
                return None, []
            after = 0 if run.snapshot is None else run.snapshot.through_seq
            return run.snapshot, run.events[after:]  # seq n is at index n - 1

    @contextmanager
    def step(self, lease: Lease) -> Iterator[_MemoryStep]:
        with self._lock:
            run = self._fenced(lease, "step")
            staged = _MemoryStep(self, run)
            yield staged
            # Committed only when the body finished without raising.
            run.events.extend(staged.events)
            for signal in staged.taken:
                run.mailbox.remove(signal)
            for task in staged.tasks:
                self._tasks[task.task_id] = task
            if staged.attributes:
                self._update(run, attributes={**run.record.attributes, **staged.attributes})
            if staged.snapshot is not None and (
                run.snapshot is None or run.snapshot.through_seq < staged.snapshot.through_seq
            ):
                run.snapshot = staged.snapshot  # an older snapshot never replaces a newer one
            if staged.tasks:
                self._notify()

    def _woken(self, run: _Run, waiting_on: str) -> bool:
        if run.record.cancel_requested:
            return True
        kind, detail = waiting_on_parts(waiting_on)
        if kind == "signal":
            return any(signal.name == detail for signal in run.mailbox)
        if kind == "child":
            child = self._runs.get(detail)
            return child is not None and child.record.status in TERMINAL
        if kind == "task" and detail.isdigit():
            task = self._tasks.get(int(detail))
            return task is not None and task.status in ("completed", "failed")
        return False

    def suspend(self, lease: Lease, *, wake_at: datetime | None, waiting_on: str) -> None:
        with self._lock:
            run = self._fenced(lease, "suspend")
            if self._woken(run, waiting_on):
                wake_at = self.now()
            self._release_lease(run)
            self._update(run, status=SUSPENDED, next_wakeup_at=wake_at, waiting_on=waiting_on)
            self._notify()

    def finish(
        self,
        lease: Lease,
        *,
        status: str,
        result: str | None = None,
        error: str | None = None,
        events: Sequence[NewEvent] = (),
    ) -> None:
        if status not in TERMINAL:
            raise StoreError("finish", "not_terminal", status)
        with self._lock:
            run = self._fenced(lease, "finish")
            if events:
                staged = _MemoryStep(self, run)
                for event in events:
                    staged.append(event)  # raises before anything changed
                run.events.extend(staged.events)
            self._release_lease(run)
            now = self.now()
            self._update(
                run,
                status=status,
                result=result,
                error=error,
                completed_at=now,
                retention_until=self._retention_until(run.record, now),
                next_wakeup_at=None,
                waiting_on=None,
            )
            parent = self._runs.get(run.record.parent_id or "")
            if (
                parent is not None
                and parent.record.status == SUSPENDED
                and parent.record.waiting_on == waiting_on_child(run.record.run_id)
            ):
                self._update(parent, next_wakeup_at=now)
            successor = successor_of(result) if status == CONTINUED else None
            if successor is not None:
                self._hand_on(run, successor)
            self._notify()

    def _hand_on(self, run: _Run, successor_id: str) -> None:
        """Give a continued run's mailbox and cancel request to its successor.

        Signals keep their ids (so their FIFO order) and delivery ids; the successor
        also learns every delivery id this run accepted, so a retried delivery is
        refused there. A signal whose delivery id the successor already holds is a
        duplicate and stays behind.
        """
        successor = self._runs.get(successor_id)
        if successor is None:
            return
        moved = [
            replace(signal, run_id=successor_id)
            for signal in run.mailbox
            if signal.delivery_id is None or signal.delivery_id not in successor.delivery_ids
        ]
        run.mailbox = []
        successor.mailbox = sorted(successor.mailbox + moved, key=lambda s: s.signal_id)
        successor.delivery_ids |= run.delivery_ids
        waiting = successor.record.waiting_on or ""
        if successor.record.status == SUSPENDED and any(
            waiting == waiting_on_signal(signal.name) for signal in moved
        ):
            self._update(successor, next_wakeup_at=self.now())
        if run.record.cancel_requested:
            self.request_cancel(successor_id)  # the lock is re-entrant

    def release(self, lease: Lease) -> None:
        with self._lock:
            run = self._fenced(lease, "release")
            self._release_lease(run)
            run.lease_token = next(self._tokens)  # a released lease must never write again
            self._notify()

    # --- from the outside ---------------------------------------------------------------
    def send_signal(
        self, run_id: str, name: str, payload: str, *, delivery_id: str | None = None
    ) -> bool:
        with self._lock:
            run = self._runs.get(run_id)
            if run is None:
                raise StoreError("send_signal", "not_found", run_id)
            if run.record.status in TERMINAL:
                return False
            if delivery_id is not None:
                if delivery_id in run.delivery_ids:
                    return False
                run.delivery_ids.add(delivery_id)
            run.mailbox.append(
                Signal(next(self._signal_ids), run_id, name, payload, delivery_id, self.now())
            )
            if run.record.status == SUSPENDED and run.record.waiting_on == waiting_on_signal(name):
                self._update(run, next_wakeup_at=self.now())
            self._notify()
            return True

    def request_cancel(self, run_id: str) -> bool:
        with self._lock:
            run = self._runs.get(run_id)
            if run is None:
                raise StoreError("request_cancel", "not_found", run_id)
            if run.record.status in TERMINAL:
                return False
            # The run and its unfinished descendants, generation by generation.
            flagged = [run]
            for current in flagged:
                flagged.extend(
                    other
                    for other in self._runs.values()
                    if other.record.parent_id == current.record.run_id
                    and other.record.status not in TERMINAL
                    and other not in flagged
                )
            for target in flagged:
                changes: dict[str, Any] = {"cancel_requested": True}
                if target.record.status in (SUSPENDED, PENDING):
                    changes["next_wakeup_at"] = self.now()
                    target.start_at = min(target.start_at, self.now())  # a later start too
                self._update(target, **changes)
                self._discard_tasks(target.record.run_id)
            self._notify()
            return True

    def _discard_tasks(self, run_id: str) -> None:
        """Fail the queued tasks of a cancelled run that no worker holds yet."""
        error = '{"type": "Cancelled", "message": "the run was cancelled"}'
        for task in list(self._tasks.values()):
            if task.run_id == run_id and task.status == "available":
                self._tasks[task.task_id] = replace(task, status="failed", error=error)

    # --- queued activity tasks ---------------------------------------------------------------
    def claim_tasks(
        self, *, owner: str, queues: Collection[str], limit: int, lease_seconds: float
    ) -> list[Task]:
        with self._lock:
            now = self.now()
            claimed = []
            for task in sorted(self._tasks.values(), key=lambda t: (t.available_at, t.task_id)):
                if len(claimed) >= limit:
                    break
                if task.queue not in queues or task.available_at > now:
                    continue
                expired = task.status == "leased" and (
                    task.lease_expires_at is None or task.lease_expires_at <= now
                )
                if task.status != "available" and not expired:
                    continue
                if expired:
                    # Its worker died mid-attempt: that attempt counts.
                    task = replace(task, attempt=task.attempt + 1)
                    if task.attempt > task.max_attempts:
                        self._expire_task(task)
                        continue
                run = self._runs.get(task.run_id)
                if run is None or run.record.status in TERMINAL:
                    continue
                updated = replace(
                    task,
                    status="leased",
                    lease_owner=owner,
                    lease_expires_at=now + timedelta(seconds=lease_seconds),
                )
                self._tasks[task.task_id] = updated
                claimed.append(updated)
            return claimed

    def _expire_task(self, task: Task) -> None:
        error = '{"type": "TaskLeaseExpired", "message": "the worker running it stopped"}'
        self._tasks[task.task_id] = replace(
            task, status="failed", error=error, lease_owner=None, lease_expires_at=None
        )
        run = self._runs.get(task.run_id)
        if run is not None and run.record.status == SUSPENDED:
            self._update(run, next_wakeup_at=self.now())

    def _fenced_task(self, task: Task, op: str) -> Task:
        current = self._tasks.get(task.task_id)
        if current is None or current.status != "leased" or current.lease_owner != task.lease_owner:
            raise LeaseLostError(op, "task_lease_mismatch", f"task {task.task_id}")
        return current

    def heartbeat_task(self, task: Task, lease_seconds: float) -> None:
        with self._lock:
            current = self._fenced_task(task, "heartbeat_task")
            self._tasks[task.task_id] = replace(
                current, lease_expires_at=self.now() + timedelta(seconds=lease_seconds)
            )

    def complete_task(
        self,
        task: Task,
        *,
        result: str | None,
        error: str | None,
        retry_after: float | None = None,
    ) -> None:
        with self._lock:
            current = self._fenced_task(task, "complete_task")
            if error is not None and retry_after is not None:
                self._tasks[task.task_id] = replace(
                    current,
                    status="available",
                    attempt=current.attempt + 1,
                    error=error,
                    available_at=self.now() + timedelta(seconds=retry_after),
                    lease_owner=None,
                    lease_expires_at=None,
                )
                self._notify()
                return
            self._tasks[task.task_id] = replace(
                current,
                status="failed" if error is not None else "completed",
                result=result,
                error=error,
                lease_owner=None,
                lease_expires_at=None,
            )
            run = self._runs.get(task.run_id)
            if (
                run is not None
                and run.record.status == SUSPENDED
                and run.record.waiting_on == waiting_on_task(task.task_id)
            ):
                self._update(run, next_wakeup_at=self.now())
            self._notify()

    def get_task(self, run_id: str, seq: int) -> Task | None:
        with self._lock:
            for task in self._tasks.values():
                if task.run_id == run_id and task.seq == seq:
                    return copy.copy(task)
            return None

    # --- wake-ups ---------------------------------------------------------------------------
    def wait_for_work(self, timeout: float) -> None:
        with self._lock:
            if not self._closed:
                self._work.wait(timeout)

    @contextmanager
    def watch_run(self, run_id: str) -> Iterator[_Watch]:
        # Every change notifies the one condition: a watch wakes on any of them.
        yield _Watch(self)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._notify()
