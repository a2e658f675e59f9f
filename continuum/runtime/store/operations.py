"""The operations part of the `Store` protocol: schedules, retention, versions.

`continuum.runtime.store.base.Store` inherits `OperationsStore`, so both stores
(Postgres and `continuum.testing.memory_store.InMemoryStore`) implement it and pass
``tests/runtime/store/test_operations_contract.py``. These methods serve operators and
the worker's housekeeping, not the per-step hot path.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .base import RunRecord

#: Schedule statuses.
SCHEDULE_ACTIVE = "active"  # will fire at next_fire_at
SCHEDULE_DONE = "done"  # a one-shot that fired (or a cron with no future fire time)
SCHEDULE_CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class VersionRetention:
    """How long finished runs of one version are kept (registered by workers)."""

    version_hash: str
    workflow: str
    #: Seconds after a run finishes; None = keep forever.
    retention_seconds: float | None


@dataclass(frozen=True, slots=True)
class VersionUsage:
    """How many non-terminal runs are pinned to one (workflow, version)."""

    workflow: str
    #: None for pending runs no worker has pinned yet.
    version_hash: str | None
    status: str
    count: int


@dataclass(frozen=True, slots=True)
class NewSchedule:
    """What `OperationsStore.create_schedule` needs."""

    name: str
    workflow: str
    #: JSON text of the input (already encoded by the codec).
    input: str
    #: The first fire time (timezone-aware).
    next_fire_at: datetime
    #: Cron expression; None for a one-shot schedule.
    cron: str | None = None
    #: IANA zone the cron expression is read in.
    timezone: str = "UTC"
    namespace: str = "default"
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ScheduleRecord:
    """A schedule as stored."""

    name: str
    workflow: str
    input: str
    namespace: str
    attributes: Mapping[str, Any]
    cron: str | None
    timezone: str
    status: str
    next_fire_at: datetime | None
    last_fire_at: datetime | None
    last_run_id: str | None
    fire_count: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Fired:
    """One fire time turned into a run by `OperationsStore.fire_schedules`."""

    schedule: str
    fire_at: datetime
    run_id: str
    #: False when a run with that id already existed (it is never started twice).
    created: bool


#: Computes a schedule's next fire time after it fired at ``fired_at`` (second
#: argument: the database's now); None = no further fire time (the schedule is done).
NextFire = Callable[["ScheduleRecord", datetime, datetime], "datetime | None"]


def schedule_run_id(name: str, fire_at: datetime) -> str:
    """The deterministic id of the run a schedule starts at ``fire_at``."""
    return f"schedule:{name}:{fire_at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}"


class OperationsStore(Protocol):
    """Schedules, retention and version bookkeeping (see the module docstring)."""

    # --- schedules ----------------------------------------------------------------------
    def create_schedule(self, new: NewSchedule) -> tuple[ScheduleRecord, bool]:
        """Insert a schedule; if ``name`` exists return (existing, False) — idempotent."""

    def get_schedule(self, name: str) -> ScheduleRecord | None: ...

    def list_schedules(self, *, include_finished: bool = False) -> list[ScheduleRecord]:
        """Schedules by name; active ones only unless ``include_finished``."""

    def cancel_schedule(self, name: str) -> bool:
        """Stop an active schedule; False when it is unknown or no longer active."""

    def fire_schedules(self, *, limit: int, next_fire: NextFire) -> list[Fired]:
        """Start the runs of due schedules, each fire time exactly once.

        One transaction: lock up to ``limit`` active schedules with ``next_fire_at <=
        now`` (FOR UPDATE SKIP LOCKED), create each one's run with id
        `schedule_run_id` (ON CONFLICT DO NOTHING) and set ``next_fire_at`` from
        ``next_fire`` (None → status ``done``).
        """

    def next_schedule_due(self) -> datetime | None:
        """The earliest ``next_fire_at`` of the active schedules (None when there is none)."""

    # --- retention ----------------------------------------------------------------------
    def register_versions(self, versions: Collection[VersionRetention]) -> None:
        """Record each version's retention; later finishes get ``retention_until`` from it."""

    def prune_expired(self, *, limit: int, execute: bool) -> list[RunRecord]:
        """Runs whose whole ``correlation_id`` group is past ``retention_until``.

        Takes up to ``limit`` groups (a continue-as-new chain and a run's children share
        the correlation id, so they go together and a live parent never loses a child).
        With ``execute`` it deletes them with their journal, signals and tasks after
        re-checking under row locks; otherwise it only returns what would go.
        """

    # --- versions -----------------------------------------------------------------------
    def version_usage(self) -> list[VersionUsage]:
        """Counts of non-terminal runs per (workflow, version_hash, status)."""

    def repin_run(
        self,
        run_id: str,
        *,
        from_hash: str,
        to_hash: str,
        last_seq: int,
        restamp: Mapping[tuple[Any, ...], tuple[Any, ...]] | None = None,
    ) -> str:
        """Move a live run to ``to_hash`` if nothing changed since it was checked.

        In the same transaction, journal events recorded with a command identity that is
        a key of ``restamp`` get the mapped identity (the new code's, for call sites
        that only moved), and the run's snapshot is dropped. A moved run's lease is
        cleared and its fencing token replaced: a worker whose lease merely expired
        (slow, not dead) can no longer step, suspend or finish it.

        Returns ``"moved"``, or why not: ``"not_found"``, ``"terminal"``,
        ``"other_version"`` (not pinned to ``from_hash``), ``"leased"`` (a worker is
        executing it) or ``"progressed"`` (its journal no longer ends at ``last_seq``).
        """
