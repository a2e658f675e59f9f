"""The `Store` protocol: everything the engine, worker and client need from storage.

The engine never knows which store it talks to. Postgres (`store/postgres/`) is the
real one; `continuum.testing.memory_store.InMemoryStore` passes the same contract
tests for users' fast unit tests.

Fencing: a worker that claims a run gets a `Lease` (owner, token). Every write made
on behalf of a run goes through a `Step` opened with that lease; the step checks,
under the run's row lock, that the run still carries that token and owner, and
raises `LeaseLostError` (writing nothing) when it does not. A step is one
transaction: its events, mailbox consumption, task and state changes commit together.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from .operations import OperationsStore

#: Run statuses. Terminal ones never change again.
PENDING = "pending"  # created, never executed
RUNNING = "running"  # leased by a worker (or its worker died and the lease will expire)
SUSPENDED = "suspended"  # waiting (timer, signal, task, retry backoff) until next_wakeup_at
COMPLETED = "completed"
FAILED = "failed"
CANCELLED = "cancelled"
DRIFTED = "drifted"  # replay drift: stopped, nothing guessed
CONTINUED = "continued"  # completed by continue_as_new; result names the successor
TERMINAL = frozenset({COMPLETED, FAILED, CANCELLED, DRIFTED, CONTINUED})


# --- what a suspended run waits on ----------------------------------------------------
# `RunRecord.waiting_on` is "<kind>:<key>" for the waits something else ends (a signal,
# a queued task, a child run) and a bare word for the rest ("timer", "retry"). Stores
# wake a run by comparing it, so Python builds and reads it only here (two Postgres
# statements, in postgres/runs.py and postgres/tasks.py, build the same text in SQL).


def waiting_on_signal(name: str) -> str:
    """``waiting_on`` of a run blocked in ``await_signal(name)``."""
    return f"signal:{name}"


def waiting_on_task(task_id: int) -> str:
    """``waiting_on`` of a run waiting for queued task ``task_id``."""
    return f"task:{task_id}"


def waiting_on_child(run_id: str) -> str:
    """``waiting_on`` of a parent blocked in ``await_child`` on child ``run_id``."""
    return f"child:{run_id}"


def waiting_on_parts(waiting_on: str) -> tuple[str, str]:
    """``(kind, key)`` of a ``waiting_on`` value; the key is "" for a bare word.

    >>> waiting_on_parts(waiting_on_task(7)), waiting_on_parts("timer")
    (('task', '7'), ('timer', ''))
    """
    kind, _, key = waiting_on.partition(":")
    return kind, key


def successor_of(result: str | None) -> str | None:
    """The successor a ``continued`` run's result names (``{"continued_as": id}``), or None.

    `Store.finish` reads it to hand the old run's mailbox and cancel request on; the
    client reads it to follow a chain. A malformed result gives None, never an error.
    """
    try:
        data = json.loads(result or "{}")
    except ValueError:
        return None
    successor = data.get("continued_as") if isinstance(data, dict) else None
    return successor if isinstance(successor, str) and successor else None


@dataclass(frozen=True, slots=True)
class NewRun:
    """What `Store.create_run` needs."""

    #: Run id; the client's ``id=`` (idempotent start) or a fresh uuid.
    run_id: str
    #: Logical workflow name ``"pkg.mod:Class"``.
    workflow: str
    #: JSON text of the input (already encoded by the codec).
    input: str
    #: Version hash to pin to; None = pinned by the first worker that claims it.
    version_hash: str | None = None
    namespace: str = "default"
    attributes: Mapping[str, Any] = field(default_factory=dict)
    parent_id: str | None = None
    #: Shared by a continue-as-new chain; None = the run's own id.
    correlation_id: str | None = None
    #: When the run may first execute (schedules); None = now.
    start_at: datetime | None = None
    #: continue_as_new: the predecessor whose unfinished children this run adopts
    #: (their ``parent_id`` becomes this run's id, in the same transaction).
    adopt_children_of: str | None = None


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A run as stored."""

    run_id: str
    workflow: str
    version_hash: str | None
    status: str
    input: str
    result: str | None  # JSON text
    error: str | None  # JSON text: {"type":..., "message":...}
    namespace: str
    attributes: Mapping[str, Any]
    parent_id: str | None
    correlation_id: str | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    next_wakeup_at: datetime | None
    waiting_on: str | None  # e.g. "signal:fraud_review", "timer", "task:7", "retry"
    cancel_requested: bool
    #: When this finished run may be pruned (set as it finishes); None = keep.
    retention_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Lease:
    """Proof that a worker owns a run right now."""

    run_id: str
    owner: str
    token: int
    expires_at: datetime
    #: The run had never executed when this lease was taken (it was pending, or created
    #: leased by `Store.create_run_leased`), so its journal was empty. A hint a store
    #: may give: the engine then skips reading the history. False is always safe.
    fresh: bool = False


@dataclass(frozen=True, slots=True)
class Event:
    """One journal entry. ``seq`` starts at 1 and has no gaps."""

    run_id: str
    seq: int
    kind: str  # "activity_completed", "signal_received", "timer_started", ...
    command: tuple[Any, ...] | None  # CommandId as a plain tuple; None for run-level events
    payload: str  # JSON text (codec)
    created_at: datetime | None = None


class Recorded(NamedTuple):
    """A journal row as replay reads it (`Store.load_history`): no run id, no timestamp.

    Cheaper to build than an `Event` for every row of a long journal; it has the same
    ``seq``, ``kind``, ``command`` and ``payload`` fields.
    """

    seq: int
    kind: str
    command: tuple[Any, ...] | None
    payload: str


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append; the store checks that ``seq`` is the run's last seq + 1."""

    seq: int
    kind: str
    command: tuple[Any, ...] | None
    payload: str


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A run's journal prefix packed into one row (see `continuum.runtime.snapshot`)."""

    run_id: str
    #: The last journal seq the snapshot covers.
    through_seq: int
    #: Version of the packed format (`continuum.runtime.snapshot.FORMAT_VERSION`).
    format_version: int
    #: The packed prefix (JSON text).
    data: str


@dataclass(frozen=True, slots=True)
class Signal:
    """A buffered signal in a run's mailbox."""

    signal_id: int
    run_id: str
    name: str
    payload: str  # JSON text
    delivery_id: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Task:
    """An activity routed to a queue (``queue=``), executed by any worker serving it."""

    task_id: int
    run_id: str
    seq: int  # journal position of the activity command that scheduled it
    queue: str
    activity: str  # "pkg.mod:function"
    args: str  # JSON text: {"args": [...], "kwargs": {...}}
    attempt: int
    max_attempts: int
    status: str  # "available", "leased", "completed", "failed"
    result: str | None
    error: str | None
    idempotency_key: str
    timeout_seconds: float | None
    heartbeat_seconds: float | None
    available_at: datetime
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None


class Step(Protocol):
    """One fenced transaction on behalf of a leased run (see module docstring)."""

    def append(self, event: NewEvent) -> None:
        """Append an event at ``event.seq``, which must be the run's last seq + 1.

        A duplicate or a gap raises `LeaseLostError` (reason ``"seq_conflict"``) and the
        step writes nothing.
        """

    def take_signal(self, name: str) -> Signal | None:
        """Remove and return the oldest buffered signal called ``name`` (FIFO), if any."""

    def enqueue_task(self, task: Mapping[str, Any]) -> int:
        """Insert a queued activity task for this run; return its id.

        Keys: ``seq``, ``queue``, ``activity``, ``args`` (required); ``max_attempts``
        (default 1), ``attempt`` (default 1), ``idempotency_key`` (default
        ``"<run_id>:<seq>"``), ``timeout_seconds``, ``heartbeat_seconds``, ``available_at``
        (default now). An unknown key raises `StoreError`. One task per (run, seq).
        """

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        """Merge searchable attributes into the run."""

    def save_snapshot(self, snapshot: Snapshot) -> None:
        """Store ``snapshot`` as this run's snapshot, replacing an older one.

        A snapshot whose ``through_seq`` is not past the stored one's is ignored.
        """


class RunWatch(Protocol):
    """What `Store.watch_run` hands out."""

    def wait(self, timeout: float) -> None:
        """Block until the watched run may have finished, or ``timeout`` seconds pass.

        May return early for other reasons (a reconnect, a shutdown): read the run again.
        """


class Store(OperationsStore, Protocol):
    """Storage operations. Every method is one transaction unless it says otherwise."""

    # --- runs ---------------------------------------------------------------------
    def create_run(self, new: NewRun) -> tuple[RunRecord, bool]:
        """Insert a run; if ``run_id`` exists return (existing, False) — idempotent start."""

    def create_run_leased(
        self, new: NewRun, *, owner: str, version_hash: str, lease_seconds: float
    ) -> tuple[RunRecord, Lease | None]:
        """Insert a run already running, pinned to ``version_hash`` and leased to ``owner``.

        One transaction; nothing is announced, since the caller executes the run itself
        (a co-located worker, `Worker.client`). Idempotent like `create_run`: an existing
        ``run_id`` returns (existing, None) and leases nothing. The lease is ``fresh``.
        ``new.start_at`` and ``new.adopt_children_of`` must be None.
        """

    def get_run(self, run_id: str) -> RunRecord | None: ...

    def list_runs(
        self,
        *,
        workflow: str | None = None,
        status: str | None = None,
        namespace: str | None = None,
        attributes: Mapping[str, Any] | None = None,
        limit: int = 100,
    ) -> list[RunRecord]: ...

    def claim_runs(
        self,
        *,
        owner: str,
        current_versions: Mapping[str, str],
        known_versions: Collection[str],
        limit: int,
        lease_seconds: float,
    ) -> list[tuple[RunRecord, Lease]]:
        """Lease due runs (FOR UPDATE SKIP LOCKED) this worker can execute.

        Due: pending, or suspended with next_wakeup_at <= now, or running with an
        expired lease (its worker died) or a released one. Executable: version_hash is
        None and the workflow is in ``current_versions`` (the run is pinned here to that
        hash, recorded as a workflow version), or version_hash is in ``known_versions``
        or among ``current_versions.values()``. Each claim takes a larger fencing token;
        claiming clears ``waiting_on`` and ``next_wakeup_at``.
        """

    def renew_lease(self, lease: Lease, lease_seconds: float) -> Lease:
        """Extend a lease; raises `LeaseLostError` when the token is stale."""

    def load_events(self, run_id: str, *, after_seq: int = 0) -> list[Event]: ...

    def load_snapshot(self, run_id: str) -> Snapshot | None:
        """The run's latest snapshot (saved by `Step.save_snapshot`), or None."""

    def load_history(self, run_id: str) -> tuple[Snapshot | None, Sequence[Event | Recorded]]:
        """What a resume reads: the run's snapshot and the journal rows after it.

        Without a snapshot, the whole journal. One round trip where the store can; the
        rows may be `Recorded` tuples instead of full `Event`s.
        """

    def step(self, lease: Lease) -> AbstractContextManager[Step]:
        """Open a fenced transaction; raises `LeaseLostError` on a stale lease."""

    def suspend(self, lease: Lease, *, wake_at: datetime | None, waiting_on: str) -> None:
        """Fenced: mark suspended until ``wake_at`` (None = only a signal/task wakes it), release the lease.

        If a wake-up arrived meanwhile, wake_at is set to now so the run is claimed again
        at once: ``waiting_on="signal:<name>"`` and a ``name`` signal is buffered;
        ``"task:<task_id>"`` and that task is completed or failed; ``"child:<run_id>"``
        and that run is terminal; or a cancel was requested.
        """

    def finish(
        self,
        lease: Lease,
        *,
        status: str,
        result: str | None = None,
        error: str | None = None,
        events: Sequence[NewEvent] = (),
    ) -> None:
        """Fenced: move to a terminal status, release the lease, wake a waiting parent.

        A non-terminal ``status`` raises `StoreError` (reason ``"not_terminal"``).

        ``events`` are appended first, in the same transaction, with the checks of
        `Step.append` (a gap or a taken position raises `LeaseLostError`, reason
        ``"seq_conflict"``, and nothing is written): the engine sends the run's last
        journal write with its finish.

        The parent is woken (next_wakeup_at = now) when it is suspended with
        ``waiting_on="child:<this run_id>"``.

        Finishing ``continued`` (the result names the successor, see `successor_of`)
        hands on, in the same transaction: the unconsumed signals move to the
        successor in their order, keeping their delivery ids (the successor also
        remembers every delivery id this run accepted, so a retried delivery is
        refused there), and a cancel request flags the successor and its descendants.
        """

    def release(self, lease: Lease) -> None:
        """Give the run back without changing its state (graceful shutdown)."""

    # --- from the outside -----------------------------------------------------------
    def send_signal(
        self, run_id: str, name: str, payload: str, *, delivery_id: str | None = None
    ) -> bool:
        """Buffer a signal; True when it was buffered now.

        Wakes the run (next_wakeup_at = now) when it waits for ``name``. Returns False,
        storing nothing, when ``delivery_id`` was already delivered to this run or the
        run is terminal. Raises `StoreError` (reason ``"not_found"``) for an unknown run.
        """

    def request_cancel(self, run_id: str) -> bool:
        """Mark cancellation requested and wake the run; False if already terminal.

        Cascades in the same transaction: every non-terminal descendant (by
        ``parent_id``) is flagged and woken too, and queued tasks of the flagged runs
        that no worker holds yet are discarded (failed with a ``Cancelled`` error).

        Raises `StoreError` (reason ``"not_found"``) for an unknown run.
        """

    # --- queued activity tasks -------------------------------------------------------------
    def claim_tasks(
        self, *, owner: str, queues: Collection[str], limit: int, lease_seconds: float
    ) -> list[Task]:
        """Lease due tasks of ``queues`` (FOR UPDATE SKIP LOCKED), oldest first.

        A task whose lease expired (its worker died) is taken over with attempt + 1;
        one that expired on its last attempt is failed with a ``TaskLeaseExpired``
        error and its run woken. Tasks of terminal runs are never returned.
        """

    def heartbeat_task(self, task: Task, lease_seconds: float) -> None:
        """Extend a task lease; raises `LeaseLostError` when the task was requeued/re-leased."""

    def complete_task(
        self,
        task: Task,
        *,
        result: str | None,
        error: str | None,
        retry_after: float | None = None,
    ) -> None:
        """Record the outcome (fenced on the task lease) and wake the run.

        With ``error`` and ``retry_after`` (seconds), the task goes back to the queue
        instead: attempt + 1, available after the delay, the run not woken. A stale
        task lease raises `LeaseLostError` and writes nothing.
        """

    def get_task(self, run_id: str, seq: int) -> Task | None: ...

    # --- wake-ups ---------------------------------------------------------------------------
    def wait_for_work(self, timeout: float) -> None:
        """Block until a notification says work may be due, or ``timeout`` seconds pass.

        Issues no query while it waits. Postgres also returns when a timer announced by
        a `suspend` comes due.
        """

    def watch_run(self, run_id: str) -> AbstractContextManager[RunWatch]:
        """Listen for ``run_id`` finishing, from now until the block ends.

        Enter it before reading the run: a finish committed after that wakes
        `RunWatch.wait` even if it lands between the read and the wait. Issues no query.
        """

    def close(self) -> None: ...
