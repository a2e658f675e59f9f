"""`PostgresOperations`: the `OperationsStore` methods of `PostgresStore` (a mixin)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from ..base import RunRecord
from ..operations import (
    Fired,
    NewSchedule,
    NextFire,
    ScheduleRecord,
    VersionRetention,
    VersionUsage,
)
from . import retention, schedules, versions
from .pool import Database


class PostgresOperations:
    """Schedules, retention and versions on Postgres; needs the store's ``_db``."""

    _db: Database

    # --- schedules ----------------------------------------------------------------------
    def create_schedule(self, new: NewSchedule) -> tuple[ScheduleRecord, bool]:
        """Insert a schedule; an existing name returns (existing, False)."""
        return schedules.create_schedule(self._db, new)

    def get_schedule(self, name: str) -> ScheduleRecord | None:
        """The schedule called ``name``, or None."""
        return schedules.get_schedule(self._db, name)

    def list_schedules(self, *, include_finished: bool = False) -> list[ScheduleRecord]:
        """Schedules by name; active ones only unless ``include_finished``."""
        return schedules.list_schedules(self._db, include_finished=include_finished)

    def cancel_schedule(self, name: str) -> bool:
        """Stop an active schedule; False when unknown or no longer active."""
        return schedules.cancel_schedule(self._db, name)

    def fire_schedules(self, *, limit: int, next_fire: NextFire) -> list[Fired]:
        """Start the runs of due schedules, each fire time exactly once."""
        return schedules.fire_schedules(self._db, limit=limit, next_fire=next_fire)

    def next_schedule_due(self) -> datetime | None:
        """The earliest fire time among active schedules."""
        return schedules.next_schedule_due(self._db)

    # --- retention ----------------------------------------------------------------------
    def register_versions(self, versions: Collection[VersionRetention]) -> None:
        """Record each version's retention."""
        retention.register_versions(self._db, versions)

    def prune_expired(self, *, limit: int, execute: bool) -> list[RunRecord]:
        """Expired correlation groups; deleted when ``execute``."""
        return retention.prune_expired(self._db, limit=limit, execute=execute)

    # --- versions -----------------------------------------------------------------------
    def version_usage(self) -> list[VersionUsage]:
        """Counts of non-terminal runs per (workflow, version_hash, status)."""
        return versions.version_usage(self._db)

    def repin_run(
        self,
        run_id: str,
        *,
        from_hash: str,
        to_hash: str,
        last_seq: int,
        restamp: Mapping[tuple[Any, ...], tuple[Any, ...]] | None = None,
    ) -> str:
        """Move a live, idle, unchanged run to ``to_hash`` (re-stamping moved call sites)."""
        return versions.repin_run(
            self._db,
            run_id,
            from_hash=from_hash,
            to_hash=to_hash,
            last_seq=last_seq,
            restamp=restamp,
        )
