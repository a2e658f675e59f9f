"""`PostgresStore`: the `Store` protocol on Postgres, composed from the table modules."""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from datetime import datetime
from typing import Any

import psycopg

from ...errors import LeaseLostError
from ..base import (
    Event,
    Lease,
    NewEvent,
    NewRun,
    Recorded,
    RunRecord,
    RunWatch,
    Signal,
    Snapshot,
    Task,
)
from . import events, runs, signals, snapshots, tasks
from .migrate import Migration, MigrationState, database_status, migrate_database
from .notify import Listener
from .operations import PostgresOperations
from .pool import Database

DEFAULT_SCHEMA = "continuum"


class PostgresStep:
    """One fenced step on behalf of a leased run (the `Step` protocol).

    The transaction opens lazily. A step that only appends one event — the common
    case: an activity result, a timer, a side effect — never opens one: at the end it
    is written by a single autocommit ``INSERT … SELECT`` that checks the lease and the
    journal position itself (`events.append_fenced`), one round trip. The first call
    that needs a transaction (taking a signal, queueing a task, attributes, a
    snapshot, or a second event) opens it, fences the run row, and writes what was
    buffered before going on.
    """

    def __init__(self, db: Database, lease: Lease, stack: ExitStack) -> None:
        self._db = db
        self._lease = lease
        self._run_id = lease.run_id
        self._stack = stack
        self._pending: list[NewEvent] = []
        self._conn: psycopg.Connection | None = None
        self._next_seq = 0

    def _transaction(self) -> psycopg.Connection:
        """The step's fenced transaction, opened on first use (buffered events written)."""
        if self._conn is None:
            conn = self._stack.enter_context(self._db.step_transaction("step"))
            self._next_seq = runs.fence_step(conn, self._db.schema, self._lease) + 1
            self._conn = conn
            pending, self._pending = self._pending, []
            for event in pending:
                self._append(event)
        return self._conn

    def _append(self, event: NewEvent) -> None:
        # The check is local (the fence read the last seq under the row lock), so a
        # duplicate or a gap costs no round trip and nothing reaches the journal.
        if event.seq != self._next_seq:
            raise LeaseLostError(
                "append",
                "seq_conflict",
                f"run {self._run_id}: next event is {self._next_seq}, not {event.seq}",
            )
        assert self._conn is not None
        events.append(self._db, self._conn, self._run_id, event)
        self._next_seq += 1

    def append(self, event: NewEvent) -> None:
        """Append ``event``, which must be at the next seq; else `LeaseLostError`."""
        if self._conn is None and not self._pending:
            self._pending.append(event)  # maybe the fast path (see the class docstring)
            return
        self._transaction()
        self._append(event)

    def commit(self) -> None:
        """Write the step: one fenced statement for a lone event, else the transaction."""
        if self._conn is None and len(self._pending) == 1:
            events.append_fenced(self._db, self._lease, self._pending.pop())
            return
        self._transaction()  # also fences an empty step, as before
        self._stack.close()  # commits

    def take_signal(self, name: str) -> Signal | None:
        """Consume the oldest buffered ``name`` signal (FIFO), if any."""
        return signals.take_signal(self._db.schema, self._transaction(), self._run_id, name)

    def enqueue_task(self, task: Mapping[str, Any]) -> int:
        """Queue an activity task for this run (keys: see `Step.enqueue_task`)."""
        return tasks.enqueue(self._db, self._transaction(), self._run_id, task)

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        """Merge searchable attributes into the run."""
        runs.set_attributes(self._transaction(), self._db.schema, self._run_id, attributes)

    def save_snapshot(self, snapshot: Snapshot) -> None:
        """Store this run's snapshot, replacing an older one."""
        snapshots.save(self._db.schema, self._transaction(), snapshot)


class _FlagWatch:
    """A `RunWatch` over the flag the listener raises on the run's ``finished`` notification."""

    __slots__ = ("_flag",)

    def __init__(self, flag: threading.Event) -> None:
        self._flag = flag

    def wait(self, timeout: float) -> None:
        """Return once the flag is raised (then lower it) or after ``timeout`` seconds."""
        if self._flag.wait(max(0.0, timeout)):
            self._flag.clear()


class PostgresStore(PostgresOperations):
    """Runs, journal, mailbox and task queue in one Postgres schema.

    ``PostgresStore(url, schema="continuum", migrate=True)`` applies pending
    migrations first (safe when several processes start at once); otherwise run
    ``continuum db migrate`` beforehand. Thread-safe: each call checks a connection out
    of the pool (``min_size``..``max_size``); `wait_for_work` uses one extra dedicated
    LISTEN connection, opened on first use. Construction connects, and raises
    `StoreError` within ``timeout`` seconds when the database cannot be reached; a call
    that finds every pooled connection busy for ``timeout`` seconds raises too.
    """

    def __init__(
        self,
        url: str,
        *,
        schema: str = DEFAULT_SCHEMA,
        min_size: int = 1,
        max_size: int = 10,
        migrate: bool = False,
        timeout: float = 30.0,
    ) -> None:
        self.url = url
        self.schema = schema
        if migrate:
            self.migrate()
        self._db = Database(
            url, schema=schema, min_size=min_size, max_size=max_size, timeout=timeout
        )
        self._listener = Listener(url, schema)

    # --- schema -------------------------------------------------------------------------
    def migrate(self) -> list[Migration]:
        """Apply pending migrations (under an advisory lock); return those applied now."""
        return migrate_database(self.url, self.schema)

    def migration_status(self) -> list[MigrationState]:
        """Each shipped migration as applied, pending or changed in this schema."""
        return database_status(self.url, self.schema)

    # --- runs ---------------------------------------------------------------------------
    def create_run(self, new: NewRun) -> tuple[RunRecord, bool]:
        """Insert a run; if ``run_id`` exists return (existing, False)."""
        return runs.create_run(self._db, new)

    def create_run_leased(
        self, new: NewRun, *, owner: str, version_hash: str, lease_seconds: float
    ) -> tuple[RunRecord, Lease | None]:
        """Insert a run already running and leased to ``owner``; (existing, None) if it exists."""
        return runs.create_run_leased(
            self._db, new, owner=owner, version_hash=version_hash, lease_seconds=lease_seconds
        )

    def get_run(self, run_id: str) -> RunRecord | None:
        """The run ``run_id``, or None."""
        return runs.get_run(self._db, run_id)

    def list_runs(
        self,
        *,
        workflow: str | None = None,
        status: str | None = None,
        namespace: str | None = None,
        attributes: Mapping[str, Any] | None = None,
        limit: int = 100,
    ) -> list[RunRecord]:
        """Runs matching all given filters (attributes by containment), newest first."""
        return runs.list_runs(
            self._db,
            workflow=workflow,
            status=status,
            namespace=namespace,
            attributes=attributes,
            limit=limit,
        )

    def claim_runs(
        self,
        *,
        owner: str,
        current_versions: Mapping[str, str],
        known_versions: Collection[str],
        limit: int,
        lease_seconds: float,
    ) -> list[tuple[RunRecord, Lease]]:
        """Lease due runs this worker can execute (FOR UPDATE SKIP LOCKED)."""
        return runs.claim_runs(
            self._db,
            owner=owner,
            current_versions=current_versions,
            known_versions=known_versions,
            limit=limit,
            lease_seconds=lease_seconds,
        )

    def renew_lease(self, lease: Lease, lease_seconds: float) -> Lease:
        """Extend a lease (DB clock); `LeaseLostError` when the token is stale."""
        return runs.renew_lease(self._db, lease, lease_seconds)

    def load_events(self, run_id: str, *, after_seq: int = 0) -> list[Event]:
        """The run's journal after ``after_seq``, in order."""
        return events.load_events(self._db, run_id, after_seq=after_seq)

    def load_history(self, run_id: str) -> tuple[Snapshot | None, list[Recorded]]:
        """`load_snapshot` and the rows after it (as replay reads them), one round trip."""
        return events.load_history(self._db, run_id)

    def load_snapshot(self, run_id: str) -> Snapshot | None:
        """The run's latest snapshot, or None."""
        return snapshots.load(self._db, run_id)

    @contextmanager
    def step(self, lease: Lease) -> Iterator[PostgresStep]:
        """A fenced step: commits on success, writes nothing on error (see `PostgresStep`)."""
        with ExitStack() as stack:
            step = PostgresStep(self._db, lease, stack)
            yield step
            step.commit()

    def suspend(self, lease: Lease, *, wake_at: datetime | None, waiting_on: str) -> None:
        """Fenced: suspend until ``wake_at`` or the awaited signal/task/child/cancel."""
        runs.suspend(self._db, lease, wake_at=wake_at, waiting_on=waiting_on)

    def finish(
        self,
        lease: Lease,
        *,
        status: str,
        result: str | None = None,
        error: str | None = None,
        events: Sequence[NewEvent] = (),
    ) -> None:
        """Fenced: append ``events``, move to a terminal status, release the lease, wake
        a waiting parent; one statement when at most one event comes along."""
        runs.finish(self._db, lease, status=status, result=result, error=error, events=events)

    def release(self, lease: Lease) -> None:
        """Fenced: give the run back unchanged; another worker may claim it at once."""
        runs.release(self._db, lease)

    # --- from the outside ---------------------------------------------------------------
    def send_signal(
        self, run_id: str, name: str, payload: str, *, delivery_id: str | None = None
    ) -> bool:
        """Buffer a signal and wake the run if it waits for it (see `Store.send_signal`)."""
        return signals.send_signal(self._db, run_id, name, payload, delivery_id=delivery_id)

    def request_cancel(self, run_id: str) -> bool:
        """Flag cancellation and wake the run; False if terminal, `StoreError` if unknown."""
        return runs.request_cancel(self._db, run_id)

    # --- queued activity tasks ----------------------------------------------------------
    def claim_tasks(
        self, *, owner: str, queues: Collection[str], limit: int, lease_seconds: float
    ) -> list[Task]:
        """Requeue expired task leases, then lease available tasks of ``queues``."""
        return tasks.claim_tasks(
            self._db, owner=owner, queues=queues, limit=limit, lease_seconds=lease_seconds
        )

    def heartbeat_task(self, task: Task, lease_seconds: float) -> None:
        """Extend a task lease; `LeaseLostError` when it was requeued or re-leased."""
        tasks.heartbeat(self._db, task, lease_seconds)

    def complete_task(
        self,
        task: Task,
        *,
        result: str | None,
        error: str | None,
        retry_after: float | None = None,
    ) -> None:
        """Record a task outcome fenced on its lease; wake the run or requeue a retry."""
        tasks.complete(self._db, task, result=result, error=error, retry_after=retry_after)

    def get_task(self, run_id: str, seq: int) -> Task | None:
        """The task scheduled at ``seq`` of ``run_id``, or None."""
        return tasks.get_task(self._db, run_id, seq)

    # --- wake-ups -----------------------------------------------------------------------
    def wait_for_work(self, timeout: float) -> None:
        """Block until a notification (or an announced timer) says work may be due.

        Issues no query while waiting: it sleeps on a dedicated LISTEN connection.
        """
        self._listener.wait(timeout)

    def wait_for_claimable(self, timeout: float) -> frozenset[str] | None:
        """`wait_for_work` for a worker's claim loop: runs' ``finished`` notifications
        do not wake it. A notification that arrived since this thread's previous wait
        returns at once, so a worker may wait right after a claim without missing one.

        Returns what the notifications since the previous wait may have made due,
        ``"runs"`` and/or ``"tasks"``, or None after a timeout (poll everything).
        """
        return self._listener.wait(timeout, claimable_only=True)

    @contextmanager
    def watch_run(self, run_id: str) -> Iterator[RunWatch]:
        """Listen for ``run_id`` finishing while the block runs (see `Store.watch_run`)."""
        flag = self._listener.watch(run_id)
        try:
            yield _FlagWatch(flag)
        finally:
            self._listener.unwatch(run_id, flag)

    def wake_waiters(self) -> None:
        """End every current `wait_for_work` / `wait_for_claimable` at once."""
        self._listener.interrupt()

    def close(self) -> None:
        """Close the pool and the LISTEN connection."""
        self._listener.close()
        self._db.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
