"""The ``schedules`` table: create, list, cancel, and fire due schedules exactly once."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
from psycopg import sql
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from ...errors import StoreError
from ..operations import (
    SCHEDULE_ACTIVE,
    SCHEDULE_DONE,
    Fired,
    NewSchedule,
    NextFire,
    ScheduleRecord,
    schedule_run_id,
)
from .notify import notify
from .pool import Database

_FIELDS = tuple(ScheduleRecord.__dataclass_fields__)


def _q(db: Database, text: str) -> sql.Composed:
    return sql.SQL(text).format(  # type: ignore[arg-type]
        schedules=db.table("schedules"),
        runs=db.table("runs"),
        cols=sql.SQL(", ").join(sql.Identifier(name) for name in _FIELDS),
    )


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def create_schedule(db: Database, new: NewSchedule) -> tuple[ScheduleRecord, bool]:
    """Insert ``new`` unless its name exists; a worker is told when it comes due."""
    insert = _q(
        db,
        """INSERT INTO {schedules} (name, workflow, input, namespace, attributes, cron,
                                   timezone, next_fire_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (name) DO NOTHING RETURNING {cols}""",
    )
    select = _q(db, "SELECT {cols} FROM {schedules} WHERE name = %s")
    params = (
        new.name,
        new.workflow,
        new.input,
        new.namespace,
        Jsonb(dict(new.attributes)),
        new.cron,
        new.timezone,
        _utc(new.next_fire_at),
    )

    def body(conn: psycopg.Connection) -> tuple[ScheduleRecord, bool]:
        cur = conn.cursor(row_factory=class_row(ScheduleRecord))
        row = cur.execute(insert, params).fetchone()
        if row is None:
            existing = cur.execute(select, (new.name,)).fetchone()
            if existing is None:
                raise StoreError("create_schedule", "conflict", f"schedule {new.name} vanished")
            return existing, False
        # Announced like a timer: a sleeping worker wakes when it comes due.
        notify(conn, db.schema, "schedule", new.name, row.next_fire_at)
        return row, True

    return db.run("create_schedule", body)


def get_schedule(db: Database, name: str) -> ScheduleRecord | None:
    """The schedule called ``name``, or None."""
    query = _q(db, "SELECT {cols} FROM {schedules} WHERE name = %s")

    def body(conn: psycopg.Connection) -> ScheduleRecord | None:
        return conn.cursor(row_factory=class_row(ScheduleRecord)).execute(query, (name,)).fetchone()

    return db.run("get_schedule", body, read_only=True, single=True)


def list_schedules(db: Database, *, include_finished: bool) -> list[ScheduleRecord]:
    """Schedules ordered by name; only active ones unless ``include_finished``."""
    query = _q(db, "SELECT {cols} FROM {schedules} WHERE %s OR status = 'active' ORDER BY name")

    def body(conn: psycopg.Connection) -> list[ScheduleRecord]:
        cur = conn.cursor(row_factory=class_row(ScheduleRecord))
        return cur.execute(query, (include_finished,)).fetchall()

    return db.run("list_schedules", body, read_only=True, single=True)


def cancel_schedule(db: Database, name: str) -> bool:
    """Mark an active schedule cancelled; False if unknown or not active."""
    query = _q(
        db,
        """UPDATE {schedules} SET status = 'cancelled', next_fire_at = NULL, updated_at = now()
           WHERE name = %s AND status = 'active' RETURNING name""",
    )
    return db.run(
        "cancel_schedule",
        lambda conn: conn.execute(query, (name,)).fetchone() is not None,
        single=True,
    )


def next_schedule_due(db: Database) -> datetime | None:
    """min(next_fire_at) of the active schedules (served by ``schedules_due_idx``)."""
    query = _q(db, "SELECT min(next_fire_at) FROM {schedules} WHERE status = 'active'")

    def body(conn: psycopg.Connection) -> datetime | None:
        row = conn.execute(query).fetchone()
        return None if row is None else row[0]

    return db.run("next_schedule_due", body, read_only=True, single=True)


def fire_schedules(db: Database, *, limit: int, next_fire: NextFire) -> list[Fired]:
    """Create the runs of due schedules and advance them, in one transaction.

    Rows are claimed with SKIP LOCKED, so racing workers split the due schedules
    between them; the run id is derived from the schedule and its fire time, so even a
    replayed fire (it cannot happen while next_fire_at moves in the same commit) would
    find the run already there.
    """
    if limit <= 0:
        return []
    due = _q(
        db,
        """SELECT {cols}, now() AS db_now FROM {schedules}
           WHERE status = 'active' AND next_fire_at <= now()
           ORDER BY next_fire_at LIMIT %s FOR UPDATE SKIP LOCKED""",
    )
    insert_run = _q(
        db,
        """INSERT INTO {runs} (run_id, workflow, input, namespace, attributes, correlation_id,
                              next_wakeup_at)
           VALUES (%s, %s, %s, %s, %s, %s, now())
           ON CONFLICT (run_id) DO NOTHING RETURNING run_id""",
    )
    advance = _q(
        db,
        """UPDATE {schedules}
           SET next_fire_at = %s, status = %s, last_fire_at = %s, last_run_id = %s,
               fire_count = fire_count + 1, updated_at = now()
           WHERE name = %s""",
    )

    def body(conn: psycopg.Connection) -> list[Fired]:
        rows = conn.execute(due, (limit,)).fetchall()
        fired: list[Fired] = []
        for row in rows:
            record = ScheduleRecord(*row[: len(_FIELDS)])
            db_now: datetime = row[len(_FIELDS)]
            fire_at = record.next_fire_at
            assert fire_at is not None  # active rows always have one (table CHECK)
            run_id = schedule_run_id(record.name, fire_at)
            params = (
                run_id,
                record.workflow,
                record.input,
                record.namespace,
                Jsonb(dict(record.attributes)),
                run_id,
            )
            created = conn.execute(insert_run, params).fetchone() is not None
            following = next_fire(record, fire_at, db_now)
            status = SCHEDULE_ACTIVE if following is not None else SCHEDULE_DONE
            conn.execute(advance, (following, status, fire_at, run_id, record.name))
            if created:
                notify(conn, db.schema, "start", run_id)
            if following is not None:
                notify(conn, db.schema, "schedule", record.name, following)
            fired.append(Fired(record.name, fire_at, run_id, created))
        return fired

    return db.run("fire_schedules", body)
