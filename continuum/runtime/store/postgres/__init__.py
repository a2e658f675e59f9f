"""The Postgres store: `PostgresStore` and its shipped migrations."""

from __future__ import annotations

from .migrate import Migration, MigrationState, database_status, migrate_database, shipped
from .store import DEFAULT_SCHEMA, PostgresStep, PostgresStore

__all__ = [
    "DEFAULT_SCHEMA",
    "Migration",
    "MigrationState",
    "PostgresStep",
    "PostgresStore",
    "database_status",
    "migrate_database",
    "shipped",
]
