"""The `OperationsStore` methods of `InMemoryStore` (a mixin): schedules, retention, versions.

Same rules as Postgres: a schedule's fire time creates exactly one run (id
`schedule_run_id`), retention is stamped as a run finishes from the retention its
version registered, and pruning takes whole correlation groups.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from continuum.runtime.store.base import TERMINAL, NewRun, RunRecord
from continuum.runtime.store.operations import (
    SCHEDULE_ACTIVE,
    SCHEDULE_CANCELLED,
    SCHEDULE_DONE,
    Fired,
    NewSchedule,
    NextFire,
    ScheduleRecord,
    VersionRetention,
    VersionUsage,
    schedule_run_id,
)

if TYPE_CHECKING:
    from .memory_store import _Run

__all__ = ["MemoryOperations"]


@dataclass(slots=True)
class _OperationsState:
    schedules: dict[str, ScheduleRecord] = field(default_factory=dict)
    #: (version_hash, workflow) -> (retention seconds or None, registration order)
    retention: dict[tuple[str, str], tuple[float | None, int]] = field(default_factory=dict)


class MemoryOperations:
    """Needs the store's ``_lock``, ``_runs``, ``_tokens``, ``now()``, ``create_run``, ``_notify``."""

    _lock: threading.RLock
    _tokens: Iterator[int]
    _runs: dict[str, _Run]
    _tasks: dict[int, Any]
    now: Callable[[], datetime]
    create_run: Callable[[NewRun], tuple[RunRecord, bool]]
    _notify: Callable[[], None]

    @property
    def _ops(self) -> _OperationsState:
        state = self.__dict__.get("_operations_state")
        if state is None:
            state = self.__dict__.setdefault("_operations_state", _OperationsState())
        return state

    # --- schedules ----------------------------------------------------------------------
    def create_schedule(self, new: NewSchedule) -> tuple[ScheduleRecord, bool]:
        with self._lock:
            existing = self._ops.schedules.get(new.name)
            if existing is not None:
                return existing, False
            now = self.now()
            fire_at = new.next_fire_at
            record = ScheduleRecord(
                name=new.name,
                workflow=new.workflow,
                input=new.input,
                namespace=new.namespace,
                attributes=dict(new.attributes),
                cron=new.cron,
                timezone=new.timezone,
                status=SCHEDULE_ACTIVE,
                next_fire_at=fire_at if fire_at.tzinfo else fire_at.replace(tzinfo=UTC),
                last_fire_at=None,
                last_run_id=None,
                fire_count=0,
                created_at=now,
                updated_at=now,
            )
            self._ops.schedules[new.name] = record
            self._notify()
            return record, True

    def get_schedule(self, name: str) -> ScheduleRecord | None:
        with self._lock:
            return self._ops.schedules.get(name)

    def list_schedules(self, *, include_finished: bool = False) -> list[ScheduleRecord]:
        with self._lock:
            return [
                record
                for _, record in sorted(self._ops.schedules.items())
                if include_finished or record.status == SCHEDULE_ACTIVE
            ]

    def cancel_schedule(self, name: str) -> bool:
        with self._lock:
            record = self._ops.schedules.get(name)
            if record is None or record.status != SCHEDULE_ACTIVE:
                return False
            self._ops.schedules[name] = replace(
                record, status=SCHEDULE_CANCELLED, next_fire_at=None, updated_at=self.now()
            )
            return True

    def fire_schedules(self, *, limit: int, next_fire: NextFire) -> list[Fired]:
        with self._lock:
            now = self.now()
            due = sorted(
                (
                    s
                    for s in self._ops.schedules.values()
                    if s.status == SCHEDULE_ACTIVE
                    and s.next_fire_at is not None
                    and s.next_fire_at <= now
                ),
                key=lambda s: (s.next_fire_at, s.name),
            )[: max(0, limit)]
            fired = []
            for record in due:
                fire_at = record.next_fire_at
                assert fire_at is not None
                run_id = schedule_run_id(record.name, fire_at)
                _, created = self.create_run(
                    NewRun(
                        run_id=run_id,
                        workflow=record.workflow,
                        input=record.input,
                        namespace=record.namespace,
                        attributes=dict(record.attributes),
                    )
                )
                following = next_fire(record, fire_at, now)
                self._ops.schedules[record.name] = replace(
                    record,
                    status=SCHEDULE_ACTIVE if following is not None else SCHEDULE_DONE,
                    next_fire_at=following,
                    last_fire_at=fire_at,
                    last_run_id=run_id,
                    fire_count=record.fire_count + 1,
                    updated_at=now,
                )
                fired.append(Fired(record.name, fire_at, run_id, created))
            return fired

    def next_schedule_due(self) -> datetime | None:
        with self._lock:
            due = [
                s.next_fire_at
                for s in self._ops.schedules.values()
                if s.status == SCHEDULE_ACTIVE and s.next_fire_at is not None
            ]
            return min(due, default=None)

    # --- retention ----------------------------------------------------------------------
    def register_versions(self, versions: Collection[VersionRetention]) -> None:
        with self._lock:
            for version in versions:
                order = len(self._ops.retention) + 1
                key = (version.version_hash, version.workflow)
                self._ops.retention[key] = (version.retention_seconds, order)

    def _retention_until(self, record: RunRecord, finished_at: datetime) -> datetime | None:
        """What the Postgres trigger computes: the pinned version's retention, else the
        latest registered version of the workflow for an unpinned run, else keep."""
        known: list[tuple[int, float | None]] = [
            (order if record.version_hash is None else 0, seconds)
            for (version, workflow), (seconds, order) in self._ops.retention.items()
            if workflow == record.workflow
            and (record.version_hash is None or version == record.version_hash)
        ]
        if not known:
            return None
        _, seconds = max(known, key=lambda item: item[0])
        return None if seconds is None else finished_at + timedelta(seconds=seconds)

    def prune_expired(self, *, limit: int, execute: bool) -> list[RunRecord]:
        with self._lock:
            now = self.now()
            groups: dict[str | None, list[RunRecord]] = {}
            for run in self._runs.values():
                groups.setdefault(run.record.correlation_id, []).append(run.record)
            doomed: list[RunRecord] = []
            taken = 0
            for members in groups.values():
                if taken >= limit:
                    break
                if all(m.retention_until is not None and m.retention_until <= now for m in members):
                    members.sort(key=lambda m: (m.created_at, m.run_id))
                    doomed.extend(members)
                    taken += 1
            if execute:
                self._forget([m.run_id for m in doomed])
            return doomed

    def _forget(self, run_ids: list[str]) -> None:
        """Delete runs with their journal, mailbox and tasks (the Postgres cascade)."""
        gone = set(run_ids)
        for run_id in gone:
            self._runs.pop(run_id, None)
        for task_id in [t for t, task in self._tasks.items() if task.run_id in gone]:
            del self._tasks[task_id]

    # --- versions -----------------------------------------------------------------------
    def version_usage(self) -> list[VersionUsage]:
        with self._lock:
            counts: dict[tuple[str, str | None, str], int] = {}
            for run in self._runs.values():
                record = run.record
                if record.status in TERMINAL:
                    continue
                key = (record.workflow, record.version_hash, record.status)
                counts[key] = counts.get(key, 0) + 1
        return [
            VersionUsage(workflow, version, status, count)
            for (workflow, version, status), count in sorted(
                counts.items(), key=lambda item: (item[0][0], item[0][1] or "", item[0][2])
            )
        ]

    def repin_run(
        self,
        run_id: str,
        *,
        from_hash: str,
        to_hash: str,
        last_seq: int,
        restamp: Mapping[tuple[Any, ...], tuple[Any, ...]] | None = None,
    ) -> str:
        with self._lock:
            run = self._runs.get(run_id)
            if run is None:
                return "not_found"
            record = run.record
            if record.status in TERMINAL:
                return "terminal"
            if record.version_hash != from_hash:
                return "other_version"
            expires = run.lease_expires_at
            if run.lease_owner is not None and expires is not None and expires > self.now():
                return "leased"
            if (run.events[-1].seq if run.events else 0) != last_seq:
                return "progressed"
            run.record = replace(record, version_hash=to_hash, updated_at=self.now())
            # An expired lease's worker may still be alive: a fresh token fences it out.
            run.lease_owner = None
            run.lease_expires_at = None
            run.lease_token = next(self._tokens)
            stamps = {tuple(old): tuple(new) for old, new in (restamp or {}).items()}
            run.events = [
                replace(e, command=stamps.get(tuple(e.command), e.command))
                if e.command is not None
                else e
                for e in run.events
            ]
            if hasattr(run, "snapshot"):
                run.snapshot = None  # packed with the old identities
            return "moved"
