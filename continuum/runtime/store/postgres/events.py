"""The ``events`` table: the append-only journal, one row per (run, seq)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from ...journal import intern_command, is_canonical_command
from ..base import Event, Lease, NewEvent, Recorded, Snapshot
from . import snapshots
from .pool import Database
from .runs import refusal

#: A command of another shape than the five elements with a numeric line this runtime
#: writes (none is written by it) comes back whole. Checked cheaply: a per-row type check
#: of every element would cost more than the JSON decoding it saves.
_OTHER_SHAPE = sql.SQL(
    "jsonb_typeof(command -> 3) IS DISTINCT FROM 'number' OR jsonb_array_length(command) <> 5"
)


@cache
def _queries(schema: str) -> dict[str, bytes]:
    """Statements of this module for one schema, composed and encoded once."""
    events = sql.Identifier(schema, "events")
    queries = {
        "append": sql.SQL(
            "INSERT INTO {} (run_id, seq, kind, command, payload) VALUES (%s, %s, %s, %s, %s)"
        ).format(events),
        # The fast path of a step with one event: fence, gap check and insert in one
        # autocommit statement. FOR UPDATE makes it wait for (and then re-check against)
        # a concurrent claim of the row, exactly like the transactional fence does.
        "append_fenced": sql.SQL(
            "INSERT INTO {events} (run_id, seq, kind, command, payload) "
            "SELECT r.run_id, %(seq)s, %(kind)s, %(command)s, %(payload)s FROM {runs} r "
            "WHERE r.run_id = %(run_id)s AND r.lease_owner = %(owner)s "
            "AND r.lease_token = %(token)s AND r.status = 'running' "
            "AND COALESCE((SELECT max(e.seq) FROM {events} e WHERE e.run_id = r.run_id), 0) "
            "= %(seq)s - 1 "
            "FOR UPDATE OF r"
        ).format(events=events, runs=sql.Identifier(schema, "runs")),
        # The command identity comes back as its five columns, not as jsonb: decoding a
        # JSON document per row was a fifth of the cost of reading a long journal.
        "load": sql.SQL(
            "SELECT seq, kind, command ->> 0, command ->> 1, command ->> 2, command ->> 3, "
            "command ->> 4, payload, created_at, CASE WHEN {other} THEN command END FROM {events} "
            "WHERE run_id = %s AND seq > %s ORDER BY seq"
        ).format(events=events, other=_OTHER_SHAPE),
        # What replay reads: the journal after the run's snapshot (all of it without one),
        # sent with the snapshot read in one pipeline, so a claimed run's history costs
        # one round trip. Four columns: the command identity as its JSON text, since a
        # long journal repeats a few identities (each text is decoded once per load),
        # and no timestamp (parsing one per row cost as much as the rest of the row).
        "load_after_snapshot": sql.SQL(
            "SELECT seq, kind, command::text, payload FROM {events} "
            "WHERE run_id = %s AND seq > COALESCE("
            "(SELECT through_seq FROM {snapshots} WHERE run_id = %s), 0) ORDER BY seq"
        ).format(events=events, snapshots=sql.Identifier(schema, "snapshots")),
    }
    return {key: query.as_bytes() for key, query in queries.items()}


def _command(
    kind: str | None, workflow: str, function: str, line: str, shape: str, raw: Any
) -> tuple[Any, ...] | None:
    """The command tuple from its columns (``raw`` holds a command of another shape)."""
    if raw is not None:
        return tuple(raw)
    if kind is None:
        return None
    try:
        number: Any = int(line)
    except ValueError:  # a JSON number that is not an integer
        number = json.loads(line)
    return (kind, workflow, function, number, shape)


def append(db: Database, conn: psycopg.Connection, run_id: str, event: NewEvent) -> None:
    """Insert ``event`` inside a fenced step; a taken seq raises `LeaseLostError`."""
    command = Jsonb(list(event.command)) if event.command is not None else None
    with db.unique_is_lease_lost("append", f"run {run_id}: event {event.seq} already written"):
        conn.execute(
            _queries(db.schema)["append"],
            (run_id, event.seq, event.kind, command, event.payload),
        )


def append_fenced(db: Database, lease: Lease, event: NewEvent) -> None:
    """Append ``event`` in one autocommit statement fenced on ``lease``.

    Writes nothing and raises `LeaseLostError` when the lease is stale (reason
    ``"lease_lost"``) or ``event.seq`` is not the journal's next position (reason
    ``"seq_conflict"``), the same outcomes as the transactional step.
    """
    query = _queries(db.schema)["append_fenced"]
    params = {
        "run_id": lease.run_id,
        "owner": lease.owner,
        "token": lease.token,
        "seq": event.seq,
        "kind": event.kind,
        "command": Jsonb(list(event.command)) if event.command is not None else None,
        "payload": event.payload,
    }

    def body(conn: psycopg.Connection) -> None:
        with db.unique_is_lease_lost("step", f"run {lease.run_id}: event {event.seq} taken"):
            written = conn.execute(query, params).rowcount
        if written != 1:
            raise refusal(conn, db.schema, lease, "step", event.seq)

    db.run("step", body, single=True)


def load_events(db: Database, run_id: str, *, after_seq: int = 0) -> list[Event]:
    """The journal of ``run_id`` after ``after_seq``, in order."""
    query = _queries(db.schema)["load"]

    def body(conn: psycopg.Connection) -> list[Event]:
        return _events(run_id, conn.execute(query, (run_id, after_seq)).fetchall())

    return db.run("load_events", body, read_only=True, single=True)


def _events(run_id: str, rows: list[tuple[Any, ...]]) -> list[Event]:
    return [
        Event(run_id, seq, kind, _command(k, w, f, line, h, raw), payload, at)
        for seq, kind, k, w, f, line, h, payload, at, raw in rows
    ]


def load_history(db: Database, run_id: str) -> tuple[Snapshot | None, list[Recorded]]:
    """The run's snapshot and the journal after it (all of it without one), one round trip."""
    snapshot_query = snapshots.load_query(db.schema)
    events_query = _queries(db.schema)["load_after_snapshot"]

    def body(conn: psycopg.Connection) -> tuple[Snapshot | None, list[Recorded]]:
        with conn.pipeline():
            snap = conn.cursor(row_factory=class_row(Snapshot)).execute(snapshot_query, (run_id,))
            rows = conn.cursor().execute(events_query, (run_id, run_id))
        return snap.fetchone(), _recorded(rows.fetchall())

    return db.run("load_history", body, read_only=True, single=True)


def _recorded(rows: list[tuple[Any, ...]]) -> list[Recorded]:
    """Replay's rows: each distinct command text decoded once, the payload left as text."""
    commands: dict[str, tuple[Any, ...]] = {}
    known = commands.get
    new = tuple.__new__  # builds the NamedTuple without its Python-level __new__
    out = []
    append = out.append
    for seq, kind, text, payload in rows:
        command = None if text is None else (known(text) or _command_of(text, commands))
        append(new(Recorded, (seq, kind, command, payload)))
    return out


def _command_of(text: str, commands: dict[str, tuple[Any, ...]]) -> tuple[Any, ...]:
    """Decode one command text and remember it.

    The identities this runtime writes become interned `CommandId`s (replay compares
    them by identity first); any other shape stays a plain tuple, as `load_events`
    gives it back.
    """
    value = json.loads(text)
    parts = tuple(value) if isinstance(value, list) else (value,)
    command = intern_command(parts) if is_canonical_command(parts) else parts
    commands[text] = command
    return command
