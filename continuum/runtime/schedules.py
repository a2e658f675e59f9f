"""Schedules: one-shot (`Client.schedule_at`) and cron (`Client.schedule_cron`).

A schedule is a row with a ``next_fire_at``. Any worker calls `fire_due` now and then;
the store claims due rows with ``FOR UPDATE SKIP LOCKED`` and, in the same transaction,
creates the run with id ``schedule:<name>:<fire time>`` and moves ``next_fire_at`` on.
Each fire time therefore starts exactly one run however many workers race, and a
worker that dies mid-way leaves nothing half done (the transaction rolls back).

Missed fire times: a cron schedule whose workers were all down for a while fires
**once** for the earliest missed time when a worker comes back, then continues from
the next fire time after *now* — it does not replay every missed occurrence.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .cron import CronError, CronExpression
from .errors import ContinuumError
from .store.base import Store
from .store.operations import Fired, ScheduleRecord

logger = logging.getLogger(__name__)

#: Due schedules handled per store call.
FIRE_BATCH = 25


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; `ContinuumError` for an unknown one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ContinuumError(f"unknown time zone {name!r} (use an IANA name)") from err


def first_fire(cron: str, tz: str, now: datetime) -> datetime:
    """The first fire time of a cron schedule created at ``now``; errors if it never fires."""
    expression = CronExpression.parse(cron)
    first = expression.next_after(now, zone(tz))
    if first is None:
        raise CronError(f"cron expression {cron!r} never fires")
    return first


def next_fire(schedule: ScheduleRecord, fired_at: datetime, now: datetime) -> datetime | None:
    """The fire time after ``fired_at``: None for a one-shot, else the next cron time.

    Counted from the later of ``fired_at`` and ``now`` so that a backlog of missed
    times collapses into the one run just started (module docstring).
    """
    if schedule.cron is None:
        return None
    try:
        expression = CronExpression.parse(schedule.cron)
        return expression.next_after(max(fired_at, now), zone(schedule.timezone))
    except ContinuumError as err:
        # Validated at creation; a zone removed from tzdata since must not wedge workers.
        logger.error("schedule %s stops: %s", schedule.name, err)
        return None


@dataclass(slots=True)
class ScheduleRunner:
    """Fires due schedules for a worker without adding to an idle worker's query load.

    It remembers the earliest fire time and calls the store only when that time has
    come, or every ``refresh`` seconds to learn about schedules created since (so a new
    schedule due sooner than that fires up to ``refresh`` seconds late).
    """

    store: Store
    refresh: float = 10.0
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    _refresh_at: float = 0.0
    _due_at: datetime | None = None

    def tick(self) -> list[Fired]:
        """Fire what is due (all of it, in batches) when it may be; returns what fired."""
        now = time.monotonic()
        due = self._due_at is not None and self.clock() >= self._due_at
        if not due and now < self._refresh_at:
            return []
        fired = fire_due(self.store)
        self._due_at = self.store.next_schedule_due()
        self._refresh_at = now + self.refresh
        return fired


def fire_due(store: Store, *, batch: int = FIRE_BATCH) -> list[Fired]:
    """Start the runs of every due schedule; returns what fired."""
    fired: list[Fired] = []
    while True:
        done = store.fire_schedules(limit=batch, next_fire=next_fire)
        fired.extend(done)
        for item in done:
            logger.info("schedule %s fired: run %s", item.schedule, item.run_id)
        if len(done) < batch:
            return fired
