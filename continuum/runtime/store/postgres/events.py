"""The ``events`` table: the append-only journal, one row per (run, seq)."""

from __future__ import annotations

from functools import cache
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import args_row
from psycopg.types.json import Jsonb

from ..base import Event, NewEvent
from .pool import Database


@cache
def _queries(schema: str) -> dict[str, sql.Composed]:
    events = sql.Identifier(schema, "events")
    return {
        "append": sql.SQL(
            "INSERT INTO {} (run_id, seq, kind, command, payload) VALUES (%s, %s, %s, %s, %s)"
        ).format(events),
        "load": sql.SQL(
            "SELECT run_id, seq, kind, command, payload, created_at FROM {} "
            "WHERE run_id = %s AND seq > %s ORDER BY seq"
        ).format(events),
    }


def _event(run_id: str, seq: int, kind: str, command: Any, payload: str, created_at: Any) -> Event:
    """Rebuild an event; the JSON array of a command identity becomes a tuple again."""
    return Event(
        run_id, seq, kind, tuple(command) if command is not None else None, payload, created_at
    )


def append(db: Database, conn: psycopg.Connection, run_id: str, event: NewEvent) -> None:
    """Insert ``event`` inside a fenced step; a taken seq raises `LeaseLostError`."""
    command = Jsonb(list(event.command)) if event.command is not None else None
    with db.unique_is_lease_lost("append", f"run {run_id}: event {event.seq} already written"):
        conn.execute(
            _queries(db.schema)["append"],
            (run_id, event.seq, event.kind, command, event.payload),
        )


def load_events(db: Database, run_id: str, *, after_seq: int = 0) -> list[Event]:
    """The journal of ``run_id`` after ``after_seq``, in order."""
    query = _queries(db.schema)["load"]

    def body(conn: psycopg.Connection) -> list[Event]:
        cur = conn.cursor(row_factory=args_row(_event))
        return cur.execute(query, (run_id, after_seq)).fetchall()

    return db.run("load_events", body, read_only=True, single=True)
