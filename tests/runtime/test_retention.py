"""Retention end to end: workers stamp retention_until, `continuum prune` and `--prune` delete."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from click.testing import CliRunner

from continuum import Client
from continuum.cli import cli
from continuum.runtime.errors import ContinuumError
from continuum.runtime.registry import Registry
from continuum.runtime.retention import prune
from continuum.runtime.store.base import Store
from continuum.runtime.store.operations import VersionRetention
from continuum.runtime.store.postgres import PostgresStore
from continuum.runtime.worker import Worker, WorkerOptions
from tests.runtime.ops_app.versions import V1, Hello

FAST = WorkerOptions(poll_interval=0.05, concurrency=2)


def _run_hello(store: Store, count: int = 1) -> list[str]:
    client = Client(store=store)
    ids = [client.start(Hello, {"name": f"n{i}"}) for i in range(count)]
    with Worker(store, Registry.from_classes(Hello), FAST):
        for run_id in ids:
            client.result(run_id, timeout=20)
    return ids


def test_a_worker_records_retention_and_prune_deletes_expired_runs(pg_store: PostgresStore) -> None:
    (run_id,) = _run_hello(pg_store)
    record = pg_store.get_run(run_id)
    assert record is not None and record.retention_until == record.completed_at  # retention=0
    assert pg_store.load_events(run_id)
    dry = prune(pg_store)
    assert [r.run_id for r in dry.runs] == [run_id] and not dry.executed
    assert pg_store.get_run(run_id) is not None
    done = prune(pg_store, execute=True, batch_size=1)
    assert [r.run_id for r in done.runs] == [run_id] and done.batches == 2
    assert pg_store.get_run(run_id) is None and pg_store.load_events(run_id) == []


def test_the_default_retention_keeps_runs_for_thirty_days(pg_store: PostgresStore) -> None:
    client = Client(store=pg_store)
    run_id = client.start(V1, {"customer": "ada"})
    registry = Registry.from_classes(V1)
    with Worker(pg_store, registry, FAST):
        deadline = time.monotonic() + 20
        while pg_store.get_run(run_id).status != "suspended":  # type: ignore[union-attr]
            assert time.monotonic() < deadline
            time.sleep(0.05)
        client.signal(run_id, "go", "ok")
        client.result(run_id, timeout=20)
    record = pg_store.get_run(run_id)
    assert record is not None and record.completed_at is not None
    assert record.retention_until == record.completed_at + timedelta(hours=1)  # V1 says 1 h
    assert prune(pg_store, execute=True).runs == ()


def test_workers_with_prune_delete_expired_runs_in_the_background(pg_store: PostgresStore) -> None:
    ids = _run_hello(pg_store, count=3)
    options = WorkerOptions(poll_interval=0.05, prune=True, prune_interval=0.05, prune_batch=1)
    with Worker(pg_store, Registry.from_classes(Hello), options):
        deadline = time.monotonic() + 20
        while any(pg_store.get_run(i) for i in ids):
            assert time.monotonic() < deadline, "the worker did not prune"
            time.sleep(0.05)


def test_prune_validates_the_batch_size(pg_store: PostgresStore) -> None:
    with pytest.raises(ContinuumError, match="batch size"):
        prune(pg_store, batch_size=0)


def test_registering_again_changes_later_finishes_only(pg_store: PostgresStore) -> None:
    (first,) = _run_hello(pg_store)
    version = pg_store.get_run(first).version_hash  # type: ignore[union-attr]
    assert version is not None
    pg_store.register_versions([VersionRetention(version, Hello.__continuum_name__, None)])
    assert pg_store.get_run(first).retention_until is not None  # type: ignore[union-attr]


def test_prune_cli_is_a_dry_run_unless_executed(database_url: str, fresh_schema: str) -> None:
    store = PostgresStore(database_url, schema=fresh_schema, migrate=True)
    try:
        (run_id,) = _run_hello(store)
    finally:
        store.close()
    args = ["--database-url", database_url, "--schema", fresh_schema]
    runner = CliRunner()
    dry = runner.invoke(cli, ["prune", *args])
    assert dry.exit_code == 0, dry.output
    assert run_id in dry.output and "would delete 1 run(s)" in dry.output
    done = runner.invoke(cli, ["prune", "--execute", "--json", *args])
    assert done.exit_code == 0 and run_id in done.output
    assert "nothing has expired" in runner.invoke(cli, ["prune", *args]).output
