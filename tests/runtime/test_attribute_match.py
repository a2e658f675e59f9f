"""The in-memory store selects runs by attributes exactly as Postgres's ``jsonb @>`` does.

Users unit-test `Client.query(attributes=...)` on `InMemoryStore` and deploy on
Postgres; a filter that matched differently would pass their tests and fail in
production. The property compares `continuum.testing.jsonb.contains` with the real
operator on generated documents, and one end-to-end query on both stores.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg.types.json import Jsonb

from continuum.runtime.client import Client
from continuum.testing import InMemoryStore
from continuum.testing.jsonb import contains

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.sampled_from([0.0, 1.0, 1.5, -2.0])
    | st.sampled_from(["", "a", "b", "pro", "1"])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3)
    ),
    max_leaves=8,
)
objects = st.dictionaries(st.sampled_from(["a", "b", "c", "plan"]), values, max_size=4)


def _part_of(draw: st.DrawFn, value: object) -> object:
    """A random sub-document of ``value`` (contained in it by construction)."""
    if isinstance(value, dict):
        keys = draw(st.lists(st.sampled_from(sorted(value)), unique=True)) if value else []
        return {key: _part_of(draw, value[key]) for key in keys}
    if isinstance(value, list):
        picked = draw(st.lists(st.sampled_from(value), max_size=3)) if value else []
        return [_part_of(draw, item) for item in picked]
    return value


@st.composite
def document_and_pattern(draw: st.DrawFn) -> tuple[dict, dict]:
    document = draw(objects)
    pattern = draw(st.one_of(objects, st.just(_part_of(draw, document))))
    return document, pattern


@pytest.fixture(scope="module")
def pg(database_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        yield conn


@settings(max_examples=300, deadline=None)
@given(document_and_pattern())
def test_contains_agrees_with_postgres(pg: psycopg.Connection, case: tuple[dict, dict]) -> None:
    document, pattern = case
    row = pg.execute("SELECT %s::jsonb @> %s::jsonb", (Jsonb(document), Jsonb(pattern))).fetchone()
    assert row is not None
    assert contains(document, pattern) is row[0], (document, pattern)


@pytest.mark.parametrize("backend", ["postgres", "memory"])
def test_query_matches_nested_attributes(request: pytest.FixtureRequest, backend: str) -> None:
    store = request.getfixturevalue("pg_store") if backend == "postgres" else InMemoryStore()
    client = Client(store=store)
    pro = client.start(
        "tests.runtime.app.flows:Steps", "ann", attributes={"plan": {"tier": "pro", "seats": 5}}
    )
    client.start("tests.runtime.app.flows:Steps", "bob", attributes={"plan": {"tier": "free"}})
    tagged = client.start("tests.runtime.app.flows:Steps", "cy", attributes={"tags": ["vip", "eu"]})

    assert [r.run_id for r in client.query(attributes={"plan": {"tier": "pro"}})] == [pro]
    assert [r.run_id for r in client.query(attributes={"tags": ["eu"]})] == [tagged]
    assert client.query(attributes={"plan": {"seats": "5"}}) == []
