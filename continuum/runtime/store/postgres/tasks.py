"""The ``tasks`` table: activities routed to a queue, leased by the workers serving it.

A task lease is fenced on (owner, attempt, status 'leased'): every requeue bumps the
attempt, so a worker whose lease expired and was requeued can no longer write.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import class_row

from ...errors import StoreError
from ..base import TERMINAL, Task, waiting_on_task
from .notify import notify
from .pool import Database, lease_lost
from .runs import WAKE_IF_WAITING

_FIELDS = tuple(Task.__dataclass_fields__)
_REQUIRED = frozenset({"seq", "queue", "activity", "args"})
_OPTIONAL = frozenset(
    {
        "max_attempts",
        "attempt",
        "idempotency_key",
        "timeout_seconds",
        "heartbeat_seconds",
        "available_at",
    }
)
#: Error recorded when a worker died holding the last attempt.
_EXPIRED_ERROR = json.dumps(
    {
        "type": "TaskLeaseExpired",
        "message": "the worker running the last attempt stopped heartbeating (lease expired)",
    }
)


@cache
def _queries(schema: str) -> dict[str, sql.Composed]:
    fmt = {
        "runs": sql.Identifier(schema, "runs"),
        "tasks": sql.Identifier(schema, "tasks"),
        "cols": sql.SQL(", ").join(sql.Identifier(f) for f in _FIELDS),
        "tcols": sql.SQL(", ").join(sql.Identifier("t", f) for f in _FIELDS),
    }
    text = {
        "insert": """
            INSERT INTO {tasks} (run_id, seq, queue, activity, args, attempt, max_attempts,
                                 idempotency_key, timeout_seconds, heartbeat_seconds,
                                 available_at)
            VALUES (%(run_id)s, %(seq)s, %(queue)s, %(activity)s, %(args)s, %(attempt)s,
                    %(max_attempts)s, %(idempotency_key)s, %(timeout_seconds)s,
                    %(heartbeat_seconds)s, COALESCE(%(available_at)s, now()))
            RETURNING task_id, available_at > now() AS later, available_at""",
        # One statement, so an idle worker's poll stays one query: fail expired last
        # attempts (waking their runs), then lease due tasks, taking over expired leases
        # with attempt + 1. The two sets are disjoint (attempt < / >= max_attempts), so no
        # row is updated twice.
        "claim": """
            WITH exhausted AS (
                UPDATE {tasks} AS t
                SET status = 'failed', error = %(expired_error)s, completed_at = now(),
                    lease_owner = NULL, lease_expires_at = NULL
                FROM (SELECT task_id FROM {tasks}
                      WHERE status = 'leased' AND lease_expires_at <= now()
                        AND attempt >= max_attempts AND queue = ANY(%(queues)s)
                      FOR UPDATE SKIP LOCKED) AS x
                WHERE t.task_id = x.task_id
                RETURNING t.task_id, t.run_id
            ), woken AS (
                -- Matched by key alone (see runs.py: wake-ups lock the run row).
                UPDATE {runs} AS r
                SET next_wakeup_at = CASE
                    WHEN r.status = 'suspended' AND r.waiting_on = 'task:' || e.task_id
                    THEN now() ELSE r.next_wakeup_at END
                FROM exhausted AS e
                WHERE r.run_id = e.run_id
            ), due AS (
                SELECT t.task_id FROM {tasks} AS t
                WHERE t.queue = ANY(%(queues)s)
                  AND ((t.status = 'available' AND t.available_at <= now())
                       OR (t.status = 'leased' AND t.lease_expires_at <= now()
                           AND t.attempt < t.max_attempts))
                  AND NOT EXISTS (SELECT 1 FROM {runs} AS r
                                  WHERE r.run_id = t.run_id AND r.status = ANY(%(terminal)s))
                ORDER BY t.available_at, t.task_id
                LIMIT %(limit)s
                FOR UPDATE OF t SKIP LOCKED
            )
            UPDATE {tasks} AS t
            SET attempt = CASE WHEN t.status = 'leased' THEN t.attempt + 1 ELSE t.attempt END,
                status = 'leased', lease_owner = %(owner)s,
                lease_expires_at = now() + make_interval(secs => %(secs)s)
            FROM due WHERE t.task_id = due.task_id
            RETURNING {tcols}""",
        "heartbeat": """
            UPDATE {tasks} SET lease_expires_at = now() + make_interval(secs => %s)
            WHERE task_id = %s AND status = 'leased' AND lease_owner = %s AND attempt = %s""",
        "complete": """
            UPDATE {tasks}
            SET status = %(status)s, result = %(result)s, error = %(error)s,
                completed_at = now(), lease_owner = NULL, lease_expires_at = NULL
            WHERE task_id = %(task_id)s AND status = 'leased' AND lease_owner = %(owner)s
              AND attempt = %(attempt)s
            RETURNING run_id""",
        "retry": """
            UPDATE {tasks}
            SET status = 'available', attempt = attempt + 1, error = %(error)s,
                available_at = now() + make_interval(secs => %(delay)s),
                lease_owner = NULL, lease_expires_at = NULL
            WHERE task_id = %(task_id)s AND status = 'leased' AND lease_owner = %(owner)s
              AND attempt = %(attempt)s
            RETURNING run_id, available_at""",
        "wake_run": WAKE_IF_WAITING,
        "get": "SELECT {cols} FROM {tasks} WHERE run_id = %s AND seq = %s",
    }
    return {key: sql.SQL(body).format(**fmt) for key, body in text.items()}


def enqueue(db: Database, conn: psycopg.Connection, run_id: str, task: Mapping[str, Any]) -> int:
    """Insert a task for ``run_id`` inside a fenced step; announce it to queue workers."""
    unknown = set(task) - _REQUIRED - _OPTIONAL
    missing = _REQUIRED - set(task)
    if unknown or missing:
        raise StoreError(
            "enqueue_task",
            "bad_task",
            f"unknown keys {sorted(unknown)}, missing keys {sorted(missing)}",
        )
    available_at = task.get("available_at")
    if isinstance(available_at, datetime) and available_at.tzinfo is None:
        available_at = available_at.replace(tzinfo=UTC)
    params = {
        "run_id": run_id,
        "attempt": 1,
        "max_attempts": 1,
        "idempotency_key": f"{run_id}:{task['seq']}",
        "timeout_seconds": None,
        "heartbeat_seconds": None,
        **task,
        "available_at": available_at,
    }
    with db.unique_is_lease_lost("enqueue_task", f"run {run_id}: task {task['seq']} exists"):
        task_id, later, at = conn.execute(_queries(db.schema)["insert"], params).fetchone()
    notify(conn, db.schema, "task", str(task_id), at if later else None)
    return int(task_id)


def claim_tasks(
    db: Database, *, owner: str, queues: Collection[str], limit: int, lease_seconds: float
) -> list[Task]:
    """Lease due tasks of ``queues``, taking over expired leases (see `Store.claim_tasks`).

    One statement. A task whose lease expired is leased again with attempt + 1; one
    that expired on its last attempt is failed (``TaskLeaseExpired``) and its run woken.
    """
    if limit <= 0 or not queues:
        return []
    params = {
        "owner": owner,
        "queues": sorted(queues),
        "limit": limit,
        "secs": float(lease_seconds),
        "expired_error": _EXPIRED_ERROR,
        "terminal": sorted(TERMINAL),
    }
    q = _queries(db.schema)

    def body(conn: psycopg.Connection) -> list[Task]:
        return conn.cursor(row_factory=class_row(Task)).execute(q["claim"], params).fetchall()

    return db.run("claim_tasks", body, single=True)


def heartbeat(db: Database, task: Task, lease_seconds: float) -> None:
    """Extend the task lease; `LeaseLostError` when it was requeued or re-leased."""
    query = _queries(db.schema)["heartbeat"]

    def body(conn: psycopg.Connection) -> None:
        params = (float(lease_seconds), task.task_id, task.lease_owner, task.attempt)
        if conn.execute(query, params).rowcount == 0:
            raise lease_lost("heartbeat_task", _stale(task))

    db.run("heartbeat_task", body, single=True)


def _stale(task: Task) -> str:
    return f"task {task.task_id} attempt {task.attempt} is no longer leased by {task.lease_owner}"


def complete(
    db: Database,
    task: Task,
    *,
    result: str | None,
    error: str | None,
    retry_after: float | None,
) -> None:
    """Record the outcome fenced on the task lease; wake the run, or requeue for a retry."""
    q = _queries(db.schema)
    base = {"task_id": task.task_id, "owner": task.lease_owner, "attempt": task.attempt}

    def body(conn: psycopg.Connection) -> None:
        if error is not None and retry_after is not None:
            params = {**base, "error": error, "delay": max(0.0, float(retry_after))}
            row = conn.execute(q["retry"], params).fetchone()
            if row is None:
                raise lease_lost("complete_task", _stale(task))
            notify(conn, db.schema, "task", str(task.task_id), row[1])
            return
        status = "completed" if error is None else "failed"
        params = {**base, "status": status, "result": result, "error": error}
        row = conn.execute(q["complete"], params).fetchone()
        if row is None:
            raise lease_lost("complete_task", _stale(task))
        # Locks the run row even while it still runs: see runs.WAKE_IF_WAITING.
        woken = conn.execute(
            q["wake_run"], {"run_id": row[0], "waiting_on": waiting_on_task(task.task_id)}
        )
        if woken.fetchone()[0]:
            notify(conn, db.schema, "wake", row[0])

    db.run("complete_task", body)


def get_task(db: Database, run_id: str, seq: int) -> Task | None:
    """The task scheduled at journal position ``seq`` of ``run_id``, or None."""
    query = _queries(db.schema)["get"]

    def body(conn: psycopg.Connection) -> Task | None:
        return conn.cursor(row_factory=class_row(Task)).execute(query, (run_id, seq)).fetchone()

    return db.run("get_task", body, read_only=True, single=True)
