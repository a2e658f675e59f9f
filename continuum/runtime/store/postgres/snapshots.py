"""The ``snapshots`` table: one packed journal prefix per run (see `continuum.runtime.snapshot`)."""

from __future__ import annotations

from functools import cache

import psycopg
from psycopg import sql
from psycopg.rows import class_row

from ..base import Snapshot
from .pool import Database


@cache
def _queries(schema: str) -> dict[str, sql.Composed]:
    table = sql.Identifier(schema, "snapshots")
    return {
        # A newer snapshot replaces the older one; an older one never overwrites a newer.
        "save": sql.SQL(
            """
            INSERT INTO {t} (run_id, through_seq, format_version, data)
            VALUES (%s, %s, %s, %s)
            ON CONFLICT (run_id) DO UPDATE
            SET through_seq = EXCLUDED.through_seq, format_version = EXCLUDED.format_version,
                data = EXCLUDED.data, created_at = now()
            WHERE {t}.through_seq < EXCLUDED.through_seq"""
        ).format(t=table),
        "load": sql.SQL(
            "SELECT run_id, through_seq, format_version, data FROM {} WHERE run_id = %s"
        ).format(table),
    }


def save(schema: str, conn: psycopg.Connection, snapshot: Snapshot) -> None:
    """Store ``snapshot`` inside a fenced step."""
    conn.execute(
        _queries(schema)["save"],
        (snapshot.run_id, snapshot.through_seq, snapshot.format_version, snapshot.data),
    )


def load_query(schema: str) -> sql.Composed:
    """The statement `load` sends (also pipelined by `events.load_history`)."""
    return _queries(schema)["load"]


def load(db: Database, run_id: str) -> Snapshot | None:
    """The run's snapshot, or None."""
    query = _queries(db.schema)["load"]

    def body(conn: psycopg.Connection) -> Snapshot | None:
        return conn.cursor(row_factory=class_row(Snapshot)).execute(query, (run_id,)).fetchone()

    return db.run("load_snapshot", body, read_only=True, single=True)
