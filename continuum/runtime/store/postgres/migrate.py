"""Versioned SQL migrations shipped in ``migrations/NNNN_name.sql``, applied in order.

`migrate` takes a transaction-scoped advisory lock keyed on the schema, so two
workers starting at once apply each migration exactly once: the second waits, then
finds nothing pending. Each applied file is recorded in ``<schema>.schema_migrations``
with a checksum, so `status` can also report a shipped file that changed afterwards.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from importlib import resources

import psycopg
from psycopg import sql

from .pool import translated

#: Namespace of our advisory lock keys (the first argument of pg_advisory_xact_lock).
_LOCK_CLASS = 0x636E  # "cn"


@dataclass(frozen=True, slots=True)
class Migration:
    """One shipped migration file."""

    #: Ordering number, from the ``NNNN_`` prefix of the file name.
    version: int
    #: The rest of the file name, e.g. ``"initial"``.
    name: str
    #: SQL text, run with search_path set to the Continuum schema.
    text: str

    @property
    def checksum(self) -> str:
        """SHA-256 of the file text, recorded when applied."""
        return hashlib.sha256(self.text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class MigrationState:
    """A migration and where it stands in one database schema."""

    version: int
    name: str
    #: ``"applied"``, ``"pending"``, or ``"changed"`` (applied, but the file differs now).
    state: str
    applied_at: datetime | None


def shipped() -> list[Migration]:
    """Every migration shipped with the package, in version order."""
    found = []
    for entry in resources.files(__package__).joinpath("migrations").iterdir():
        stem, dot, suffix = entry.name.partition(".")
        number, _, name = stem.partition("_")
        if dot and suffix == "sql" and number.isdigit():
            found.append(Migration(int(number), name, entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda m: m.version)


def _table(schema: str) -> sql.Identifier:
    return sql.Identifier(schema, "schema_migrations")


def _ensure_table(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    conn.execute(
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (version integer PRIMARY KEY, name text NOT NULL, "
            "checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        ).format(_table(schema))
    )


def _applied(conn: psycopg.Connection, schema: str) -> dict[int, tuple[str, datetime]]:
    rows = conn.execute(
        sql.SQL("SELECT version, checksum, applied_at FROM {}").format(_table(schema))
    ).fetchall()
    return {version: (checksum, at) for version, checksum, at in rows}


def migrate(conn: psycopg.Connection, schema: str) -> list[Migration]:
    """Apply every pending migration to ``schema`` in one transaction; return those applied.

    ``conn`` must not be inside a transaction. Safe to run concurrently and repeatedly.
    """
    applied_now: list[Migration] = []
    with translated("migrate"), conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_LOCK_CLASS, schema))
        _ensure_table(conn, schema)
        done = _applied(conn, schema)
        conn.execute(
            sql.SQL("SET LOCAL search_path TO {}, pg_catalog").format(sql.Identifier(schema))
        )
        for migration in shipped():
            if migration.version in done:
                continue
            # SQL() wants a LiteralString: this text ships inside the package, never input.
            conn.execute(sql.SQL(migration.text))  # type: ignore[arg-type]
            conn.execute(
                sql.SQL("INSERT INTO {} (version, name, checksum) VALUES (%s, %s, %s)").format(
                    _table(schema)
                ),
                (migration.version, migration.name, migration.checksum),
            )
            applied_now.append(migration)
    return applied_now


def status(conn: psycopg.Connection, schema: str) -> list[MigrationState]:
    """Every shipped migration with its state in ``schema`` (nothing is changed)."""
    with translated("migration_status"):
        exists = conn.execute(
            "SELECT to_regclass(%s) IS NOT NULL", (_table(schema).as_string(conn),)
        ).fetchone()
        done = _applied(conn, schema) if exists and exists[0] else {}
        if not conn.autocommit:
            conn.rollback()
    states = []
    for migration in shipped():
        record = done.get(migration.version)
        if record is None:
            states.append(MigrationState(migration.version, migration.name, "pending", None))
        else:
            checksum, at = record
            state = "applied" if checksum == migration.checksum else "changed"
            states.append(MigrationState(migration.version, migration.name, state, at))
    return states


def migrate_database(url: str, schema: str) -> list[Migration]:
    """Connect to ``url`` and `migrate` ``schema``; return the migrations applied now."""
    with translated("migrate"), psycopg.connect(url, autocommit=True) as conn:
        return migrate(conn, schema)


def database_status(url: str, schema: str) -> list[MigrationState]:
    """Connect to ``url`` and report the `status` of ``schema``."""
    with translated("migration_status"), psycopg.connect(url, autocommit=True) as conn:
        return status(conn, schema)
