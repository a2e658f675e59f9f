"""Namespaces and attributes: set at start and from workflow code, searched by index."""

from __future__ import annotations

import json

import psycopg
import pytest
from click.testing import CliRunner
from psycopg import sql

from continuum import Client
from continuum.cli import cli
from continuum.runtime.registry import Registry
from continuum.runtime.store.base import Store
from continuum.runtime.store.postgres import PostgresStore
from continuum.testing.drive import drain
from tests.runtime.ops_app.versions import Hello


def _populate(store: Store) -> Client:
    client = Client(store=store)
    client.start(
        Hello, {"name": "a", "tier": "gold"}, id="a", namespace="eu", attributes={"customer": "ada"}
    )
    client.start(
        Hello,
        {"name": "b", "tier": "basic"},
        id="b",
        namespace="eu",
        attributes={"customer": "bob"},
    )
    client.start(
        Hello, {"name": "c", "tier": "gold"}, id="c", namespace="us", attributes={"customer": "cy"}
    )
    drain(store, Registry.from_classes(Hello))
    client.start(Hello, {"name": "d"}, id="d", namespace="eu", attributes={"customer": "ada"})
    return client


def _ids(runs: list) -> list[str]:
    return sorted(run.run_id for run in runs)


def test_query_by_namespace_status_and_attributes(store: Store) -> None:
    client = _populate(store)
    assert _ids(client.query(namespace="eu")) == ["a", "b", "d"]
    assert _ids(client.query(namespace="eu", status="completed")) == ["a", "b"]
    assert _ids(client.query(attributes={"customer": "ada"})) == ["a", "d"]
    # set_attributes() from workflow code merges with the attributes given at start.
    assert _ids(client.query(attributes={"tier": "gold"})) == ["a", "c"]
    assert _ids(client.query(attributes={"tier": "gold", "customer": "ada"})) == ["a"]
    assert _ids(client.query(namespace="us", workflow=Hello, attributes={"tier": "gold"})) == ["c"]
    assert client.query(attributes={"tier": "platinum"}) == []
    assert len(client.query(namespace="eu", limit=2)) == 2
    record = client.get_run("a")
    assert record is not None and dict(record.attributes) == {"customer": "ada", "tier": "gold"}


def test_runs_list_filters_from_the_command_line(database_url: str, fresh_schema: str) -> None:
    store = PostgresStore(database_url, schema=fresh_schema, migrate=True)
    try:
        _populate(store)
    finally:
        store.close()
    args = ["--database-url", database_url, "--schema", fresh_schema, "--json"]
    runner = CliRunner()
    result = runner.invoke(
        cli,
        [
            "runs",
            "list",
            "--attr",
            "tier=gold",
            "--namespace",
            "eu",
            "--status",
            "completed",
            *args,
        ],
    )
    assert result.exit_code == 0, result.output
    assert [row["run_id"] for row in json.loads(result.output)] == ["a"]
    both = runner.invoke(
        cli, ["runs", "list", "--attr", "customer=ada", "--attr", "tier=gold", *args]
    )
    assert [row["run_id"] for row in json.loads(both.output)] == ["a"]
    bad = runner.invoke(cli, ["runs", "list", "--attr", "novalue", *args])
    assert bad.exit_code == 2 and "KEY=VALUE" in bad.output


@pytest.mark.parametrize(
    ("where", "params", "index"),
    [
        ("attributes @> %s::jsonb", ['{"tier": "gold"}'], "runs_attributes_idx"),
        ("namespace = %s AND status = %s", ["eu", "completed"], "runs_namespace_status_idx"),
    ],
)
def test_queries_are_served_by_indexes(
    pg_store: PostgresStore,
    database_url: str,
    fresh_schema: str,
    where: str,
    params: list,
    index: str,
) -> None:
    _populate(pg_store)
    query = sql.SQL(
        "EXPLAIN SELECT run_id FROM {} WHERE " + where + " ORDER BY created_at DESC LIMIT 50"
    )
    with psycopg.connect(database_url) as conn:
        conn.execute("SET enable_seqscan = off")  # a 4-row table would be scanned anyway
        plan = "\n".join(
            row[0]
            for row in conn.execute(query.format(sql.Identifier(fresh_schema, "runs")), params)
        )
    assert index in plan, plan
