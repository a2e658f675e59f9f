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
from dataclasses import dataclass
from datetime import datetime
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
    """Fires due schedules for a worker, at most once per ``interval`` seconds."""

    store: Store
    interval: float = 1.0
    _next_check: float = 0.0

    def tick(self) -> list[Fired]:
        """Fire what is due (all of it, in batches) if the interval has passed."""
        now = time.monotonic()
        if now < self._next_check:
            return []
        self._next_check = now + self.interval
        return fire_due(self.store)


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
