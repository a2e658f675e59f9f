"""Database fixtures: a real Postgres, one fresh database per test worker, dropped afterwards.

The server is, in order: ``CONTINUUM_TEST_SERVER_URL``; the local service on
127.0.0.1:5432 when it answers; else the embedded Postgres (started once under
``.continuum/test-server``). Tests never fall back to a fake.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
ROOT = Path(__file__).resolve().parent.parent


def _answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3, autocommit=True) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def _server_url() -> str:
    explicit = os.environ.get("CONTINUUM_TEST_SERVER_URL")
    if explicit:
        return explicit
    if _answers(LOCAL_SERVER):
        return LOCAL_SERVER
    from continuum.runtime.store.embedded import ensure_embedded_server

    return ensure_embedded_server(ROOT / ".continuum" / "test-server")


def _with_dbname(url: str, dbname: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(url)
    info["dbname"] = dbname
    return psycopg.conninfo.make_conninfo(**info)


@pytest.fixture(scope="session")
def server_url() -> str:
    """Maintenance URL of the Postgres server the tests use."""
    return _server_url()


@pytest.fixture(scope="session")
def database_url(server_url: str, worker_id: str) -> Iterator[str]:
    """URL of a database created for this test worker and dropped at the end of the session."""
    name = f"continuum_test_{worker_id}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_dbname(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def fresh_schema(database_url: str) -> Iterator[str]:
    """A schema name unique to this test; dropped (with everything in it) afterwards."""
    name = f"cn_{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))
