"""Store fixtures: every contract test runs against Postgres and, when present, memory."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

from continuum.runtime.store.base import Store
from continuum.runtime.store.postgres import PostgresStore

#: The in-memory store joins the contract suite as soon as its module exists.
STORE_KINDS = ["postgres"]
if importlib.util.find_spec("continuum.testing.memory_store") is not None:
    STORE_KINDS.append("memory")


@pytest.fixture
def pg_store(database_url: str, fresh_schema: str) -> Iterator[PostgresStore]:
    """A migrated Postgres store in a schema of its own."""
    store = PostgresStore(database_url, schema=fresh_schema, migrate=True, max_size=6)
    yield store
    store.close()


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """Each store implementation in turn."""
    if request.param == "postgres":
        yield request.getfixturevalue("pg_store")
        return
    from continuum.testing.memory_store import InMemoryStore

    memory = InMemoryStore()
    yield memory
    memory.close()
