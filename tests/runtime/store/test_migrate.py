"""Shipped SQL migrations: ordered, idempotent, recorded, safe to run concurrently."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg
from psycopg import sql

from continuum.runtime.store.postgres import PostgresStore, shipped
from continuum.runtime.store.postgres.migrate import migrate, status

TABLES = {
    "runs",
    "events",
    "tasks",
    "signals",
    "workflow_versions",
    "schema_migrations",
    "snapshots",
}
TABLES |= {"schedules"}  # 0003_operations


def _tables(database_url: str, schema: str) -> set[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
        ).fetchall()
    return {name for (name,) in rows}


def test_shipped_migrations_are_numbered_uniquely() -> None:
    versions = [m.version for m in shipped()]
    assert versions == sorted(set(versions)) and versions[0] == 1
    assert all(m.text.strip() and len(m.checksum) == 64 for m in shipped())


def test_migrate_applies_once_and_records(database_url: str, fresh_schema: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert {s.state for s in status(conn, fresh_schema)} == {"pending"}
        applied = migrate(conn, fresh_schema)
        assert [m.version for m in applied] == [m.version for m in shipped()]
        assert migrate(conn, fresh_schema) == []  # idempotent
        states = status(conn, fresh_schema)
    assert {s.state for s in states} == {"applied"}
    assert all(s.applied_at is not None for s in states)
    assert _tables(database_url, fresh_schema) == TABLES


def test_concurrent_migrations_apply_each_file_once(database_url: str, fresh_schema: str) -> None:
    barrier = threading.Barrier(4)

    def run(_: int) -> int:
        with psycopg.connect(database_url, autocommit=True) as conn:
            barrier.wait()
            return len(migrate(conn, fresh_schema))

    with ThreadPoolExecutor(4) as pool:
        counts = list(pool.map(run, range(4)))
    assert sorted(counts) == [0, 0, 0, len(shipped())]
    with psycopg.connect(database_url) as conn:
        recorded = conn.execute(
            sql.SQL("SELECT version FROM {} ORDER BY version").format(
                sql.Identifier(fresh_schema, "schema_migrations")
            )
        ).fetchall()
    assert [v for (v,) in recorded] == [m.version for m in shipped()]


def test_status_reports_an_edited_migration(database_url: str, fresh_schema: str) -> None:
    store = PostgresStore(database_url, schema=fresh_schema, migrate=True)
    try:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("UPDATE {} SET checksum = 'x' WHERE version = 1").format(
                    sql.Identifier(fresh_schema, "schema_migrations")
                )
            )
        assert store.migration_status()[0].state == "changed"
        assert store.migrate() == []  # never re-applied
    finally:
        store.close()


def test_schemas_are_independent(database_url: str, fresh_schema: str) -> None:
    other = fresh_schema + "_b"
    try:
        with psycopg.connect(database_url, autocommit=True) as conn:
            migrate(conn, fresh_schema)
            assert {s.state for s in status(conn, other)} == {"pending"}
            assert len(migrate(conn, other)) == len(shipped())
        assert _tables(database_url, other) == TABLES
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(other)))
