"""Retention: per-version retention registered by workers, and pruning expired runs.

``retention_until`` is stamped by the ``runs_retention_trg`` trigger (migration 0003)
whenever a run becomes terminal, from the retention its version registered here.
"""

from __future__ import annotations

from collections.abc import Collection

import psycopg
from psycopg import sql
from psycopg.rows import class_row

from ..base import RunRecord
from ..operations import VersionRetention
from .pool import Database

_FIELDS = tuple(RunRecord.__dataclass_fields__)


def register_versions(db: Database, versions: Collection[VersionRetention]) -> None:
    """Upsert each version's retention (and mark it registered)."""
    if not versions:
        return
    query = sql.SQL(
        """INSERT INTO {} (version_hash, workflow, retention_seconds, registered_at)
           VALUES (%s, %s, %s, now())
           ON CONFLICT (version_hash, workflow) DO UPDATE
           SET retention_seconds = EXCLUDED.retention_seconds, registered_at = now()"""
    ).format(db.table("workflow_versions"))
    rows = [(v.version_hash, v.workflow, v.retention_seconds) for v in versions]

    def body(conn: psycopg.Connection) -> None:
        with conn.cursor() as cur:
            cur.executemany(query, rows)

    db.run("register_versions", body)


def prune_expired(db: Database, *, limit: int, execute: bool) -> list[RunRecord]:
    """Expired correlation groups (see `OperationsStore.prune_expired`), deleted if ``execute``.

    The groups are picked and locked (SKIP LOCKED, so concurrent pruners take different
    groups) and re-checked under those locks in one statement; ON DELETE CASCADE removes
    the journal, signals, tasks and snapshots with each run.
    """
    if limit <= 0:
        return []
    runs = db.table("runs")
    cols = sql.SQL(", ").join(sql.Identifier(name) for name in _FIELDS)
    groups = sql.SQL(
        """SELECT DISTINCT c.correlation_id FROM {runs} c
           WHERE c.retention_until <= now()
             AND NOT EXISTS (
                 SELECT 1 FROM {runs} o WHERE o.correlation_id = c.correlation_id
                 AND (o.retention_until IS NULL OR o.retention_until > now()))
           LIMIT %s"""
    ).format(runs=runs)
    # Locking re-reads each row: a group member that became live again (a new child
    # started after the pick) fails the NOT EXISTS re-check and keeps the group.
    lock = sql.SQL(
        """SELECT {cols} FROM {runs} r WHERE r.correlation_id = ANY(%s)
           ORDER BY r.correlation_id, r.created_at, r.run_id FOR UPDATE SKIP LOCKED"""
    ).format(cols=cols, runs=runs)
    delete = sql.SQL("DELETE FROM {runs} WHERE run_id = ANY(%s)").format(runs=runs)

    def body(conn: psycopg.Connection) -> list[RunRecord]:
        picked = [row[0] for row in conn.execute(groups, (limit,)).fetchall()]
        if not picked:
            return []
        rows = conn.cursor(row_factory=class_row(RunRecord)).execute(lock, (picked,)).fetchall()
        now = conn.execute("SELECT now()").fetchone()[0]  # type: ignore[index]
        by_group: dict[str | None, list[RunRecord]] = {}
        for record in rows:
            by_group.setdefault(record.correlation_id, []).append(record)
        counts = dict(
            conn.execute(
                sql.SQL(
                    "SELECT correlation_id, count(*) FROM {} WHERE correlation_id = ANY(%s) "
                    "GROUP BY correlation_id"
                ).format(runs),
                (picked,),
            ).fetchall()
        )
        doomed: list[RunRecord] = []
        for group, members in by_group.items():
            # Every member locked (none skipped) and every one still expired.
            complete = len(members) == counts.get(group, 0)
            expired = all(
                m.retention_until is not None and m.retention_until <= now for m in members
            )
            if complete and expired:
                doomed.extend(members)
        if execute and doomed:
            conn.execute(delete, ([r.run_id for r in doomed],))
        return doomed

    return db.run("prune_expired", body)
