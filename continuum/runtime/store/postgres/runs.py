"""The ``runs`` table: create, read, claim, fence, suspend, finish, cancel.

Every write on behalf of a run first locks its row with `fence`, which checks the
lease owner and fencing token; a stale lease raises `LeaseLostError` before anything
is written.

Lost wake-ups are prevented by both sides taking the run's row lock. `suspend` checks
for an arrived signal/task/child in a statement after its fence, so under READ
COMMITTED it sees whatever a waker committed while it waited for the lock. A waker
(signal, task outcome, child finish) locks the run row by primary key alone — never
``WHERE status = 'suspended'``, which would skip a still-running row without waiting
for its suspend — and decides whether to wake from the row version it then holds.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import class_row, dict_row
from psycopg.types.json import Jsonb

from ...errors import LeaseLostError, StoreError
from ..base import (
    CONTINUED,
    TERMINAL,
    Lease,
    NewEvent,
    NewRun,
    RunRecord,
    successor_of,
    waiting_on_child,
    waiting_on_parts,
)
from .notify import CHANNEL, notify
from .pool import Database, lease_lost

#: Wake a run if it is suspended waiting for ``waiting_on``; returns whether it did.
#: Matched by key alone so that it waits for a concurrent suspend (module docstring).
WAKE_IF_WAITING = """
    UPDATE {runs}
    SET next_wakeup_at = CASE WHEN status = 'suspended' AND waiting_on = %(waiting_on)s
                              THEN now() ELSE next_wakeup_at END
    WHERE run_id = %(run_id)s
    RETURNING status = 'suspended' AND waiting_on = %(waiting_on)s"""

#: The error a discarded task of a cancelled run carries.
CANCELLED_TASK_ERROR = '{"type": "Cancelled", "message": "the run was cancelled"}'

#: Columns of `RunRecord`, in its field order.
_FIELDS = tuple(RunRecord.__dataclass_fields__)
_TERMINAL = sorted(TERMINAL)


@cache
def _columns(prefix: str = "") -> sql.Composed:
    if prefix:
        return sql.SQL(", ").join(sql.Identifier(prefix, name) for name in _FIELDS)
    return sql.SQL(", ").join(sql.Identifier(name) for name in _FIELDS)


#: The fenced update of `finish`: the run ends, its lease and wake-up are cleared.
_FINISH_UPDATE = """
                UPDATE {runs}
                SET status = %(status)s, result = %(result)s, error = %(error)s,
                    completed_at = now(), updated_at = now(), lease_owner = NULL,
                    lease_expires_at = NULL, next_wakeup_at = NULL, waiting_on = NULL
                WHERE run_id = %(run_id)s AND lease_owner = %(owner)s
                  AND lease_token = %(token)s AND status = 'running'"""
#: After `done`: the waiting parent woken by key, then both notifications (sent only if
#: the statement commits), and the counts `finish` checks.
_FINISH_WAKE = """
            ), woken AS (
                UPDATE {runs} AS p
                SET next_wakeup_at = CASE WHEN p.status = 'suspended'
                                           AND p.waiting_on = %(waiting_on)s
                                          THEN now() ELSE p.next_wakeup_at END
                FROM done WHERE p.run_id = done.parent_id
                RETURNING p.run_id, p.status = 'suspended' AND p.waiting_on = %(waiting_on)s
                          AS woken
            )
            SELECT (SELECT count(*) FROM done),
                   (SELECT count(*) FROM (
                        SELECT pg_notify(%(channel)s, %(finished)s || run_id) FROM done) AS f),
                   (SELECT count(*) FROM (
                        SELECT pg_notify(%(channel)s, %(wake)s || run_id)
                        FROM woken WHERE woken) AS w)"""


@cache
def _queries(schema: str) -> dict[str, bytes]:
    """Statements of this module for one schema, composed and encoded once.

    As bytes: psycopg would otherwise render a `sql.Composed` again on every execute
    (a tenth of a worker's CPU per step).
    """
    runs = sql.Identifier(schema, "runs")
    fmt = {
        "runs": runs,
        "cols": _columns(),
        "rcols": _columns("r"),
        "versions": sql.Identifier(schema, "workflow_versions"),
        "signals": sql.Identifier(schema, "signals"),
        "tasks": sql.Identifier(schema, "tasks"),
        "events": sql.Identifier(schema, "events"),
        "seq": sql.Literal(sql.Identifier(schema, "lease_token_seq").as_string()),
    }
    text = {
        "insert": """
            INSERT INTO {runs} (run_id, workflow, version_hash, input, namespace, attributes,
                                parent_id, correlation_id, next_wakeup_at)
            VALUES (%(run_id)s, %(workflow)s, %(version_hash)s, %(input)s, %(namespace)s,
                    %(attributes)s, %(parent_id)s, COALESCE(%(correlation_id)s, %(run_id)s),
                    COALESCE(%(start_at)s, now()))
            ON CONFLICT (run_id) DO NOTHING
            RETURNING {cols}, next_wakeup_at > now() AS later""",
        # A run due now with nothing to adopt (what `Client.start` makes): insert, record
        # its version and announce it in one autocommit statement.
        "insert_now": """
            WITH ins AS (
                INSERT INTO {runs} (run_id, workflow, version_hash, input, namespace,
                                    attributes, parent_id, correlation_id, next_wakeup_at)
                VALUES (%(run_id)s, %(workflow)s, %(version_hash)s, %(input)s, %(namespace)s,
                        %(attributes)s, %(parent_id)s, COALESCE(%(correlation_id)s, %(run_id)s),
                        now())
                ON CONFLICT (run_id) DO NOTHING
                RETURNING {cols}
            ), version AS (
                INSERT INTO {versions} (version_hash, workflow)
                SELECT version_hash, workflow FROM ins WHERE version_hash IS NOT NULL
                ON CONFLICT DO NOTHING
            )
            SELECT ins.*, (SELECT count(*) FROM (
                SELECT pg_notify(%(channel)s, %(announce)s || ins.run_id)) AS n) AS announced
            FROM ins""",
        # A co-located start (`create_run_leased`): the run is inserted running and
        # leased to the starting process, which executes it; nothing is announced.
        "insert_leased": """
            WITH ins AS (
                INSERT INTO {runs} (run_id, workflow, version_hash, input, namespace,
                                    attributes, parent_id, correlation_id, status,
                                    lease_owner, lease_token, lease_expires_at)
                VALUES (%(run_id)s, %(workflow)s, %(version_hash)s, %(input)s, %(namespace)s,
                        %(attributes)s, %(parent_id)s, COALESCE(%(correlation_id)s, %(run_id)s),
                        'running', %(owner)s, nextval({seq}),
                        now() + make_interval(secs => %(secs)s))
                ON CONFLICT (run_id) DO NOTHING
                RETURNING version_hash, workflow, lease_token, lease_expires_at, created_at
            ), version AS (
                INSERT INTO {versions} (version_hash, workflow)
                SELECT version_hash, workflow FROM ins
                ON CONFLICT DO NOTHING
            )
            SELECT lease_token, lease_expires_at, created_at FROM ins""",
        "get": "SELECT {cols} FROM {runs} WHERE run_id = %s",
        "version": """
            INSERT INTO {versions} (version_hash, workflow) VALUES (%s, %s)
            ON CONFLICT DO NOTHING""",
        # The claim commits without waiting for its WAL flush (`synchronous_commit` off
        # for this transaction only, set by the gating condition): a claim lost in a
        # server crash only leaves the run due again, which the crash makes it anyway,
        # and the run's first durable write (a step, a suspend, a finish) flushes the
        # claim before it. Saves a disk flush per claimed run.
        "claim": """
            WITH due AS (
                SELECT run_id, version_hash AS old_hash, status AS old_status FROM {runs}
                WHERE (SELECT set_config('synchronous_commit', 'off', true)) IS NOT NULL
                  AND ((status IN ('pending', 'suspended') AND next_wakeup_at <= now())
                       OR (status = 'running'
                           AND (lease_expires_at IS NULL OR lease_expires_at <= now())))
                  AND ((version_hash IS NULL AND workflow = ANY(%(workflows)s))
                       OR version_hash = ANY(%(known)s))
                ORDER BY COALESCE(next_wakeup_at, lease_expires_at)
                LIMIT %(limit)s
                FOR UPDATE SKIP LOCKED
            ), claimed AS (
                UPDATE {runs} AS r
                SET status = 'running', lease_owner = %(owner)s, lease_token = nextval({seq}),
                    lease_expires_at = now() + make_interval(secs => %(secs)s),
                    version_hash = COALESCE(r.version_hash, %(current)s::jsonb ->> r.workflow),
                    next_wakeup_at = NULL, waiting_on = NULL, updated_at = now()
                FROM due WHERE r.run_id = due.run_id
                RETURNING {rcols}, r.lease_token, r.lease_expires_at, due.old_hash IS NULL AS pinned,
                          due.old_status = 'pending' AS fresh
            ), recorded AS (
                INSERT INTO {versions} (version_hash, workflow)
                SELECT DISTINCT version_hash, workflow FROM claimed WHERE pinned
                ON CONFLICT DO NOTHING
            )
            SELECT * FROM claimed""",
        "fence": """
            SELECT parent_id FROM {runs}
            WHERE run_id = %s AND lease_owner = %s AND lease_token = %s AND status = 'running'
            FOR UPDATE""",
        # The step's fence also reads the journal's last seq (a backward PK index scan)
        # so that appends can be checked for gaps without another round trip.
        "fence_step": """
            SELECT COALESCE((SELECT max(e.seq) FROM {events} e WHERE e.run_id = r.run_id), 0)
            FROM {runs} r
            WHERE r.run_id = %s AND r.lease_owner = %s AND r.lease_token = %s
              AND r.status = 'running'
            FOR UPDATE OF r""",
        "holder": "SELECT status, lease_owner, lease_token FROM {runs} WHERE run_id = %s",
        # A renewal does not wait for its disk flush either (see "claim"): one lost in a
        # server crash can only let the lease expire sooner, which fencing covers.
        "renew": """
            UPDATE {runs} SET lease_expires_at = now() + make_interval(secs => %s)
            WHERE run_id = %s AND lease_owner = %s AND lease_token = %s AND status = 'running'
              AND (SELECT set_config('synchronous_commit', 'off', true)) IS NOT NULL
            RETURNING lease_expires_at""",
        "suspend": """
            UPDATE {runs}
            SET status = 'suspended', lease_owner = NULL, lease_expires_at = NULL,
                waiting_on = %(waiting_on)s, updated_at = now(),
                next_wakeup_at = CASE
                    WHEN cancel_requested
                      OR (%(signal)s::text IS NOT NULL AND EXISTS (
                            SELECT 1 FROM {signals} s WHERE s.run_id = %(run_id)s
                            AND s.name = %(signal)s AND s.consumed_at IS NULL))
                      OR (%(task)s::bigint IS NOT NULL AND EXISTS (
                            SELECT 1 FROM {tasks} t WHERE t.task_id = %(task)s
                            AND t.status IN ('completed', 'failed')))
                      OR (%(child)s::text IS NOT NULL AND EXISTS (
                            SELECT 1 FROM {runs} c WHERE c.run_id = %(child)s
                            AND c.status = ANY(%(terminal)s)))
                    THEN now() ELSE %(wake_at)s END
            WHERE run_id = %(run_id)s
            RETURNING next_wakeup_at, next_wakeup_at <= now() AS due""",
        "wake_parent": WAKE_IF_WAITING,
        # `finish` in one autocommit statement: the fenced update (re-checked against a
        # concurrent claim like the fence's FOR UPDATE), the waiting parent woken by key
        # (module docstring), and both notifications, which go out only if it commits.
        "finish_fenced": "WITH done AS ("
        + _FINISH_UPDATE
        + "\n                RETURNING run_id, parent_id"
        + _FINISH_WAKE,
        # `finish_fenced` with the run's last journal event in the same statement: the
        # update also requires the journal to end just before it (its gap check), and
        # the insert happens only when the fenced update did.
        "finish_append": (
            "WITH done AS ("
            + _FINISH_UPDATE
            + """
                  AND COALESCE((SELECT max(e.seq) FROM {events} e WHERE e.run_id = %(run_id)s),
                               0) = %(seq)s - 1
                RETURNING run_id, parent_id
            ), appended AS (
                INSERT INTO {events} (run_id, seq, kind, command, payload)
                SELECT run_id, %(seq)s, %(kind)s, %(command)s, %(payload)s FROM done"""
            + _FINISH_WAKE
        ),
        # Finishing `continued` hands the mailbox on (see `finish`). The successor's row
        # is locked first, so a signal sent to it directly waits for the hand-off.
        "lock_successor": "SELECT cancel_requested FROM {runs} WHERE run_id = %s FOR UPDATE",
        "was_cancelled": "SELECT cancel_requested FROM {runs} WHERE run_id = %s",
        # Unconsumed signals move in place (their signal ids keep the FIFO order), and
        # consumed ones carrying a delivery id move too, so the successor refuses a
        # retried delivery its predecessor already took. A delivery id the successor
        # already holds stays behind: it is a duplicate.
        "handoff_signals": """
            WITH moved AS (
                UPDATE {signals} AS s SET run_id = %(successor)s
                WHERE s.run_id = %(run_id)s
                  AND (s.consumed_at IS NULL OR s.delivery_id IS NOT NULL)
                  AND (s.delivery_id IS NULL OR NOT EXISTS (
                        SELECT 1 FROM {signals} d
                        WHERE d.run_id = %(successor)s AND d.delivery_id = s.delivery_id))
                RETURNING s.name, s.consumed_at IS NULL AS pending
            )
            UPDATE {runs} SET next_wakeup_at = now()
            WHERE run_id = %(successor)s AND status = 'suspended'
              AND waiting_on IN (SELECT 'signal:' || name FROM moved WHERE pending)
            RETURNING run_id""",
        "release": """
            UPDATE {runs} SET lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
            WHERE run_id = %s""",
        # The run and its unfinished descendants are flagged and woken together; their
        # queued tasks that no worker holds yet are discarded.
        "cancel": """
            WITH RECURSIVE tree AS (
                SELECT run_id FROM {runs}
                WHERE run_id = %(run_id)s AND status <> ALL(%(terminal)s)
                UNION
                SELECT c.run_id FROM {runs} c JOIN tree ON c.parent_id = tree.run_id
                WHERE c.status <> ALL(%(terminal)s)
            ), flagged AS (
                UPDATE {runs} AS r
                SET cancel_requested = true, updated_at = now(),
                    next_wakeup_at = CASE WHEN r.status IN ('pending', 'suspended')
                                          THEN now() ELSE r.next_wakeup_at END
                FROM tree WHERE r.run_id = tree.run_id
                RETURNING r.run_id
            ), discarded AS (
                UPDATE {tasks} AS t
                SET status = 'failed', error = %(error)s, completed_at = now()
                FROM flagged WHERE t.run_id = flagged.run_id AND t.status = 'available'
            )
            SELECT run_id FROM flagged""",
        "adopt": """
            UPDATE {runs} SET parent_id = %s, updated_at = now()
            WHERE parent_id = %s AND status <> ALL(%s)""",
        "set_attributes": "UPDATE {runs} SET attributes = attributes || %s WHERE run_id = %s",
    }
    return {key: sql.SQL(body).format(**fmt).as_bytes() for key, body in text.items()}


def _utc(value: datetime | None) -> datetime | None:
    """Naive datetimes are taken as UTC (documented in the protocol notes)."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _record(row: Mapping[str, Any]) -> RunRecord:
    return RunRecord(**{name: row[name] for name in _FIELDS})


def create_run(db: Database, new: NewRun) -> tuple[RunRecord, bool]:
    """Insert ``new`` unless its id exists; announce it to listening workers."""
    q = _queries(db.schema)
    # Due at once and adopting nothing: one statement (see "insert_now").
    now = new.start_at is None and new.adopt_children_of is None

    def body(conn: psycopg.Connection) -> tuple[RunRecord, bool]:
        params = {
            "run_id": new.run_id,
            "workflow": new.workflow,
            "version_hash": new.version_hash,
            "input": new.input,
            "namespace": new.namespace,
            "attributes": Jsonb(dict(new.attributes)),
            "parent_id": new.parent_id,
            "correlation_id": new.correlation_id,
            "start_at": _utc(new.start_at),
            "channel": CHANNEL,
            "announce": f"{db.schema}|start|",
        }
        query = q["insert_now"] if now else q["insert"]
        row = conn.cursor(row_factory=dict_row).execute(query, params).fetchone()
        if row is None:
            existing = _get(conn, q, new.run_id)
            if existing is None:  # inserted and deleted in between: vanishingly rare
                raise StoreError("create_run", "conflict", f"run {new.run_id} vanished")
            return existing, False
        record = _record(row)
        if now:
            return record, True
        if new.adopt_children_of is not None:
            conn.execute(q["adopt"], (new.run_id, new.adopt_children_of, _TERMINAL))
        if new.version_hash is not None:
            conn.execute(q["version"], (new.version_hash, new.workflow))
        notify(
            conn, db.schema, "start", new.run_id, record.next_wakeup_at if row["later"] else None
        )
        return record, True

    return db.run("create_run", body, single=now)


def create_run_leased(
    db: Database, new: NewRun, *, owner: str, version_hash: str, lease_seconds: float
) -> tuple[RunRecord, Lease | None]:
    """Insert ``new`` running and leased to ``owner`` (see `Store.create_run_leased`)."""
    if new.start_at is not None or new.adopt_children_of is not None:
        raise StoreError(
            "create_run_leased", "unsupported", "a leased start runs now and adopts nothing"
        )
    q = _queries(db.schema)
    params = {
        "run_id": new.run_id,
        "workflow": new.workflow,
        "version_hash": version_hash,
        "input": new.input,
        "namespace": new.namespace,
        "attributes": Jsonb(dict(new.attributes)),
        "parent_id": new.parent_id,
        "correlation_id": new.correlation_id,
        "owner": owner,
        "secs": float(lease_seconds),
    }

    def body(conn: psycopg.Connection) -> tuple[RunRecord, Lease | None]:
        row = conn.execute(q["insert_leased"], params).fetchone()
        if row is None:
            existing = _get(conn, q, new.run_id)
            if existing is None:  # inserted and deleted in between: vanishingly rare
                raise StoreError("create_run_leased", "conflict", f"run {new.run_id} vanished")
            return existing, None
        token, expires_at, created_at = row
        # The row as inserted, built here: reading every column back would cost more
        # than the insert itself on the start's critical path.
        record = RunRecord(
            run_id=new.run_id,
            workflow=new.workflow,
            version_hash=version_hash,
            status="running",
            input=new.input,
            result=None,
            error=None,
            namespace=new.namespace,
            attributes=dict(new.attributes),
            parent_id=new.parent_id,
            correlation_id=new.correlation_id or new.run_id,
            created_at=created_at,
            updated_at=created_at,
            completed_at=None,
            next_wakeup_at=None,
            waiting_on=None,
            cancel_requested=False,
        )
        return record, Lease(new.run_id, owner, token, expires_at, True)

    return db.run("create_run_leased", body, single=True)


def _get(conn: psycopg.Connection, q: dict[str, bytes], run_id: str) -> RunRecord | None:
    return conn.cursor(row_factory=class_row(RunRecord)).execute(q["get"], (run_id,)).fetchone()


def get_run(db: Database, run_id: str) -> RunRecord | None:
    """The run called ``run_id``, or None."""
    q = _queries(db.schema)
    return db.run("get_run", lambda conn: _get(conn, q, run_id), read_only=True, single=True)


def list_runs(
    db: Database,
    *,
    workflow: str | None,
    status: str | None,
    namespace: str | None,
    attributes: Mapping[str, Any] | None,
    limit: int,
) -> list[RunRecord]:
    """Runs matching every given filter, newest first; attributes match by containment."""
    where: list[sql.Composable] = []
    params: list[Any] = []
    for column, value in (("workflow", workflow), ("status", status), ("namespace", namespace)):
        if value is not None:
            where.append(sql.SQL("{} = %s").format(sql.Identifier(column)))
            params.append(value)
    if attributes:
        where.append(sql.SQL("attributes @> %s"))
        params.append(Jsonb(dict(attributes)))
    query = sql.SQL("SELECT {} FROM {} {} ORDER BY created_at DESC, run_id DESC LIMIT %s").format(
        _columns(),
        db.table("runs"),
        sql.SQL("WHERE ") + sql.SQL(" AND ").join(where) if where else sql.SQL(""),
    )
    params.append(max(0, limit))

    def body(conn: psycopg.Connection) -> list[RunRecord]:
        return conn.cursor(row_factory=class_row(RunRecord)).execute(query, params).fetchall()

    return db.run("list_runs", body, read_only=True, single=True)


def claim_runs(
    db: Database,
    *,
    owner: str,
    current_versions: Mapping[str, str],
    known_versions: Collection[str],
    limit: int,
    lease_seconds: float,
) -> list[tuple[RunRecord, Lease]]:
    """Lease due runs this worker can execute (see `Store.claim_runs`); one statement."""
    if limit <= 0 or not (current_versions or known_versions):
        return []
    params = {
        "owner": owner,
        "workflows": list(current_versions),
        "known": sorted(set(known_versions) | set(current_versions.values())),
        "current": Jsonb(dict(current_versions)),
        "limit": limit,
        "secs": float(lease_seconds),
    }
    q = _queries(db.schema)

    def body(conn: psycopg.Connection) -> list[tuple[RunRecord, Lease]]:
        rows = conn.cursor(row_factory=dict_row).execute(q["claim"], params).fetchall()
        return [
            (
                _record(row),
                Lease(
                    row["run_id"], owner, row["lease_token"], row["lease_expires_at"], row["fresh"]
                ),
            )
            for row in rows
        ]

    return db.run("claim_runs", body, single=True)


def fence(conn: psycopg.Connection, schema: str, lease: Lease, op: str) -> str | None:
    """Lock the run row if ``lease`` still holds it, returning its parent id; else raise."""
    return _fenced(conn, schema, lease, op, "fence")


def fence_step(conn: psycopg.Connection, schema: str, lease: Lease) -> int:
    """`fence` for a step; returns the seq of the run's last journal event (0 if none)."""
    return int(_fenced(conn, schema, lease, "step", "fence_step"))


def _fenced(conn: psycopg.Connection, schema: str, lease: Lease, op: str, query: str) -> Any:
    q = _queries(schema)
    row = conn.execute(q[query], (lease.run_id, lease.owner, lease.token)).fetchone()
    if row is None:
        raise stale(conn, schema, lease, op)
    return row[0]


def _holder(conn: psycopg.Connection, schema: str, lease: Lease) -> tuple[Any, ...] | None:
    return conn.execute(_queries(schema)["holder"], (lease.run_id,)).fetchone()


def stale(conn: psycopg.Connection, schema: str, lease: Lease, op: str) -> LeaseLostError:
    """The `LeaseLostError` for a fenced write ``lease`` no longer allows, saying who holds it."""
    return _stale(lease, op, _holder(conn, schema, lease))


def _stale(lease: Lease, op: str, current: tuple[Any, ...] | None) -> LeaseLostError:
    if current is None:
        return lease_lost(op, f"run {lease.run_id} does not exist")
    status, owner, token = current
    return lease_lost(
        op,
        f"run {lease.run_id} is {status} (owner {owner}, token {token}); "
        f"this worker holds token {lease.token}",
    )


def refusal(
    conn: psycopg.Connection, schema: str, lease: Lease, op: str, seq: int
) -> LeaseLostError:
    """Why a fenced single-statement append wrote nothing, as the error to raise.

    The lease still matching means the journal had another next position:
    ``seq_conflict``; otherwise the lease is stale: ``lease_lost``.
    """
    current = _holder(conn, schema, lease)
    if current is not None and current == ("running", lease.owner, lease.token):
        return LeaseLostError(
            op, "seq_conflict", f"run {lease.run_id}: event {seq} is not the next position"
        )
    return _stale(lease, op, current)


def renew_lease(db: Database, lease: Lease, lease_seconds: float) -> Lease:
    """Push the lease expiry to now + ``lease_seconds`` (DB clock); fenced on the token."""
    q = _queries(db.schema)

    def body(conn: psycopg.Connection) -> Lease:
        params = (float(lease_seconds), lease.run_id, lease.owner, lease.token)
        row = conn.execute(q["renew"], params).fetchone()
        if row is None:
            raise lease_lost("renew_lease", f"run {lease.run_id}: token {lease.token} is stale")
        return Lease(lease.run_id, lease.owner, lease.token, row[0])

    return db.run("renew_lease", body, single=True)


def _waiting_keys(waiting_on: str) -> dict[str, Any]:
    """Split ``waiting_on`` into the one thing that can already have happened."""
    kind, ident = waiting_on_parts(waiting_on)
    task: int | None = None
    if kind == "task":
        try:
            task = int(ident)
        except ValueError:
            task = None
    return {
        "signal": ident if kind == "signal" and ident else None,
        "task": task,
        "child": ident if kind == "child" and ident else None,
    }


def suspend(db: Database, lease: Lease, *, wake_at: datetime | None, waiting_on: str) -> None:
    """Fenced: suspend until ``wake_at`` unless the awaited thing already happened."""
    q = _queries(db.schema)

    def body(conn: psycopg.Connection) -> None:
        fence(conn, db.schema, lease, "suspend")
        params = {
            "run_id": lease.run_id,
            "waiting_on": waiting_on,
            "wake_at": _utc(wake_at),
            "terminal": _TERMINAL,
            **_waiting_keys(waiting_on),
        }
        wake, due = conn.execute(q["suspend"], params).fetchone() or (None, False)
        if due:
            notify(conn, db.schema, "wake", lease.run_id)
        elif wake is not None:
            notify(conn, db.schema, "timer", lease.run_id, wake)

    db.run("suspend", body)


def finish(
    db: Database,
    lease: Lease,
    *,
    status: str,
    result: str | None,
    error: str | None,
    events: Sequence[NewEvent] = (),
) -> None:
    """Fenced: terminal status, lease released, waiting parent woken, listeners told.

    ``events`` are appended in the same transaction (one statement for a lone event,
    the common case: a straight-line run's last activity result). A run finishing
    `continued` hands its mailbox and cancel request on to the successor its result
    names, in the same transaction (`_hand_on`).
    """
    if status not in TERMINAL:
        raise StoreError("finish", "not_terminal", f"{status!r} is not a terminal status")
    q = _queries(db.schema)
    params = {
        "status": status,
        "result": result,
        "error": error,
        "run_id": lease.run_id,
        "owner": lease.owner,
        "token": lease.token,
        "waiting_on": waiting_on_child(lease.run_id),
        "channel": CHANNEL,
        "finished": f"{db.schema}|finished|",
        "wake": f"{db.schema}|wake|",
    }

    def body(conn: psycopg.Connection) -> None:
        row = conn.execute(q["finish_fenced"], params).fetchone()
        if row is None or row[0] != 1:
            raise stale(conn, db.schema, lease, "finish")

    successor = successor_of(result) if status == CONTINUED else None
    if successor is None and len(events) == 1:
        event = events[0]
        params.update(
            seq=event.seq,
            kind=event.kind,
            command=Jsonb(list(event.command)) if event.command is not None else None,
            payload=event.payload,
        )

        def appending(conn: psycopg.Connection) -> None:
            with db.unique_is_lease_lost("finish", f"run {lease.run_id}: event {event.seq} taken"):
                row = conn.execute(q["finish_append"], params).fetchone()
            if row is None or row[0] != 1:
                raise refusal(conn, db.schema, lease, "finish", event.seq)

        db.run("finish", appending, single=True)
        return
    if successor is None and not events:
        db.run("finish", body, single=True)
        return

    def in_transaction(conn: psycopg.Connection) -> None:
        if events:
            _append_all(db, conn, lease, events)
        body(conn)
        if successor is not None:
            _hand_on(conn, db.schema, lease.run_id, successor)

    db.run("finish", in_transaction)


def _append_all(
    db: Database, conn: psycopg.Connection, lease: Lease, new: Sequence[NewEvent]
) -> None:
    """Fence the run and append ``new`` at the journal's next positions (in a transaction)."""
    from . import events  # events imports this module

    after = fence_step(conn, db.schema, lease)
    for offset, event in enumerate(new, start=1):
        if event.seq != after + offset:
            raise LeaseLostError(
                "finish",
                "seq_conflict",
                f"run {lease.run_id}: next event is {after + offset}, not {event.seq}",
            )
        events.append(db, conn, lease.run_id, event)


def _hand_on(conn: psycopg.Connection, schema: str, run_id: str, successor: str) -> None:
    """Give a continued run's mailbox and cancel request to its successor (same transaction).

    Without this, signals the old run never consumed would be dropped with it, and a
    cancel that landed between creating the successor and this finish would flag only
    the ended run.
    """
    q = _queries(schema)
    if conn.execute(q["lock_successor"], (successor,)).fetchone() is None:
        return  # no successor row (a hand-made result): nothing to hand on to
    params = {"run_id": run_id, "successor": successor}
    if conn.execute(q["handoff_signals"], params).fetchone() is not None:
        notify(conn, schema, "signal", successor)
    row = conn.execute(q["was_cancelled"], (run_id,)).fetchone()
    if row is not None and row[0]:
        cancel = {"run_id": successor, "terminal": _TERMINAL, "error": CANCELLED_TASK_ERROR}
        for (flagged,) in conn.execute(q["cancel"], cancel).fetchall():
            notify(conn, schema, "cancel", flagged)


def release(db: Database, lease: Lease) -> None:
    """Fenced: drop the lease, leaving the run claimable at once in its current state."""
    q = _queries(db.schema)

    def body(conn: psycopg.Connection) -> None:
        fence(conn, db.schema, lease, "release")
        conn.execute(q["release"], (lease.run_id,))
        notify(conn, db.schema, "wake", lease.run_id)

    db.run("release", body)


def request_cancel(db: Database, run_id: str) -> bool:
    """Flag cancellation and wake the run and its unfinished descendants; False when terminal.

    Raises `StoreError` (reason ``"not_found"``) for an unknown run.
    """
    q = _queries(db.schema)

    params = {"run_id": run_id, "terminal": _TERMINAL, "error": CANCELLED_TASK_ERROR}

    def body(conn: psycopg.Connection) -> bool:
        rows = conn.execute(q["cancel"], params).fetchall()
        if not rows:
            if _get(conn, q, run_id) is None:
                raise StoreError("request_cancel", "not_found", f"no run {run_id}")
            return False
        for (flagged,) in rows:
            notify(conn, db.schema, "cancel", flagged)
        return True

    return db.run("request_cancel", body)


def set_attributes(conn: psycopg.Connection, schema: str, run_id: str, attrs: Mapping) -> None:
    """Merge ``attrs`` into the run's attributes (inside a fenced step)."""
    conn.execute(_queries(schema)["set_attributes"], (Jsonb(dict(attrs)), run_id))
