"""Version bookkeeping: live runs per pinned version, and moving a run to another version."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from ..base import TERMINAL
from ..operations import VersionUsage
from .pool import Database

_TERMINAL = sorted(TERMINAL)


def version_usage(db: Database) -> list[VersionUsage]:
    """Non-terminal runs counted per (workflow, version_hash, status)."""
    query = sql.SQL(
        """SELECT workflow, version_hash, status, count(*) FROM {}
           WHERE status <> ALL(%s)
           GROUP BY workflow, version_hash, status
           ORDER BY workflow, version_hash NULLS FIRST, status"""
    ).format(db.table("runs"))

    def body(conn: psycopg.Connection) -> list[VersionUsage]:
        return [VersionUsage(*row) for row in conn.execute(query, (_TERMINAL,)).fetchall()]

    return db.run("version_usage", body, read_only=True, single=True)


def repin_run(
    db: Database,
    run_id: str,
    *,
    from_hash: str,
    to_hash: str,
    last_seq: int,
    restamp: Mapping[tuple[Any, ...], tuple[Any, ...]] | None = None,
) -> str:
    """Re-pin ``run_id`` from ``from_hash`` to ``to_hash`` (see `OperationsStore.repin_run`)."""
    runs = db.table("runs")
    lock = sql.SQL(
        """SELECT status, version_hash,
                  lease_owner IS NOT NULL AND lease_expires_at > now() AS leased,
                  workflow,
                  COALESCE((SELECT max(e.seq) FROM {events} e WHERE e.run_id = r.run_id), 0)
           FROM {runs} r WHERE run_id = %s FOR UPDATE"""
    ).format(runs=runs, events=db.table("events"))
    # A run whose lease merely expired may still have a slow worker writing to it; a
    # fresh token fences that worker out, since fenced writes check owner and token,
    # not expiry. The run stays claimable (no owner) under its new version.
    update = sql.SQL(
        """UPDATE {} SET version_hash = %s, lease_owner = NULL, lease_expires_at = NULL,
                         lease_token = nextval({}), updated_at = now()
           WHERE run_id = %s"""
    ).format(runs, sql.Literal(db.table("lease_token_seq").as_string()))
    stamp = sql.SQL("UPDATE {} SET command = %s WHERE run_id = %s AND command = %s").format(
        db.table("events")
    )
    # A snapshot packs the old identities; the next resume reads the re-stamped journal.
    drop_snapshot = sql.SQL("DELETE FROM {} WHERE run_id = %s").format(db.table("snapshots"))
    record = sql.SQL(
        "INSERT INTO {} (version_hash, workflow) VALUES (%s, %s) ON CONFLICT DO NOTHING"
    ).format(db.table("workflow_versions"))

    def body(conn: psycopg.Connection) -> str:
        row = conn.execute(lock, (run_id,)).fetchone()
        if row is None:
            return "not_found"
        status, pinned, leased, workflow, seq = row
        if status in TERMINAL:
            return "terminal"
        if pinned != from_hash:
            return "other_version"
        if leased:
            return "leased"
        if seq != last_seq:
            return "progressed"
        conn.execute(update, (to_hash, run_id))
        for old, new in (restamp or {}).items():
            conn.execute(stamp, (Jsonb(list(new)), run_id, Jsonb(list(old))))
        conn.execute(drop_snapshot, (run_id,))
        conn.execute(record, (to_hash, workflow))
        return "moved"

    return db.run("repin_run", body)
